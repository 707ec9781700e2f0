#include "executors/gl_executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "ops/gl/kernels/gl_kernels.h"
#include "ops/reference/reference_kernels.h"
#include "ops/reference/reference_ops.h"
#include "runtime/graph_plan.h"

namespace fmn {
namespace gl {

namespace {

struct PlanNode : PlannedNode {
  bool alias = false;  // output shares the input's storage (RESHAPE, float32 DEQUANTIZE)
};

}  // namespace

struct GlExecutor::Impl : public GlBuildContext {
  GlContext* ctx = nullptr;
  std::unique_ptr<GraphPlan> plan;                      // owns the constants (folded ones too)
  std::vector<int32_t> root;                            // per tensor: storage owner
  std::vector<bool> f16;                                // per root: half-float storage
  std::vector<GLuint> tensor_buffer;                    // per tensor (via root)
  std::vector<GLuint> buffers;                          // activation + constant buffers
  std::map<std::string, GLuint> programs;
  std::vector<GlDispatch> dispatches;
  std::vector<int32_t> input_ids, output_ids;
  size_t constant_bytes = 0;

  // Deletes the GL objects (also when the constructor throws half way).
  ~Impl() override {
    if (!ctx) return;
    try {
      if (!ctx->is_current()) ctx->make_current();
      const GlesApi& gl = ctx->gl();
      for (auto& p : programs) gl.DeleteProgram(p.second);
      if (!buffers.empty()) gl.DeleteBuffers(static_cast<GLsizei>(buffers.size()), buffers.data());
      gl.GetError();
    } catch (...) {
      // The context could not be made current on this thread: its objects go with it.
    }
  }

  GLuint program(const std::string& source, const std::string& label) override {
    auto it = programs.find(source);
    if (it != programs.end()) return it->second;
    const GLuint p = ctx->compile_compute_program(source, label);
    programs.emplace(source, p);
    return p;
  }

  GLuint constant_buffer(const void* data, size_t bytes) override {
    const GlesApi& gl = ctx->gl();
    GLuint b = 0;
    gl.GenBuffers(1, &b);
    buffers.push_back(b);
    gl.BindBuffer(gles::kShaderStorageBuffer, b);
    const size_t size = std::max<size_t>(bytes, 16);
    if (bytes >= 16) {
      gl.BufferData(gles::kShaderStorageBuffer, static_cast<GLsizeiptr>(size), data, gles::kStaticDraw);
    } else {
      std::vector<uint8_t> padded(size, 0);
      if (bytes) std::memcpy(padded.data(), data, bytes);
      gl.BufferData(gles::kShaderStorageBuffer, static_cast<GLsizeiptr>(size), padded.data(), gles::kStaticDraw);
    }
    ctx->check_error("GL executor: uploading a constant buffer");
    if (gl_fault_injected("alloc"))
      throw GlError("GL executor: uploading a constant buffer: GL_OUT_OF_MEMORY (injected by "
                    "FMN_GL_FAULT=alloc)");
    constant_bytes += size;
    return b;
  }

