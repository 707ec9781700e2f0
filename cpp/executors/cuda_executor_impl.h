// The CUDA executor's body (contract: cuda_executor.h), written once against ops/cuda/'s device
// API and launchers and compiled twice: in cuda_executor.cc with FMN_CUDA_NS = cuda (the GPU,
// only in builds with nvcc) and in cuda_executor_emulated.cc with FMN_CUDA_NS = cuda_emu (the
// CPU emulation, always). Include it once per translation unit, after defining FMN_CUDA_NS.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "executors/cuda_executor.h"
#include "model/tflite_model.h"
#include "ops/cuda/cuda_device.h"
#include "ops/cuda/cuda_kernels.h"
#include "ops/reference/custom_ops.h"
#include "ops/reference/reference_kernels.h"
#include "ops/reference/reference_ops.h"
#include "runtime/conv_geometry.h"
#include "runtime/executor.h"
#include "runtime/graph_plan.h"
#include "runtime/kernel.h"

namespace fmn {
namespace FMN_CUDA_NS {

class CudaExecutor final : public CudaModelExecutor {
 public:
  CudaExecutor(const ModelDef& model, const CudaExecutorOptions& options, std::string label)
      : options_(options), label_(std::move(label)) {
    if (options_.max_graphs < 1) options_.max_graphs = 1;
    set_device(options_.device);
    plan_.reset(new GraphPlan(model, create_reference_kernel, options_.fuse, kMaxFoldedBytes,
                              /*narrow_residuals=*/true, /*fold_pads=*/true));
    stream_ = stream_create();
    try {
      build();
      ensure_capacity(1);
      graph_for(1, false);  // the batch-1 launch sequence, decided at load
    } catch (...) {
      release();
      throw;
    }
  }

  ~CudaExecutor() override { release(); }

  const std::vector<TensorInfo>& inputs() const override { return input_info_; }
  const std::vector<TensorInfo>& outputs() const override { return output_info_; }
  const std::vector<NodeInfo>& nodes() const override { return node_info_; }
  std::string device() const override { return label_; }

  void run(int batch, const float* const* inputs, float* const* outputs) override {
    if (batch < 1) throw ModelError("cuda: batch must be >= 1, got " + std::to_string(batch));
    std::lock_guard<std::mutex> lock(mu_);
    set_device(options_.device);
    ensure_capacity(batch);
    for (size_t i = 0; i < input_ids_.size(); ++i)
      std::memcpy(pinned_in_[i], inputs[i], sample_bytes(input_ids_[i]) * static_cast<size_t>(batch));
    graph_launch(graph_for(batch, false), stream_);
    finish(batch, outputs);
  }

  void run_from_device(int batch, const float* device_input, float* const* outputs) override {
    if (batch < 1) throw ModelError("cuda: batch must be >= 1, got " + std::to_string(batch));
    if (input_ids_.size() != 1) throw ModelError("cuda: run_from_device needs a model with one input");
    std::lock_guard<std::mutex> lock(mu_);
    set_device(options_.device);
    ensure_capacity(batch);
    copy_on_device(dev(input_ids_[0]), device_input, sample_bytes(input_ids_[0]) * static_cast<size_t>(batch), stream_);
    graph_launch(graph_for(batch, true), stream_);
    finish(batch, outputs);
  }

 private:
  static constexpr size_t kMaxFoldedBytes = size_t{256} << 20;
  static constexpr size_t kDevAlign = 256;
  using Launch = std::function<void(int batch, Stream s)>;

  static size_t align_dev(size_t v) { return (v + kDevAlign - 1) / kDevAlign * kDevAlign; }

  [[noreturn]] void unsupported(const PlannedNode& n, const std::string& why) const {
    const std::string out = n.outputs.empty() ? std::string("?") : plan_->tensors()[static_cast<size_t>(n.outputs[0])].name;
    throw ModelError("cuda: " + n.name + " (output '" + out + "'): " + why);
  }

  size_t sample_bytes(int32_t id) const { return plan_->bytes(id); }
  int64_t sample_elems(int32_t id) const { return plan_->num_elements(id); }
  int64_t sample_stride(int32_t id) const { return plan_->is_constant(id) ? 0 : sample_elems(id); }

  // The device address of tensor `id` (samples back to back for activations).
  float* dev(int32_t id) const {
    if (id < 0) return nullptr;
    if (const_dev_[static_cast<size_t>(id)] != nullptr) return static_cast<float*>(const_dev_[static_cast<size_t>(id)]);
    return reinterpret_cast<float*>(arena_ + static_cast<size_t>(offset_[static_cast<size_t>(id)]) * capacity_);
  }

