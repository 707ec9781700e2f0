#include "executors/interpreter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <sstream>

#include "ops/cpu/cpu_backend.h"
#include "ops/reference/reference_kernels.h"
#include "ops/reference/reference_ops.h"
#include "runtime/graph_plan.h"

namespace fmn {

namespace {

constexpr size_t kAlign = 64;
// Upper bound on activation memory per arena: a model asking for more is rejected at load
// instead of allocating it (a corrupted shape must not become a huge allocation).
constexpr size_t kMaxArenaBytes = size_t{256} << 20;

size_t align_up(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// A 64-byte aligned byte block.
struct AlignedBlock {
  std::vector<uint8_t> storage;
  uint8_t* data = nullptr;
  void allocate(size_t bytes) {
    storage.assign(bytes + kAlign, 0);
    const uintptr_t p = reinterpret_cast<uintptr_t>(storage.data());
    data = storage.data() + (align_up(p) - p);
  }
};

}  // namespace

// A planned node with the kernel the CPU backend chose for it.
struct Interpreter::Node : PlannedNode {
  std::unique_ptr<Kernel> kernel;
  std::vector<NodeArgs> args;  // one per arena
};

// Rough work estimate of a node, for scheduling: multiply-adds for convolutions, output
// elements otherwise.
double Interpreter::node_cost(const Node& node) const {
  double out = 0;
  for (int32_t id : node.outputs) out += static_cast<double>(tensor_infos_[id].num_elements());
  const int32_t code = node.op.builtin_code;
  if ((code == builtin::kConv2d || code == builtin::kDepthwiseConv2d) && node.inputs.size() >= 2 &&
      node.inputs[1] >= 0) {
    const std::vector<int32_t>& w = tensor_infos_[node.inputs[1]].shape;
    if (w.size() == 4) out *= static_cast<double>(w[1]) * w[2] * (code == builtin::kConv2d ? w[3] : 1);
  }
  return out;
}

struct Interpreter::Arena {
  AlignedBlock block;
  AlignedBlock scratch;
};

Interpreter::Interpreter(ModelDef model, const InterpreterOptions& options) : options_(options) {
  if (options_.pool) options_.num_threads = options_.pool->size();
  if (options_.num_threads < 1 || options_.num_threads > 256)
    throw ModelError("num_threads must be in 1..256, got " + std::to_string(options_.num_threads));
  build_plan(std::move(model));
  if (options_.pool && options_.num_threads > 1) pool_ = options_.pool;
  else if (options_.num_threads > 1) pool_ = std::make_shared<ThreadPool>(options_.num_threads);
}

Interpreter::~Interpreter() = default;

size_t Interpreter::constant_bytes() const { return plan_->constant_bytes(); }

const TensorInfo& Interpreter::tensor_info(const std::string& name) const {
  for (const TensorInfo& t : tensor_infos_)
    if (t.name == name) return t;
  throw ModelError("no tensor named '" + name + "'");
}

void Interpreter::build_plan(ModelDef model) {
  // Validation, constants, folding and fusion: shared with the GPU backends (graph_plan.h).
  plan_.reset(new GraphPlan(model, create_reference_kernel, options_.fuse, kMaxArenaBytes, /*narrow_residuals=*/true,
                            options_.fold_pads));
  model.buffers.clear();
  model.buffers.shrink_to_fit();
  const size_t num_tensors = plan_->tensors().size();
  tensor_infos_.resize(num_tensors);
  constant_ptr_.assign(num_tensors, nullptr);
  for (size_t i = 0; i < num_tensors; ++i) {
    const TensorDef& t = plan_->tensors()[i];
    tensor_infos_[i].name = t.name;
    tensor_infos_[i].shape = t.shape;
    tensor_infos_[i].type = t.type;
    constant_ptr_[i] = const_cast<void*>(plan_->constant(static_cast<int32_t>(i)));
  }

  auto view_of = [&](int32_t id, uint8_t* arena_base) {
    TensorView v;
    if (id < 0) return v;
    v.type = tensor_infos_[id].type;
    v.shape = tensor_infos_[id].shape;
    if (constant_ptr_[id]) {
      v.data = constant_ptr_[id];
      v.is_constant = true;
    } else if (arena_base) {
      v.data = arena_base + arena_offset_[id];
    }
    return v;
  };

  std::vector<std::unique_ptr<Node>> nodes;
  for (const PlannedNode& p : plan_->nodes()) {
    std::unique_ptr<Node> node(new Node);
    static_cast<PlannedNode&>(*node) = p;
    nodes.push_back(std::move(node));
  }
  const std::vector<int32_t>& graph_inputs = plan_->inputs();
  const std::vector<int32_t>& graph_outputs = plan_->outputs();

  // Levels: a node's level is one more than the highest level among its inputs' producers.
  // Nodes of one level do not depend on each other, so a level may run its nodes concurrently.
  // Nodes are reordered by level (stable, so the order stays topological).
  {
    std::vector<int> tensor_level(num_tensors, -1);
    std::vector<std::pair<int, size_t>> keyed;
    for (size_t n = 0; n < nodes.size(); ++n) {
      int lv = 0;
      for (int32_t id : nodes[n]->inputs)
        if (id >= 0 && tensor_level[id] >= 0) lv = std::max(lv, tensor_level[id] + 1);
      for (int32_t id : nodes[n]->outputs) tensor_level[id] = lv;
      keyed.emplace_back(lv, n);
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const std::pair<int, size_t>& a, const std::pair<int, size_t>& b) { return a.first < b.first; });
    std::vector<std::unique_ptr<Node>> sorted;
    node_level_.clear();
    for (const auto& k : keyed) {
      sorted.push_back(std::move(nodes[k.second]));
      node_level_.push_back(k.first);
    }
    nodes.swap(sorted);
  }