  GlTensor gl_tensor(int32_t id) const {
    GlTensor t;
    if (id < 0) {
      t.present = false;
      return t;
    }
    t.shape = plan->tensors()[id].shape;
    t.type = plan->tensors()[id].type;
    t.host = plan->constant(id);
    if (!t.host) {
      t.buffer = tensor_buffer[root[id]];
      t.f16 = f16[root[id]];
    }
    return t;
  }
};

size_t GlExecutor::num_dispatches() const { return impl_->dispatches.size(); }
size_t GlExecutor::num_programs() const { return impl_->programs.size(); }

GlExecutor::GlExecutor(const ModelDef& model, GlContext* ctx, int max_batch,
                       const GlExecutorOptions& options)
    : ctx_(ctx), max_batch_(max_batch), fp16_storage_(options.fp16_storage), impl_(new Impl) {
  if (ctx == nullptr) throw GlError("GL executor: no GL context");
  if (max_batch < 1 || max_batch > 65535)
    throw ModelError("max_batch must be in 1..65535, got " + std::to_string(max_batch));
  if (!ctx->is_current()) ctx->make_current();
  Impl& im = *impl_;
  im.ctx = ctx;
  // Validation, constants, folding on the CPU and fusion: shared with the CPU interpreter.
  // Without fold_pads: the GL conv kernels take the op's SAME / VALID padding only.
  im.plan.reset(new GraphPlan(model, create_reference_kernel, options.fuse));
  const size_t num_tensors = im.plan->tensors().size();
  std::vector<std::unique_ptr<PlanNode>> nodes;
  for (const PlannedNode& p : im.plan->nodes()) {
    std::unique_ptr<PlanNode> node(new PlanNode);
    static_cast<PlannedNode&>(*node) = p;
    nodes.push_back(std::move(node));
  }
  auto is_float = [&](int32_t t) { return t >= 0 && im.plan->tensors()[t].type == TensorType::kFloat32; };

  // Validation by the reference kernels (shapes, types, options), and storage aliasing.
  im.root.resize(num_tensors);
  for (size_t t = 0; t < num_tensors; ++t) im.root[t] = static_cast<int32_t>(t);
  for (const std::unique_ptr<PlanNode>& node : nodes) {
    OpContext c;
    c.op = &node->op;
    c.op_name = node->name;
    c.epilogue = node->epilogue;
    c.padding = node->padding;
    if (node->padding.is_explicit)
      throw GlUnsupportedError(node->name + ": explicit conv padding is not supported on GL");
    for (int32_t id : node->inputs) c.inputs.push_back(im.plan->view(id));
    for (int32_t id : node->outputs) c.outputs.push_back(im.plan->view(id));
    create_reference_kernel(c)->prepare(c);
    for (int32_t id : node->inputs)
      if (id >= 0 && !im.plan->constant(id) && !is_float(id))
        throw GlUnsupportedError(node->name + ": GL runs float32 activations only; '" + im.plan->tensors()[id].name +
                                 "' is " + tensor_type_name(im.plan->tensors()[id].type));
    for (int32_t id : node->outputs)
      if (!is_float(id))
        throw GlUnsupportedError(node->name + ": GL runs float32 activations only; '" + im.plan->tensors()[id].name +
                                 "' is " + tensor_type_name(im.plan->tensors()[id].type));
    const int32_t code = node->op.builtin_code;
    if (code == builtin::kReshape || code == builtin::kDequantize) {
      node->alias = true;
      im.root[node->outputs[0]] = im.root[node->inputs[0]];
    }
  }

  // Storage precision per root: with fp16_storage, half floats except for graph inputs and
  // outputs and the coordinate tensors of the landmark custom ops (see GlExecutorOptions).
  im.f16.assign(num_tensors, false);
  if (options.fp16_storage) {
    std::vector<bool> keep32(num_tensors, false);
    for (int32_t id : model.inputs) keep32[im.root[id]] = true;
    for (int32_t id : model.outputs) keep32[im.root[id]] = true;
    for (const std::unique_ptr<PlanNode>& node : nodes) {
      if (node->op.builtin_code != builtin::kCustom) continue;
      if (node->name == "TransformTensorBilinear") {
        if (node->inputs.size() > 1 && node->inputs[1] >= 0) keep32[im.root[node->inputs[1]]] = true;
        continue;
      }
      for (int32_t id : node->inputs)
        if (id >= 0) keep32[im.root[id]] = true;
      for (int32_t id : node->outputs) keep32[im.root[id]] = true;
    }
    for (size_t t = 0; t < num_tensors; ++t)
      im.f16[t] = im.root[t] == static_cast<int32_t>(t) && !im.plan->constant(t) && !keep32[t];
  }

  // Liveness over storage roots, then greedy assignment to shared buffers (best fit among
  // buffers whose previous tenants are dead before the tensor is first written).
  const int num_nodes = static_cast<int>(nodes.size());
  std::vector<int> first(num_tensors, std::numeric_limits<int>::max()), last(num_tensors, -1);
  auto touch = [&](int32_t id, int n) {
    if (id < 0 || im.plan->constant(id)) return;
    const int32_t r = im.root[id];
    first[r] = std::min(first[r], n);
    last[r] = std::max(last[r], n);
  };
  for (int32_t id : model.inputs) touch(id, -1);
  for (int n = 0; n < num_nodes; ++n) {
    for (int32_t id : nodes[n]->inputs) touch(id, n);
    for (int32_t id : nodes[n]->outputs) touch(id, n);
  }
  for (int32_t id : model.outputs) touch(id, num_nodes);
  std::vector<int32_t> order;
  std::vector<size_t> need(num_tensors, 0);
  for (size_t t = 0; t < num_tensors; ++t) {
    if (im.root[t] != static_cast<int32_t>(t) || last[t] < 0) continue;
    order.push_back(static_cast<int32_t>(t));
  }
  // A root's storage holds the largest of the tensors aliasing it (they have equal sizes).
  for (size_t t = 0; t < num_tensors; ++t)
    if (!im.plan->constant(t)) need[im.root[t]] = std::max(need[im.root[t]], im.plan->bytes(static_cast<int32_t>(t)));
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return first[a] < first[b]; });
  const long long block_limit = ctx->info().limits.ssbo_block_bytes;
  struct Slot {
    size_t bytes = 0;
    int busy_until = -2;
  };
  std::vector<Slot> slots;
  std::vector<int> slot_of(num_tensors, -1);
  for (int32_t t : order) {
    size_t bytes = std::max<size_t>(need[t], 4) * static_cast<size_t>(max_batch);
    if (im.f16[t]) bytes = (need[t] / 4 * static_cast<size_t>(max_batch) + 1) / 2 * 4;  // whole words of half pairs
    bytes = std::max<size_t>(bytes, 4);
    if (block_limit > 0 && static_cast<long long>(bytes) > block_limit)
      throw GlUnsupportedError("GL: tensor '" + im.plan->tensors()[t].name + "' needs " + std::to_string(bytes) +
                               " bytes for max_batch " + std::to_string(max_batch) +
                               ", above GL_MAX_SHADER_STORAGE_BLOCK_SIZE (" + std::to_string(block_limit) + ")");
    int best = -1;
    for (size_t s = 0; s < slots.size(); ++s) {
      if (slots[s].busy_until >= first[t]) continue;
      if (best < 0) { best = static_cast<int>(s); continue; }
      const Slot& b = slots[best];
      const bool fits = slots[s].bytes >= bytes, best_fits = b.bytes >= bytes;
      if ((fits && (!best_fits || slots[s].bytes < b.bytes)) || (!fits && !best_fits && slots[s].bytes > b.bytes))
        best = static_cast<int>(s);
    }
    if (best < 0) {
      slots.push_back(Slot());
      best = static_cast<int>(slots.size()) - 1;
    }
    slots[best].bytes = std::max(slots[best].bytes, bytes);
    slots[best].busy_until = last[t];
    slot_of[t] = best;
  }
  const GlesApi& gl = ctx->gl();
  std::vector<GLuint> slot_buffer(slots.size(), 0);
  for (size_t s = 0; s < slots.size(); ++s) {
    gl.GenBuffers(1, &slot_buffer[s]);
    im.buffers.push_back(slot_buffer[s]);
    gl.BindBuffer(gles::kShaderStorageBuffer, slot_buffer[s]);
    gl.BufferData(gles::kShaderStorageBuffer, static_cast<GLsizeiptr>(slots[s].bytes), nullptr, gles::kDynamicCopy);
    ctx->check_error("GL executor: allocating activation buffers");
    activation_bytes_ += slots[s].bytes;
  }
  im.tensor_buffer.assign(num_tensors, 0);
  for (size_t t = 0; t < num_tensors; ++t)
    if (slot_of[t] >= 0) im.tensor_buffer[t] = slot_buffer[slot_of[t]];