  // Device memory owned by the executor for its lifetime (constants, tables).
  template <typename T>
  const T* upload(const T* data, size_t count) {
    void* p = device_alloc(std::max<size_t>(count, 1) * sizeof(T));
    owned_.push_back(p);
    if (count > 0) {
      copy_to_device(p, data, count * sizeof(T), stream_);
      stream_sync(stream_);
    }
    return static_cast<const T*>(p);
  }
  template <typename T>
  const T* upload(const std::vector<T>& v) { return upload(v.data(), v.size()); }

  const std::vector<int32_t>& shape(int32_t id) const { return plan_->tensors()[static_cast<size_t>(id)].shape; }

  void build() {
    const size_t num_tensors = plan_->tensors().size();
    const_dev_.assign(num_tensors, nullptr);
    offset_.assign(num_tensors, -1);
    for (int32_t id : plan_->inputs()) {
      if (plan_->tensors()[static_cast<size_t>(id)].type != TensorType::kFloat32)
        throw ModelError("cuda: graph input '" + plan_->tensors()[static_cast<size_t>(id)].name + "' is not float32");
    }
    for (int32_t id : plan_->outputs()) {
      if (plan_->tensors()[static_cast<size_t>(id)].type != TensorType::kFloat32)
        throw ModelError("cuda: graph output '" + plan_->tensors()[static_cast<size_t>(id)].name + "' is not float32");
    }
    // Constants every node reads, uploaded once (CONV_2D filters are repacked by their node).
    for (const PlannedNode& n : plan_->nodes()) {
      for (size_t k = 0; k < n.inputs.size(); ++k) {
        const int32_t id = n.inputs[k];
        if (!plan_->is_constant(id) || const_dev_[static_cast<size_t>(id)] != nullptr) continue;
        const bool conv_filter = k == 1 && n.op.builtin_code == builtin::kConv2d;
        if (conv_filter) continue;
        const auto* bytes = static_cast<const uint8_t*>(plan_->constant(id));
        const_dev_[static_cast<size_t>(id)] = const_cast<uint8_t*>(upload(bytes, plan_->bytes(id)));
      }
    }
    for (int32_t id : plan_->outputs()) {
      if (plan_->is_constant(id) && const_dev_[static_cast<size_t>(id)] == nullptr) {
        const auto* bytes = static_cast<const uint8_t*>(plan_->constant(id));
        const_dev_[static_cast<size_t>(id)] = const_cast<uint8_t*>(upload(bytes, plan_->bytes(id)));
      }
    }
    plan_memory();
    for (const PlannedNode& n : plan_->nodes()) {
      validate_with_reference(n);
      launches_.push_back(make_launch(n));
      NodeInfo info;
      info.op = n.name;
      for (int32_t id : n.inputs) info.inputs.push_back(id >= 0 ? plan_->tensors()[static_cast<size_t>(id)].name : "");
      for (int32_t id : n.outputs) info.outputs.push_back(plan_->tensors()[static_cast<size_t>(id)].name);
      info.impl = "cuda";
      node_info_.push_back(std::move(info));
    }
    for (int32_t id : plan_->inputs()) {
      input_ids_.push_back(id);
      input_info_.push_back(info_of(id));
    }
    for (int32_t id : plan_->outputs()) {
      output_ids_.push_back(id);
      output_info_.push_back(info_of(id));
    }
  }

  TensorInfo info_of(int32_t id) const {
    const TensorDef& t = plan_->tensors()[static_cast<size_t>(id)];
    TensorInfo info;
    info.name = t.name;
    info.shape = t.shape;
    info.type = t.type;
    return info;
  }