  // Liveness-based memory plan over levels: tensors whose level intervals overlap get disjoint
  // byte ranges (so nodes running concurrently within a level never share memory).
  const int num_nodes = static_cast<int>(nodes.size());
  const int num_levels = num_nodes ? node_level_.back() + 1 : 0;
  std::vector<int> first(num_tensors, -1), last(num_tensors, -1);
  std::vector<bool> live(num_tensors, false);
  for (int32_t id : graph_inputs) { first[id] = -1; live[id] = true; }
  for (int n = 0; n < num_nodes; ++n) {
    const int lv = node_level_[n];
    for (int32_t id : nodes[n]->outputs) { first[id] = lv; live[id] = true; }
    for (int32_t id : nodes[n]->inputs) if (id >= 0) last[id] = std::max(last[id], lv);
    for (int32_t id : nodes[n]->outputs) last[id] = std::max(last[id], lv);
  }
  for (int32_t id : graph_outputs) last[id] = num_levels;
  std::vector<int32_t> order;
  for (size_t t = 0; t < num_tensors; ++t)
    if (!constant_ptr_[t] && live[t]) order.push_back(static_cast<int32_t>(t));
  for (int32_t t : order) {
    if (tensor_type_size(tensor_infos_[t].type) == 0)
      throw ModelError("tflite: tensor '" + tensor_infos_[t].name + "' has unsupported type " +
                       tensor_type_name(tensor_infos_[t].type));
    if (plan_->bytes(t) > kMaxArenaBytes)
      throw ModelError("tflite: tensor '" + tensor_infos_[t].name + "' is too large");
  }
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return plan_->bytes(a) > plan_->bytes(b);
  });
  arena_offset_.assign(num_tensors, -1);
  std::vector<int32_t> placed;
  size_t arena = 0;
  for (int32_t t : order) {
    const size_t size = align_up(std::max<size_t>(plan_->bytes(t), 1));
    std::vector<std::pair<size_t, size_t>> busy;
    for (int32_t p : placed)
      if (first[p] <= last[t] && first[t] <= last[p])
        busy.emplace_back(static_cast<size_t>(arena_offset_[p]),
                          static_cast<size_t>(arena_offset_[p]) + align_up(std::max<size_t>(plan_->bytes(p), 1)));
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& r : busy) {
      if (offset + size <= r.first) break;
      offset = std::max(offset, r.second);
    }
    arena_offset_[t] = static_cast<int64_t>(offset);
    arena = std::max(arena, offset + size);
    if (arena > kMaxArenaBytes) throw ModelError("tflite: the model's activations need too much memory");
    placed.push_back(t);
  }
  arena_bytes_ = std::max<size_t>(arena, kAlign);

  const int num_arenas = options_.num_threads;
  for (int a = 0; a < num_arenas; ++a) {
    arenas_.emplace_back(new Arena);
    arenas_.back()->block.allocate(arena_bytes_);
  }

  // Kernels: the tuned backend where it covers the node, else the reference.
  for (std::unique_ptr<Node>& node : nodes) {
    OpContext ctx;
    ctx.op = &node->op;
    ctx.op_name = node->name;
    ctx.epilogue = node->epilogue;
    ctx.padding = node->padding;
    for (int32_t id : node->inputs) ctx.inputs.push_back(view_of(id, arenas_[0]->block.data));
    for (int32_t id : node->outputs) ctx.outputs.push_back(view_of(id, arenas_[0]->block.data));
    std::unique_ptr<Kernel> k;
    if (options_.tuned_kernels) k = create_cpu_kernel(ctx);
    if (!k) k = create_reference_kernel(ctx);
    scratch_bytes_ = std::max(scratch_bytes_, align_up(k->prepare(ctx)));
    node->kernel = std::move(k);
  }
  // Level groups and their execution: concurrently (one scratch slot per node of the level)
  // unless one node dominates the level's work, which then runs alone with intra-op threads.
  levels_.clear();
  size_t widest = 1;
  for (int n = 0; n < num_nodes;) {
    int e = n;
    while (e < num_nodes && node_level_[e] == node_level_[n]) ++e;
    Level level{n, e, false};
    if (e - n > 1) {
      double total = 0, biggest = 0;
      for (int k = n; k < e; ++k) {
        const double c = node_cost(*nodes[k]);
        total += c;
        biggest = std::max(biggest, c);
      }
      level.concurrent = biggest <= 0.7 * total;
    }
    widest = std::max(widest, static_cast<size_t>(e - n));
    levels_.push_back(level);
    n = e;
  }
  for (int a = 0; a < num_arenas; ++a) {
    arenas_[a]->scratch.allocate(scratch_bytes_ * widest);
    int slot = 0;
    for (int n = 0; n < num_nodes; ++n) {
      if (n == 0 || node_level_[n] != node_level_[n - 1]) slot = 0;
      Node& node = *nodes[n];
      NodeArgs args;
      for (int32_t id : node.inputs) args.inputs.push_back(view_of(id, arenas_[a]->block.data));
      for (int32_t id : node.outputs) args.outputs.push_back(view_of(id, arenas_[a]->block.data));
      args.scratch = arenas_[a]->scratch.data + scratch_bytes_ * static_cast<size_t>(slot++);
      node.args.push_back(std::move(args));
    }
  }

  for (const std::unique_ptr<Node>& node : nodes) {
    NodeInfo info;
    info.op = node->name;
    for (int32_t id : node->inputs) info.inputs.push_back(id >= 0 ? tensor_infos_[id].name : "");
    for (int32_t id : node->outputs) info.outputs.push_back(tensor_infos_[id].name);
    info.impl = node->kernel->impl_name();
    node_info_.push_back(std::move(info));
  }
  input_ids_ = graph_inputs;
  output_ids_ = graph_outputs;
  for (int32_t id : input_ids_) {
    if (tensor_infos_[id].type != TensorType::kFloat32)
      throw ModelError("tflite: graph input '" + tensor_infos_[id].name + "' is not float32");
    input_info_.push_back(tensor_infos_[id]);
  }
  for (int32_t id : output_ids_) {
    if (tensor_infos_[id].type != TensorType::kFloat32)
      throw ModelError("tflite: graph output '" + tensor_infos_[id].name + "' is not float32");
    output_info_.push_back(tensor_infos_[id]);
  }
  nodes_ = std::move(nodes);
}