  // Dispatches.
  for (const std::unique_ptr<PlanNode>& node : nodes) {
    NodeInfo info;
    info.op = node->name;
    for (int32_t id : node->inputs) info.inputs.push_back(id >= 0 ? im.plan->tensors()[id].name : "");
    for (int32_t id : node->outputs) info.outputs.push_back(im.plan->tensors()[id].name);
    info.impl = node->alias ? "gl.alias" : "gl";
    node_info_.push_back(std::move(info));
    if (node->alias) continue;
    GlNode g;
    g.op = &node->op;
    g.op_name = node->name;
    g.epilogue = node->epilogue;
    g.fp16_weights = options.fp16_storage;
    for (int32_t id : node->inputs) g.inputs.push_back(im.gl_tensor(id));
    for (int32_t id : node->outputs) g.outputs.push_back(im.gl_tensor(id));
    switch (node->op.builtin_code) {
      case builtin::kConv2d: build_conv2d(g, im, &im.dispatches); break;
      case builtin::kDepthwiseConv2d: build_depthwise_conv2d(g, im, &im.dispatches); break;
      case builtin::kMaxPool2d: build_max_pool2d(g, im, &im.dispatches); break;
      case builtin::kAdd:
      case builtin::kMul:
      case builtin::kPrelu:
      case builtin::kRelu:
      case builtin::kRelu6:
      case builtin::kLogistic:
      case builtin::kSub:
      case builtin::kDiv:
      case builtin::kSquaredDifference:
      case builtin::kNeg:
      case builtin::kSqrt:
      case builtin::kRsqrt: build_elementwise(g, im, &im.dispatches); break;
      case builtin::kMean:
      case builtin::kSum: build_reduce(g, im, &im.dispatches); break;
      case builtin::kTranspose: build_transpose(g, im, &im.dispatches); break;
      case builtin::kPad: build_pad(g, im, &im.dispatches); break;
      case builtin::kConcatenation: build_concatenation(g, im, &im.dispatches); break;
      case builtin::kStridedSlice: build_strided_slice(g, im, &im.dispatches); break;
      case builtin::kResizeBilinear: build_resize_bilinear(g, im, &im.dispatches); break;
      case builtin::kDepthToSpace: build_depth_to_space(g, im, &im.dispatches); break;
      case builtin::kCustom: build_custom(g, im, &im.dispatches); break;
      default:
        throw GlUnsupportedError("GL: unsupported operator " + node->name);
    }
  }
  ctx->check_error("GL executor: building the plan");