  // Liveness over the node order; first fit, per-sample offsets (scaled by the capacity).
  void plan_memory() {
    const size_t num_tensors = plan_->tensors().size();
    const int num_nodes = static_cast<int>(plan_->nodes().size());
    std::vector<int> first(num_tensors, -1), last(num_tensors, -2);
    std::vector<bool> live(num_tensors, false);
    for (int32_t id : plan_->inputs()) {
      live[static_cast<size_t>(id)] = true;
      first[static_cast<size_t>(id)] = -1;
      last[static_cast<size_t>(id)] = std::max(last[static_cast<size_t>(id)], -1);
    }
    for (int n = 0; n < num_nodes; ++n) {
      const PlannedNode& node = plan_->nodes()[static_cast<size_t>(n)];
      for (int32_t id : node.outputs) {
        live[static_cast<size_t>(id)] = true;
        first[static_cast<size_t>(id)] = n;
        last[static_cast<size_t>(id)] = std::max(last[static_cast<size_t>(id)], n);
      }
      for (int32_t id : node.inputs)
        if (id >= 0) last[static_cast<size_t>(id)] = std::max(last[static_cast<size_t>(id)], n);
    }
    for (int32_t id : plan_->outputs()) last[static_cast<size_t>(id)] = num_nodes;
    std::vector<int32_t> order;
    for (size_t t = 0; t < num_tensors; ++t)
      if (live[t] && !plan_->is_constant(static_cast<int32_t>(t))) order.push_back(static_cast<int32_t>(t));
    for (int32_t t : order)
      if (tensor_type_size(plan_->tensors()[static_cast<size_t>(t)].type) == 0)
        throw ModelError("cuda: tensor '" + plan_->tensors()[static_cast<size_t>(t)].name + "' has an unsupported type");
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return sample_bytes(a) > sample_bytes(b); });
    std::vector<int32_t> placed;
    size_t total = 0;
    for (int32_t t : order) {
      const size_t size = align_dev(std::max<size_t>(sample_bytes(t), 1));
      std::vector<std::pair<size_t, size_t>> busy;
      for (int32_t p : placed)
        if (first[static_cast<size_t>(p)] <= last[static_cast<size_t>(t)] &&
            first[static_cast<size_t>(t)] <= last[static_cast<size_t>(p)])
          busy.emplace_back(static_cast<size_t>(offset_[static_cast<size_t>(p)]),
                            static_cast<size_t>(offset_[static_cast<size_t>(p)]) + align_dev(std::max<size_t>(sample_bytes(p), 1)));
      std::sort(busy.begin(), busy.end());
      size_t off = 0;
      for (const auto& r : busy) {
        if (off + size <= r.first) break;
        off = std::max(off, r.second);
      }
      offset_[static_cast<size_t>(t)] = static_cast<int64_t>(off);
      total = std::max(total, off + size);
      placed.push_back(t);
    }
    sample_arena_bytes_ = std::max<size_t>(total, kDevAlign);
  }

  // Host views for the reference kernel: constants with their data, activations in `host`.
  OpContext host_context(const PlannedNode& n, std::vector<std::vector<float>>* host) const {
    OpContext ctx;
    ctx.op = &n.op;
    ctx.op_name = n.name;
    ctx.epilogue = n.epilogue;
    ctx.padding = n.padding;
    auto view = [&](int32_t id) {
      TensorView v;
      if (id < 0) return v;
      v = plan_->view(id);
      if (!plan_->is_constant(id)) {
        host->emplace_back(static_cast<size_t>(std::max<int64_t>(sample_elems(id), 1)) *
                               std::max<size_t>(tensor_type_size(v.type), 4) / 4 + 1,
                           0.0f);
        v.data = host->back().data();
      }
      return v;
    };
    host->reserve(n.inputs.size() + n.outputs.size());
    for (int32_t id : n.inputs) ctx.inputs.push_back(view(id));
    for (int32_t id : n.outputs) ctx.outputs.push_back(view(id));
    return ctx;
  }

  // The reference kernel's prepare() checks the node's operands and options exactly as the CPU
  // path does, so both reject the same models with the same messages.
  void validate_with_reference(const PlannedNode& n) const {
    std::vector<std::vector<float>> host;
    OpContext ctx = host_context(n, &host);
    std::unique_ptr<Kernel> k = create_reference_kernel(ctx);
    k->prepare(ctx);
  }

  static void activation_of(const PlannedNode& n, float* lo, float* hi) { activation_range(n.op.options.activation, lo, hi); }

  Launch make_launch(const PlannedNode& n) {
    for (int32_t id : n.inputs)
      if (id >= 0 && plan_->tensors()[static_cast<size_t>(id)].type != TensorType::kFloat32 &&
          !plan_->is_constant(id))
        unsupported(n, "non-float32 activations are not supported by the CUDA backend");
    for (int32_t id : n.outputs)
      if (plan_->tensors()[static_cast<size_t>(id)].type != TensorType::kFloat32)
        unsupported(n, "non-float32 outputs are not supported by the CUDA backend");
    const int32_t code = n.op.builtin_code;
    switch (code) {
      case builtin::kConv2d:
      case builtin::kDepthwiseConv2d: return make_conv(n, code == builtin::kDepthwiseConv2d);
      case builtin::kMaxPool2d: return make_pool(n);
      case builtin::kAdd: return make_binary(n, Binary::kAdd, true);
      case builtin::kMul: return make_binary(n, Binary::kMul, true);
      case builtin::kSub: return make_binary(n, Binary::kSub, true);
      case builtin::kDiv: return make_binary(n, Binary::kDiv, true);
      case builtin::kSquaredDifference: return make_binary(n, Binary::kSquaredDifference, false);
      case builtin::kPrelu: return make_binary(n, Binary::kPrelu, false);
      case builtin::kRelu: return make_unary(n, Unary::kRelu);
      case builtin::kRelu6: return make_unary(n, Unary::kRelu6);
      case builtin::kLogistic: return make_unary(n, Unary::kLogistic);
      case builtin::kNeg: return make_unary(n, Unary::kNeg);
      case builtin::kSqrt: return make_unary(n, Unary::kSqrt);
      case builtin::kRsqrt: return make_unary(n, Unary::kRsqrt);
      case builtin::kMean: return make_reduce(n, true);
      case builtin::kSum: return make_reduce(n, false);
      case builtin::kResizeBilinear: return make_resize(n);
      case builtin::kReshape:
        if (!plan_->is_constant(n.inputs[0])) return make_copy(n);
        return make_gather(n);
      case builtin::kPad:
      case builtin::kPadv2:
      case builtin::kConcatenation:
      case builtin::kStridedSlice:
      case builtin::kTranspose:
      case builtin::kDepthToSpace: return make_gather(n);
      case builtin::kCustom:
        if (n.name == "Landmarks2TransformMatrix") return make_landmarks_to_matrix(n);
        if (n.name == "TransformTensorBilinear") return make_transform_tensor(n);
        if (n.name == "TransformLandmarks") return make_transform_landmarks(n);
        break;
      default: break;
    }
    unsupported(n, "this op has no CUDA kernel");
  }

