// The interpreter: turns a ModelDef into an execution plan once, then runs it per frame.
//
// At load (constructor): float16 constants are dequantized and every node whose inputs are all
// constant is folded; conv nodes absorb a following ADD / PRELU / RELU (fusion pass); each node
// gets a kernel from the chosen backend (falling back to the reference kernel, recorded in the
// plan); activation memory is planned by liveness into one block per execution arena; kernels
// are prepared. Nothing is allocated by run().
//
// Levels: nodes are grouped by dependency level; with a thread pool, a level of several small
// independent nodes (e.g. the attention model's lips/eye/iris branches) runs them side by side,
// while a level dominated by one node runs it alone with intra-op threads. The memory plan keeps
// the tensors of one level disjoint, and each node of a level has its own scratch.
//
// Batches: the plan is for batch 1 (the model's own shapes). run() with batch N executes the
// plan once per batch element; with several threads, elements run in parallel, one arena per
// worker; a single element runs with intra-op parallelism instead.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "runtime/executor.h"
#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace fmn {

class GraphPlan;

struct InterpreterOptions {
  int num_threads = 1;        // >= 1; ignored when `pool` is given (its size counts)
  // A pool shared with other work of the caller (e.g. every model of a FaceMesh graph), so
  // that one set of worker threads serves them all. Null: the interpreter makes its own.
  std::shared_ptr<ThreadPool> pool;
  bool tuned_kernels = true;  // false: reference kernels only (the oracle)
  bool fuse = true;           // false: no fusion pass (every tensor stays observable)
  bool fold_pads = true;      // with fuse: spatial zero PADs fold into their conv (GraphPlan)
};

class Interpreter : public Executor {
 public:
  Interpreter(ModelDef model, const InterpreterOptions& options);
  ~Interpreter() override;
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  const std::vector<TensorInfo>& inputs() const override { return input_info_; }
  const std::vector<TensorInfo>& outputs() const override { return output_info_; }
  const std::vector<NodeInfo>& nodes() const override { return node_info_; }
  int num_threads() const { return options_.num_threads; }
  // Bytes held: constants (weights after dequantization) and activation arenas.
  size_t constant_bytes() const;
  size_t arena_bytes() const { return arena_bytes_ * arenas_.size(); }

  // inputs[i] holds batch * inputs()[i].num_elements() floats, outputs[j] likewise.
  // Calls from several threads are serialised (one run at a time per Interpreter).
  void run(int batch, const float* const* inputs, float* const* outputs) override;
  std::string device() const override { return "cpu"; }

  // Runs batch 1 on one thread and copies out the named tensors (any tensor the plan still
  // holds: graph inputs, constants, node outputs). Throws ModelError for an unknown name or a
  // tensor removed by fusion or folding.
  std::vector<std::vector<float>> run_capture(const float* const* inputs,
                                              const std::vector<std::string>& names);

  const TensorInfo& tensor_info(const std::string& name) const;

  // Diagnostics, off the per-frame path: runs batch 1 `iters` times node by node (each node
  // with the pool's intra-op threads, levels not side by side) and returns the median seconds
  // of each node, in nodes() order.
  std::vector<double> profile_nodes(const float* const* inputs, int iters);

 private:
  struct Node;
  struct Arena;
  void build_plan(ModelDef model);
  void run_arena(int arena, const float* const* inputs, float* const* outputs, ThreadPool* pool,
                 int sample);
  double node_cost(const Node& node) const;

  // Nodes [begin, end) share a level; concurrent: run them side by side on the pool.
  struct Level {
    int begin = 0, end = 0;
    bool concurrent = false;
  };
  std::vector<Level> levels_;
  std::vector<int> node_level_;

  InterpreterOptions options_;
  std::vector<TensorInfo> tensor_infos_;
  std::vector<TensorInfo> input_info_, output_info_;
  std::vector<int32_t> input_ids_, output_ids_;
  std::vector<NodeInfo> node_info_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Arena>> arenas_;
  std::unique_ptr<GraphPlan> plan_;                      // owns the constants (and fused alphas)
  std::vector<void*> constant_ptr_;                      // per tensor: constant data or null
  std::vector<int64_t> arena_offset_;                    // per tensor: offset in an arena, or -1
  size_t arena_bytes_ = 0, scratch_bytes_ = 0;
  std::shared_ptr<ThreadPool> pool_;
  std::mutex run_mu_;  // run() and run_capture() share the arenas
};

}  // namespace fmn