void Interpreter::run_arena(int arena, const float* const* inputs, float* const* outputs,
                            ThreadPool* pool, int sample) {
  uint8_t* base = arenas_[arena]->block.data;
  for (size_t i = 0; i < input_ids_.size(); ++i) {
    const int64_t n = input_info_[i].num_elements();
    std::memcpy(base + arena_offset_[input_ids_[i]], inputs[i] + n * sample,
                static_cast<size_t>(n) * sizeof(float));
  }
  for (const Level& level : levels_) {
    if (!pool || !level.concurrent) {
      for (int n = level.begin; n < level.end; ++n) nodes_[n]->kernel->run(nodes_[n]->args[arena], pool);
      continue;
    }
    pool->parallel_for(level.end - level.begin, [&](int64_t b, int64_t e, int) {
      for (int64_t n = level.begin + b; n < level.begin + e; ++n)
        nodes_[n]->kernel->run(nodes_[n]->args[arena], nullptr);
    });
  }
  for (size_t j = 0; j < output_ids_.size(); ++j) {
    const int32_t id = output_ids_[j];
    const int64_t n = output_info_[j].num_elements();
    const void* src = constant_ptr_[id] ? constant_ptr_[id] : base + arena_offset_[id];
    std::memcpy(outputs[j] + n * sample, src, static_cast<size_t>(n) * sizeof(float));
  }
}