  Launch make_conv(const PlannedNode& n, bool depthwise) {
    const int32_t in = n.inputs[0], filter = n.inputs[1];
    const int32_t bias = n.inputs.size() > 2 ? n.inputs[2] : -1;
    if (!plan_->is_constant(filter)) unsupported(n, "the filter must be constant");
    if (bias >= 0 && !plan_->is_constant(bias)) unsupported(n, "the bias must be constant");
    if (plan_->tensors()[static_cast<size_t>(filter)].type != TensorType::kFloat32)
      unsupported(n, "the filter must be float32");
    const std::vector<int32_t>& is = shape(in);
    const std::vector<int32_t>& fs = shape(filter);
    const std::vector<int32_t>& os = shape(n.outputs[0]);
    const BuiltinOptions& o = n.op.options;
    ConvArgs a;
    a.ih = is[1]; a.iw = is[2]; a.ic = is[3];
    a.kh = fs[1]; a.kw = fs[2];
    a.oh = os[1]; a.ow = os[2]; a.oc = os[3];
    a.sh = o.stride_h; a.sw = o.stride_w; a.dh = o.dilation_h; a.dw = o.dilation_w;
    int oh = 0, ow = 0;
    if (n.padding.is_explicit) {
      oh = conv_output_size_explicit(a.ih, n.padding.top, n.padding.bottom, a.kh, a.sh, a.dh, &a.pt);
      ow = conv_output_size_explicit(a.iw, n.padding.left, n.padding.right, a.kw, a.sw, a.dw, &a.pl);
    } else {
      oh = conv_output_size(o.padding, a.ih, a.kh, a.sh, a.dh, &a.pt);
      ow = conv_output_size(o.padding, a.iw, a.kw, a.sw, a.dw, &a.pl);
    }
    if (oh != a.oh || ow != a.ow) unsupported(n, "output size differs from the window's");
    activation_of(n, &a.act_lo, &a.act_hi);
    const float* w = static_cast<const float*>(plan_->constant(filter));
    if (depthwise) {
      a.depth_multiplier = a.ic > 0 ? a.oc / a.ic : 1;
      a.filter = static_cast<const float*>(const_dev_[static_cast<size_t>(filter)]);
    } else {
      // [oc, kh, kw, ic] -> [kh, kw, ic, oc]
      std::vector<float> packed(static_cast<size_t>(a.oc) * a.kh * a.kw * a.ic);
      for (int oc = 0; oc < a.oc; ++oc)
        for (int t = 0; t < a.kh * a.kw; ++t)
          for (int c = 0; c < a.ic; ++c)
            packed[(static_cast<size_t>(t) * a.ic + c) * a.oc + oc] =
                w[(static_cast<size_t>(oc) * a.kh * a.kw + t) * a.ic + c];
      a.filter = upload(packed);
    }
    if (bias >= 0) a.bias = static_cast<const float*>(const_dev_[static_cast<size_t>(bias)]);
    const Epilogue& e = n.epilogue;
    int32_t residual = -1;
    if (e.has_residual) {
      residual = n.inputs[3];
      if (plan_->is_constant(residual)) a.ep.residual_pixels = static_cast<int64_t>(is[0]) * a.oh * a.ow;
      a.ep.residual_channels = e.residual_channels > 0 ? e.residual_channels : a.oc;
    }
    if (e.prelu_alpha != nullptr) a.ep.prelu = upload(e.prelu_alpha, static_cast<size_t>(a.oc));
    a.ep.post_lo = e.post_lo;
    a.ep.post_hi = e.post_hi;
    const int images = is[0];
    return [this, a, in, residual, images, out = n.outputs[0], depthwise](int batch, Stream s) {
      ConvArgs r = a;
      r.in = dev(in);
      r.out = dev(out);
      r.ep.residual = residual >= 0 ? dev(residual) : nullptr;
      r.images = images * batch;
      if (depthwise) depthwise_conv2d(r, s);
      else conv2d(r, s);
    };
  }