  im.input_ids = model.inputs;
  im.output_ids = model.outputs;
  auto info_of = [&](int32_t id) {
    TensorInfo t;
    t.name = im.plan->tensors()[id].name;
    t.shape = im.plan->tensors()[id].shape;
    t.type = im.plan->tensors()[id].type;
    return t;
  };
  for (int32_t id : model.inputs) {
    if (!is_float(id)) throw ModelError("tflite: graph input '" + im.plan->tensors()[id].name + "' is not float32");
    input_info_.push_back(info_of(id));
  }
  for (int32_t id : model.outputs) {
    if (!is_float(id)) throw ModelError("tflite: graph output '" + im.plan->tensors()[id].name + "' is not float32");
    output_info_.push_back(info_of(id));
  }
  constant_bytes_ = im.constant_bytes;
}

GlExecutor::~GlExecutor() = default;

void GlExecutor::run(int batch, const float* const* inputs, float* const* outputs) {
  if (batch < 1) throw ModelError("batch must be >= 1");
  if (gl_fault_injected("run"))
    throw GlError("GL executor: a model run failed: GL_CONTEXT_LOST (injected by FMN_GL_FAULT=run)");
  if (!ctx_->is_current()) ctx_->make_current();
  for (int first = 0; first < batch; first += max_batch_)
    run_pass(std::min(max_batch_, batch - first), first, inputs, outputs);
}

void GlExecutor::run_pass(int batch, int first, const float* const* inputs, float* const* outputs) {
  Impl& im = *impl_;
  const GlesApi& gl = ctx_->gl();
  for (size_t i = 0; i < im.input_ids.size(); ++i) {
    const int64_t n = input_info_[i].num_elements();
    gl.BindBuffer(gles::kShaderStorageBuffer, im.tensor_buffer[im.root[im.input_ids[i]]]);
    gl.BufferSubData(gles::kShaderStorageBuffer, 0, static_cast<GLsizeiptr>(n * batch * sizeof(float)),
                     inputs[i] + n * first);
  }
  dispatch_and_read(batch, first, outputs);
}