void Interpreter::run(int batch, const float* const* inputs, float* const* outputs) {
  if (batch < 1) throw ModelError("batch must be >= 1");
  std::lock_guard<std::mutex> lock(run_mu_);
  const int arenas = static_cast<int>(arenas_.size());
  if (batch == 1 || arenas == 1 || !pool_) {
    for (int s = 0; s < batch; ++s) run_arena(0, inputs, outputs, pool_.get(), s);
    return;
  }
  // Whole rounds of `arenas` samples in parallel; a remainder of one runs with intra-op threads.
  const int parallel = batch - (batch % arenas == 1 ? 1 : 0);
  pool_->parallel_for(parallel, [&](int64_t begin, int64_t end, int worker) {
    for (int64_t s = begin; s < end; ++s) run_arena(worker, inputs, outputs, nullptr, static_cast<int>(s));
  });
  if (parallel < batch) run_arena(0, inputs, outputs, pool_.get(), batch - 1);
}

std::vector<std::vector<float>> Interpreter::run_capture(const float* const* inputs,
                                                         const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(run_mu_);
  std::map<int32_t, std::vector<size_t>> wanted;  // tensor id -> result slots
  std::vector<std::vector<float>> result(names.size());
  std::vector<bool> filled(names.size(), false);
  for (size_t i = 0; i < names.size(); ++i) {
    int32_t found = -1;
    for (size_t t = 0; t < tensor_infos_.size(); ++t)
      if (tensor_infos_[t].name == names[i]) { found = static_cast<int32_t>(t); break; }
    if (found < 0) throw ModelError("no tensor named '" + names[i] + "'");
    if (tensor_infos_[found].type != TensorType::kFloat32 &&
        !(constant_ptr_[found] && tensor_infos_[found].type == TensorType::kFloat16))
      throw ModelError("tensor '" + names[i] + "' is not float32");
    wanted[found].push_back(i);
  }
  auto copy_out = [&](int32_t id, const void* src) {
    auto it = wanted.find(id);
    if (it == wanted.end()) return;
    const int64_t n = tensor_infos_[id].num_elements();
    for (size_t slot : it->second) {
      result[slot].resize(static_cast<size_t>(n));
      if (tensor_infos_[id].type == TensorType::kFloat16) {
        const uint16_t* h = static_cast<const uint16_t*>(src);
        for (int64_t k = 0; k < n; ++k) result[slot][k] = ref::half_to_float(h[k]);
      } else {
        std::memcpy(result[slot].data(), src, static_cast<size_t>(n) * sizeof(float));
      }
      filled[slot] = true;
    }
  };
  uint8_t* base = arenas_[0]->block.data;
  for (size_t t = 0; t < tensor_infos_.size(); ++t)
    if (constant_ptr_[t]) copy_out(static_cast<int32_t>(t), constant_ptr_[t]);
  for (size_t i = 0; i < input_ids_.size(); ++i) {
    const int64_t n = input_info_[i].num_elements();
    std::memcpy(base + arena_offset_[input_ids_[i]], inputs[i], static_cast<size_t>(n) * sizeof(float));
    copy_out(input_ids_[i], inputs[i]);
  }
  for (const std::unique_ptr<Node>& node : nodes_) {
    node->kernel->run(node->args[0], nullptr);
    for (int32_t id : node->outputs) copy_out(id, base + arena_offset_[id]);
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!filled[i])
      throw ModelError("tensor '" + names[i] +
                       "' is not kept by the execution plan (fused or folded away); "
                       "load the model with fusion off to observe it");
  return result;
}

std::vector<double> Interpreter::profile_nodes(const float* const* inputs, int iters) {
  if (iters < 1) throw ModelError("iters must be >= 1");
  std::lock_guard<std::mutex> lock(run_mu_);
  uint8_t* base = arenas_[0]->block.data;
  for (size_t i = 0; i < input_ids_.size(); ++i) {
    const int64_t n = input_info_[i].num_elements();
    std::memcpy(base + arena_offset_[input_ids_[i]], inputs[i], static_cast<size_t>(n) * sizeof(float));
  }
  std::vector<std::vector<double>> t(nodes_.size(), std::vector<double>(static_cast<size_t>(iters)));
  for (int it = 0; it < iters; ++it) {
    for (size_t n = 0; n < nodes_.size(); ++n) {
      const auto t0 = std::chrono::steady_clock::now();
      nodes_[n]->kernel->run(nodes_[n]->args[0], pool_.get());
      t[n][static_cast<size_t>(it)] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  std::vector<double> median(nodes_.size());
  for (size_t n = 0; n < nodes_.size(); ++n) {
    std::nth_element(t[n].begin(), t[n].begin() + iters / 2, t[n].end());
    median[n] = t[n][static_cast<size_t>(iters / 2)];
  }
  return median;
}

}  // namespace fmn