  Launch make_pool(const PlannedNode& n) {
    const std::vector<int32_t>& is = shape(n.inputs[0]);
    const std::vector<int32_t>& os = shape(n.outputs[0]);
    const BuiltinOptions& o = n.op.options;
    PoolArgs a;
    a.ih = is[1]; a.iw = is[2]; a.c = is[3]; a.oh = os[1]; a.ow = os[2];
    a.kh = o.filter_h; a.kw = o.filter_w; a.sh = o.stride_h; a.sw = o.stride_w;
    if (conv_output_size(o.padding, a.ih, a.kh, a.sh, 1, &a.pt) != a.oh ||
        conv_output_size(o.padding, a.iw, a.kw, a.sw, 1, &a.pl) != a.ow)
      unsupported(n, "output size differs from the window's");
    activation_of(n, &a.act_lo, &a.act_hi);
    if (plan_->is_constant(n.inputs[0])) unsupported(n, "a constant input is not supported");
    const int images = is[0];
    return [this, a, in = n.inputs[0], out = n.outputs[0], images](int batch, Stream s) {
      PoolArgs r = a;
      r.in = dev(in);
      r.out = dev(out);
      r.images = images * batch;
      max_pool2d(r, s);
    };
  }

  Launch make_binary(const PlannedNode& n, Binary op, bool has_activation) {
    const int32_t x = n.inputs[0], y = n.inputs[1], out = n.outputs[0];
    const std::vector<int32_t>& os = shape(out);
    if (os.size() > static_cast<size_t>(kMaxRank)) unsupported(n, "rank above 6");
    BinaryArgs a;
    a.op = op;
    if (has_activation) activation_of(n, &a.act_lo, &a.act_hi);
    const size_t pad = kMaxRank - os.size();
    for (size_t d = 0; d < os.size(); ++d) a.dims[pad + d] = os[d];
    auto strides = [&](int32_t id, int64_t* st) {
      const std::vector<int32_t>& s = shape(id);
      if (s.size() > os.size()) unsupported(n, "an operand of higher rank than the output");
      const size_t off = kMaxRank - s.size();
      int64_t stride = 1;
      for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
        const size_t k = off + static_cast<size_t>(d);
        st[k] = (s[static_cast<size_t>(d)] == 1 && a.dims[k] != 1) ? 0 : stride;
        stride *= s[static_cast<size_t>(d)];
      }
    };
    strides(x, a.a_strides);
    strides(y, a.b_strides);
    a.a_sample = sample_stride(x);
    a.b_sample = sample_stride(y);
    a.out_sample = sample_elems(out);
    return [this, a, x, y, out](int batch, Stream s) {
      BinaryArgs r = a;
      r.a = dev(x);
      r.b = dev(y);
      r.out = dev(out);
      r.batch = batch;
      binary(r, s);
    };
  }

  Launch make_unary(const PlannedNode& n, Unary op) {
    const int32_t in = n.inputs[0], out = n.outputs[0];
    if (plan_->is_constant(in)) unsupported(n, "a constant input is not supported");
    return [this, op, in, out](int batch, Stream s) {
      UnaryArgs a;
      a.in = dev(in);
      a.out = dev(out);
      a.count = sample_elems(out) * batch;
      a.op = op;
      unary(a, s);
    };
  }

  Launch make_copy(const PlannedNode& n) {
    const int32_t in = n.inputs[0], out = n.outputs[0];
    return [this, in, out](int batch, Stream s) {
      copy_on_device(dev(out), dev(in), sample_bytes(out) * static_cast<size_t>(batch), s);
    };
  }

  // The index map of a data-movement op, from its reference kernel run on inputs whose every
  // element is its own position (1-based across the payload inputs; 0 is the pad value).
  Launch make_gather(const PlannedNode& n) {
    const int32_t code = n.op.builtin_code;
    std::vector<size_t> payload;  // input slots that carry data
    if (code == builtin::kConcatenation) {
      for (size_t k = 0; k < n.inputs.size(); ++k) payload.push_back(k);
    } else {
      payload.push_back(0);
    }
    if (payload.size() > static_cast<size_t>(kMaxGatherInputs))
      unsupported(n, "more than " + std::to_string(kMaxGatherInputs) + " inputs");
    std::vector<std::vector<float>> host;
    OpContext ctx = host_context(n, &host);
    std::vector<std::vector<float>> encoded(payload.size());
    std::vector<int64_t> base(payload.size() + 1, 0);
    for (size_t p = 0; p < payload.size(); ++p) {
      const int32_t id = n.inputs[payload[p]];
      if (plan_->tensors()[static_cast<size_t>(id)].type != TensorType::kFloat32)
        unsupported(n, "non-float32 data");
      base[p + 1] = base[p] + sample_elems(id);
    }
    if (base.back() >= (int64_t{1} << 24)) unsupported(n, "inputs above 2^24 elements");
    for (size_t p = 0; p < payload.size(); ++p) {
      encoded[p].resize(static_cast<size_t>(base[p + 1] - base[p]));
      for (size_t i = 0; i < encoded[p].size(); ++i) encoded[p][i] = static_cast<float>(base[p] + static_cast<int64_t>(i) + 1);
      ctx.inputs[payload[p]].data = encoded[p].data();
      ctx.inputs[payload[p]].is_constant = false;
    }
    float pad_value = 0.0f, zero = 0.0f;
    if (code == builtin::kPadv2 && n.inputs.size() > 2 && n.inputs[2] >= 0) {
      if (!plan_->is_constant(n.inputs[2])) unsupported(n, "the pad value must be constant");
      pad_value = *static_cast<const float*>(plan_->constant(n.inputs[2]));
      ctx.inputs[2].data = &zero;  // pads read as 0, i.e. "no input element"
    }
    GatherArgs a;
    if (code == builtin::kConcatenation) activation_of(n, &a.act_lo, &a.act_hi);
    {
      // Encoded positions must pass unclamped through the reference (a fused activation
      // would clamp them), so the map is built without it; the kernel applies it.
      OperatorDef op = n.op;
      op.options.activation = Activation::kNone;
      OpContext plain = ctx;
      plain.op = &op;
      std::unique_ptr<Kernel> k = create_reference_kernel(plain);
      std::vector<uint8_t> scratch(k->prepare(plain) + 64);
      NodeArgs args;
      args.inputs = plain.inputs;
      args.outputs = plain.outputs;
      args.scratch = scratch.data();
      k->run(args, nullptr);
    }
    const int32_t out = n.outputs[0];
    const float* mapped = ctx.outputs[0].f32();
    const int64_t count = sample_elems(out);
    std::vector<int32_t> which(static_cast<size_t>(count)), offset(static_cast<size_t>(count));
    for (int64_t j = 0; j < count; ++j) {
      const float v = mapped[j];
      const int64_t code_j = static_cast<int64_t>(v);
      if (!(v >= 0.0f) || static_cast<float>(code_j) != v || code_j > base.back())
        unsupported(n, "its reference kernel does not move elements (index map)");
      if (code_j == 0) {
        which[static_cast<size_t>(j)] = -1;
        offset[static_cast<size_t>(j)] = 0;
        continue;
      }
      size_t p = 0;
      while (code_j - 1 >= base[p + 1]) ++p;
      which[static_cast<size_t>(j)] = static_cast<int32_t>(p);
      offset[static_cast<size_t>(j)] = static_cast<int32_t>(code_j - 1 - base[p]);
    }
    a.which = upload(which);
    a.offset = upload(offset);
    a.out_sample = count;
    a.pad_value = pad_value;
    std::vector<int32_t> srcs;
    for (size_t p = 0; p < payload.size(); ++p) {
      srcs.push_back(n.inputs[payload[p]]);
      a.src_sample[p] = sample_stride(n.inputs[payload[p]]);
    }
    return [this, a, srcs, out](int batch, Stream s) {
      GatherArgs r = a;
      for (size_t p = 0; p < srcs.size(); ++p) r.src[p] = dev(srcs[p]);
      r.out = dev(out);
      r.batch = batch;
      gather(r, s);
    };
  }

  Launch make_reduce(const PlannedNode& n, bool mean) {
    const int32_t in = n.inputs[0], axes = n.inputs[1], out = n.outputs[0];
    const std::vector<int32_t>& is = shape(in);
    const int rank = static_cast<int>(is.size());
    std::vector<bool> reduced(static_cast<size_t>(rank), false);
    const int32_t* ax = static_cast<const int32_t*>(plan_->constant(axes));
    for (int64_t i = 0; i < plan_->num_elements(axes); ++i) reduced[static_cast<size_t>(ax[i] < 0 ? ax[i] + rank : ax[i])] = true;
    std::vector<int64_t> stride(static_cast<size_t>(rank), 1);
    for (int d = rank - 2; d >= 0; --d) stride[static_cast<size_t>(d)] = stride[static_cast<size_t>(d) + 1] * is[static_cast<size_t>(d) + 1];
    // Offsets of the reduced set and of each output's first element.
    std::vector<int32_t> rel{0}, bases{0};
    for (int d = 0; d < rank; ++d) {
      std::vector<int32_t>& v = reduced[static_cast<size_t>(d)] ? rel : bases;
      std::vector<int32_t> next;
      next.reserve(v.size() * static_cast<size_t>(is[static_cast<size_t>(d)]));
      for (int32_t b : v)
        for (int32_t i = 0; i < is[static_cast<size_t>(d)]; ++i)
          next.push_back(static_cast<int32_t>(b + i * stride[static_cast<size_t>(d)]));
      v.swap(next);
    }
    if (static_cast<int64_t>(bases.size()) != sample_elems(out)) unsupported(n, "unexpected output size");
    ReduceArgs a;
    a.base = upload(bases);
    a.rel = upload(rel);
    a.in_sample = sample_stride(in);
    a.out_sample = static_cast<int>(bases.size());
    a.reduced = static_cast<int>(rel.size());
    a.scale = mean ? static_cast<float>(1.0 / static_cast<double>(rel.size())) : 1.0f;
    return [this, a, in, out](int batch, Stream s) {
      ReduceArgs r = a;
      r.in = dev(in);
      r.out = dev(out);
      r.batch = batch;
      reduce(r, s);
    };
  }

  Launch make_resize(const PlannedNode& n) {
    const int32_t in = n.inputs[0], out = n.outputs[0];
    const std::vector<int32_t>& is = shape(in);
    const std::vector<int32_t>& os = shape(out);
    if (plan_->is_constant(in)) unsupported(n, "a constant input is not supported");
    ResizeArgs a;
    a.ih = is[1]; a.iw = is[2]; a.c = is[3]; a.oh = os[1]; a.ow = os[2];
    std::vector<int32_t> y0, y1, x0, x1;
    std::vector<float> dy, dx;
    ref::resize_bilinear_taps(a.ih, a.oh, n.op.options.align_corners, n.op.options.half_pixel_centers, &y0, &y1, &dy);
    ref::resize_bilinear_taps(a.iw, a.ow, n.op.options.align_corners, n.op.options.half_pixel_centers, &x0, &x1, &dx);
    a.y0 = upload(y0); a.y1 = upload(y1); a.dy = upload(dy);
    a.x0 = upload(x0); a.x1 = upload(x1); a.dx = upload(dx);
    const int images = is[0];
    return [this, a, in, out, images](int batch, Stream s) {
      ResizeArgs r = a;
      r.in = dev(in);
      r.out = dev(out);
      r.images = images * batch;
      resize_bilinear(r, s);
    };
  }

  Launch make_landmarks_to_matrix(const PlannedNode& n) {
    std::vector<std::vector<float>> host;
    const OpContext ctx = host_context(n, &host);
    const ref::LandmarksToMatrixParams p = ref::landmarks_to_matrix_params(ctx);
    const int32_t in = n.inputs[0], out = n.outputs[0];
    if (plan_->is_constant(in)) unsupported(n, "a constant input is not supported");
    LandmarksToMatrixArgs a;
    a.subset = upload(p.subset_idxs);
    a.subset_count = static_cast<int>(p.subset_idxs.size());
    a.num_landmarks = shape(in)[1];
    a.left = p.left_rotation_idx;
    a.right = p.right_rotation_idx;
    a.output_width = p.output_width;
    a.output_height = p.output_height;
    a.target_rotation = p.target_rotation_radians;
    a.scale_x = p.scale_x;
    a.scale_y = p.scale_y;
    const int per_sample = shape(in)[0];
    return [this, a, in, out, per_sample](int batch, Stream s) {
      LandmarksToMatrixArgs r = a;
      r.in = dev(in);
      r.out = dev(out);
      r.samples = per_sample * batch;
      landmarks_to_transform_matrix(r, s);
    };
  }

  MatrixRef matrix_ref(int32_t mat, int images_per_sample) const {
    MatrixRef m;
    m.mat_sample = sample_stride(mat);
    m.images_per_sample = images_per_sample;
    m.per_image = shape(mat)[0] != 1;
    return m;
  }

  Launch make_transform_tensor(const PlannedNode& n) {
    const int32_t in = n.inputs[0], mat = n.inputs[1], out = n.outputs[0];
    if (plan_->is_constant(in)) unsupported(n, "a constant input is not supported");
    const std::vector<int32_t>& is = shape(in);
    const std::vector<int32_t>& os = shape(out);
    TransformTensorArgs a;
    a.ih = is[1]; a.iw = is[2]; a.c = is[3]; a.oh = os[1]; a.ow = os[2];
    a.m = matrix_ref(mat, is[0]);
    const int images = is[0];
    return [this, a, in, mat, out, images](int batch, Stream s) {
      TransformTensorArgs r = a;
      r.in = dev(in);
      r.m.mat = dev(mat);
      r.out = dev(out);
      r.images = images * batch;
      transform_tensor_bilinear(r, s);
    };
  }

  Launch make_transform_landmarks(const PlannedNode& n) {
    const int32_t in = n.inputs[0], mat = n.inputs[1], out = n.outputs[0];
    if (plan_->is_constant(in)) unsupported(n, "a constant input is not supported");
    const std::vector<int32_t>& is = shape(in);
    TransformLandmarksArgs a;
    a.num = is[1];
    a.dims = is[2];
    a.m = matrix_ref(mat, is[0]);
    const int images = is[0];
    return [this, a, in, mat, out, images](int batch, Stream s) {
      TransformLandmarksArgs r = a;
      r.in = dev(in);
      r.m.mat = dev(mat);
      r.out = dev(out);
      r.images = images * batch;
      transform_landmarks(r, s);
    };
  }

  void finish(int batch, float* const* outputs) {
    stream_sync(stream_);
    for (size_t j = 0; j < output_ids_.size(); ++j)
      std::memcpy(outputs[j], pinned_out_[j], sample_bytes(output_ids_[j]) * static_cast<size_t>(batch));
  }

  // ---- memory and graphs --------------------------------------------------------------------

  void ensure_capacity(int batch) {
    if (batch <= capacity_) return;
    const int want = capacity_ == 0 ? batch : std::max(batch, std::min(capacity_ * 2, capacity_ + 4096));
    drop_graphs();
    free_buffers();
    const size_t arena_bytes = sample_arena_bytes_ * static_cast<size_t>(want);
    arena_ = static_cast<uint8_t*>(device_alloc(arena_bytes));
    capacity_ = want;
    for (int32_t id : input_ids_) pinned_in_.push_back(pinned_alloc(sample_bytes(id) * static_cast<size_t>(want)));
    for (int32_t id : output_ids_) pinned_out_.push_back(pinned_alloc(sample_bytes(id) * static_cast<size_t>(want)));
  }

  // The launch sequence of one batch size: upload from the pinned staging, every kernel,
  // download into it. Captured once per batch size and replayed.
  // resident: the inputs are already on the device (run_from_device): no upload.
  GraphHandle graph_for(int batch, bool resident) {
    const int key = resident ? -batch : batch;
    for (auto it = graphs_.begin(); it != graphs_.end(); ++it) {
      if (it->first != key) continue;
      graphs_.splice(graphs_.begin(), graphs_, it);
      return graphs_.front().second;
    }
    begin_capture(stream_);
    try {
      for (size_t i = 0; i < input_ids_.size() && !resident; ++i)
        copy_to_device(dev(input_ids_[i]), pinned_in_[i], sample_bytes(input_ids_[i]) * static_cast<size_t>(batch), stream_);
      for (const Launch& l : launches_) l(batch, stream_);
      for (size_t j = 0; j < output_ids_.size(); ++j) {
        const int32_t id = output_ids_[j];
        if (plan_->is_constant(id)) {
          for (int b = 0; b < batch; ++b)
            copy_to_host(static_cast<uint8_t*>(pinned_out_[j]) + sample_bytes(id) * static_cast<size_t>(b), dev(id), sample_bytes(id), stream_);
        } else {
          copy_to_host(pinned_out_[j], dev(id), sample_bytes(id) * static_cast<size_t>(batch), stream_);
        }
      }
    } catch (...) {
      try {
        graph_destroy(end_capture(stream_));
      } catch (...) {
      }
      throw;
    }
    GraphHandle g = end_capture(stream_);
    check_launch("the model's kernels");
    graphs_.emplace_front(key, g);
    while (static_cast<int>(graphs_.size()) > options_.max_graphs) {
      graph_destroy(graphs_.back().second);
      graphs_.pop_back();
    }
    return g;
  }

  void drop_graphs() {
    for (auto& g : graphs_) graph_destroy(g.second);
    graphs_.clear();
  }

  void free_buffers() {
    device_free(arena_);
    arena_ = nullptr;
    for (void* p : pinned_in_) pinned_free(p);
    for (void* p : pinned_out_) pinned_free(p);
    pinned_in_.clear();
    pinned_out_.clear();
    capacity_ = 0;
  }

  void release() {
    try {
      drop_graphs();
      free_buffers();
      for (void* p : owned_) device_free(p);
      owned_.clear();
      if (stream_ != nullptr) stream_destroy(stream_);
      stream_ = nullptr;
    } catch (...) {
      // Tearing down after a device failure: nothing more can be released.
    }
  }

  CudaExecutorOptions options_;
  std::string label_;
  std::unique_ptr<GraphPlan> plan_;
  Stream stream_ = nullptr;
  std::vector<void*> owned_;
  std::vector<void*> const_dev_;
  std::vector<int64_t> offset_;
  size_t sample_arena_bytes_ = 0;
  uint8_t* arena_ = nullptr;
  int capacity_ = 0;
  std::vector<void*> pinned_in_, pinned_out_;
  std::vector<Launch> launches_;
  std::list<std::pair<int, GraphHandle>> graphs_;
  std::vector<int32_t> input_ids_, output_ids_;
  std::vector<TensorInfo> input_info_, output_info_;
  std::vector<NodeInfo> node_info_;
  std::mutex mu_;
};

}  // namespace FMN_CUDA_NS
}  // namespace fmn