void GlExecutor::run_from_buffer(int batch, GLuint input_buffer, size_t offset_bytes, float* const* outputs) {
  if (batch < 1) throw ModelError("batch must be >= 1");
  if (gl_fault_injected("run"))
    throw GlError("GL executor: a model run failed: GL_CONTEXT_LOST (injected by FMN_GL_FAULT=run)");
  if (input_info_.size() != 1)
    throw ModelError("run_from_buffer needs a model with one input, this one has " +
                     std::to_string(input_info_.size()));
  if (offset_bytes % 4 != 0) throw ModelError("run_from_buffer: offset must be a multiple of 4");
  if (!ctx_->is_current()) ctx_->make_current();
  Impl& im = *impl_;
  const GlesApi& gl = ctx_->gl();
  const size_t sample_bytes = static_cast<size_t>(input_info_[0].num_elements()) * sizeof(float);
  const GLuint dst = im.tensor_buffer[im.root[im.input_ids[0]]];
  for (int first = 0; first < batch; first += max_batch_) {
    const int n = std::min(max_batch_, batch - first);
    gl.BindBuffer(gles::kCopyReadBuffer, input_buffer);
    gl.BindBuffer(gles::kCopyWriteBuffer, dst);
    gl.CopyBufferSubData(gles::kCopyReadBuffer, gles::kCopyWriteBuffer,
                         static_cast<GLintptr>(offset_bytes + sample_bytes * static_cast<size_t>(first)), 0,
                         static_cast<GLsizeiptr>(sample_bytes * static_cast<size_t>(n)));
    gl.BindBuffer(gles::kCopyReadBuffer, 0);
    gl.BindBuffer(gles::kCopyWriteBuffer, 0);
    ctx_->check_error("GL executor: copying the input buffer");
    dispatch_and_read(n, first, outputs);
  }
}

void GlExecutor::dispatch_and_read(int batch, int first, float* const* outputs) {
  Impl& im = *impl_;
  const GlesApi& gl = ctx_->gl();
  GLuint current = 0;
  for (const GlDispatch& d : im.dispatches) {
    if (d.program != current) {
      gl.UseProgram(d.program);
      current = d.program;
    }
    for (const GlBinding& b : d.bindings) gl.BindBufferBase(gles::kShaderStorageBuffer, b.index, b.buffer);
    gl.DispatchCompute(d.grid.groups_x, d.grid.groups_y, static_cast<GLuint>(batch));
    gl.MemoryBarrier(gles::kShaderStorageBarrierBit);
  }
  gl.MemoryBarrier(gles::kBufferUpdateBarrierBit);
  ctx_->check_error("GL executor: dispatching");
  for (size_t j = 0; j < im.output_ids.size(); ++j) {
    const int32_t id = im.output_ids[j];
    const int64_t n = output_info_[j].num_elements();
    float* dst = outputs[j] + n * first;
    if (im.plan->constant(id)) {
      for (int s = 0; s < batch; ++s) std::memcpy(dst + n * s, im.plan->constant(id), static_cast<size_t>(n) * sizeof(float));
      continue;
    }
    const GLsizeiptr bytes = static_cast<GLsizeiptr>(n * batch * sizeof(float));
    gl.BindBuffer(gles::kShaderStorageBuffer, im.tensor_buffer[im.root[id]]);
    const void* mapped = gl.MapBufferRange(gles::kShaderStorageBuffer, 0, bytes, gles::kMapReadBit);
    if (mapped == nullptr) {
      ctx_->check_error("GL executor: glMapBufferRange");
      throw GlError("GL executor: glMapBufferRange returned null for output '" + output_info_[j].name + "'");
    }
    std::memcpy(dst, mapped, static_cast<size_t>(bytes));
    gl.UnmapBuffer(gles::kShaderStorageBuffer);
  }
  gl.BindBuffer(gles::kShaderStorageBuffer, 0);
  ctx_->check_error("GL executor: reading outputs");
}

}  // namespace gl
}  // namespace fmn
