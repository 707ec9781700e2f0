// The kernel interface every backend implements (reference, tuned CPU, GL, CUDA). This is the
// bottom of the engine with the plan (graph_plan.h): it includes no backend; each backend's
// factory is declared in its own folder (ops/reference/reference_kernels.h, ops/cpu/cpu_backend.h).
//
// Life cycle, decided once at model load:
//   1. The interpreter infers every tensor's shape and builds one OpContext per node.
//   2. A backend's factory returns a Kernel for the node, or nullptr when it does not support
//      that node (the interpreter then falls back to the reference kernel, visibly: the plan
//      records which backend took each node).
//   3. Kernel::prepare() runs once: it may repack constant weights and asks for scratch bytes.
// Per frame only Kernel::run() is called. run() is const and must be safe to call from several
// threads at once on different NodeArgs (each execution arena has its own activations and
// scratch); it never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "model/tflite_model.h"

namespace fmn {

class ThreadPool;

// A tensor as a kernel sees it: type, shape and a pointer that stays fixed after load.
struct TensorView {
  TensorType type = TensorType::kFloat32;
  std::vector<int32_t> shape;
  void* data = nullptr;
  bool is_constant = false;  // weights, biases, shape operands: read-only, known at load
  // A sparse constant (only DENSIFY's input): data holds sparsity->num_values elements.
  const SparsityDef* sparsity = nullptr;

  int64_t num_elements() const {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    return n;
  }
  int rank() const { return static_cast<int>(shape.size()); }
  int32_t dim(int i) const { return shape[static_cast<size_t>(i)]; }
  float* f32() const { return static_cast<float*>(data); }
  int32_t* i32() const { return static_cast<int32_t*>(data); }
};

// What a kernel gets per run: its inputs and outputs in one execution arena, and its scratch.
// An omitted optional input has data == nullptr.
struct NodeArgs {
  std::vector<TensorView> inputs;
  std::vector<TensorView> outputs;
  void* scratch = nullptr;  // prepare()'s scratch_bytes, 64-byte aligned, per arena
};

// Work the interpreter's fusion pass folds into a CONV_2D / DEPTHWISE_CONV_2D node.
// Applied per output element, in this order, after conv + bias:
//   y = clamp(y, act_lo, act_hi)            (the conv's own fused activation)
//   y = y + residual[same NHWC index]       (when has_residual: a following ADD's other operand,
//                                            passed as the node's extra input at index 3;
//                                            with residual_channels > 0 the residual is
//                                            [n, oh, ow, residual_channels] and channels
//                                            >= residual_channels add zero)
//   y = y >= 0 ? y : prelu_alpha[c] * y     (when prelu_alpha: a following PRELU whose alpha
//                                            varies only along channels; constant, oc floats)
//   y = clamp(y, post_lo, post_hi)          (the fused ADD's own activation; +-inf if none)
struct Epilogue {
  bool has_residual = false;
  // 0: the residual has the output's channel count; else it has this many channels (< oc)
  // and the rest count as zero.
  int residual_channels = 0;
  const float* prelu_alpha = nullptr;
  float post_lo = -std::numeric_limits<float>::infinity();
  float post_hi = std::numeric_limits<float>::infinity();
};

// Explicit zero padding of a CONV_2D / DEPTHWISE_CONV_2D input, set by GraphPlan when it folds
// a spatial PAD into the conv (the conv then reads the PAD's input). When `is_explicit`, it
// replaces the op's SAME / VALID padding: the conv is VALID over the input padded with `top`
// rows before, `bottom` after, `left` columns before and `right` after (all >= 0).
struct ConvPadding {
  bool is_explicit = false;
  int top = 0, left = 0, bottom = 0, right = 0;
};

// What a factory sees at load: the operator and its tensors. Constants carry their data;
// other tensors point into execution arena 0 (a valid address, contents undefined at load).
// An omitted optional input has data == nullptr and is_constant == false.
// For conv nodes: inputs = [input, filter, bias (may be an omitted view), residual (only when
// epilogue.has_residual)].
struct OpContext {
  const OperatorDef* op = nullptr;
  std::vector<TensorView> inputs;
  std::vector<TensorView> outputs;
  std::string op_name;  // "CONV_2D" or the custom op's name
  Epilogue epilogue;    // only for conv nodes; empty otherwise
  ConvPadding padding;  // only for conv nodes; backends without explicit padding decline it
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Once at load. Returns the scratch bytes run() needs per arena (0 if none).
  virtual size_t prepare(const OpContext& ctx) {
    (void)ctx;
    return 0;
  }
  // Per frame. `pool` may be null (single-threaded); when given, the kernel may split its
  // work across it.
  virtual void run(const NodeArgs& args, ThreadPool* pool) const = 0;
  // Which implementation this is, for the plan report ("reference", "cpu.avx512", ...).
  virtual const char* impl_name() const = 0;
};

using KernelFactory = std::unique_ptr<Kernel> (*)(const OpContext& ctx);

// Clamp bounds for a fused activation; false for one that is not a clamp (TANH, SIGN_BIT).
bool activation_bounds(Activation act, float* lo, float* hi);
// The same, throwing ModelError for an unsupported activation.
void activation_range(Activation act, float* lo, float* hi);

}  // namespace fmn
