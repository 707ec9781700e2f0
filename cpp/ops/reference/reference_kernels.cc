// Reference Kernel implementations for every builtin op the face models use.
// prepare() validates operand types and shapes against what the op computes, so that a model
// that passes load can never make run() read or write out of bounds.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>

#include "ops/reference/custom_ops.h"
#include "ops/reference/reference_kernels.h"
#include "ops/reference/reference_ops.h"
#include "runtime/kernel.h"

namespace fmn {

namespace {

std::string shape_str(const std::vector<int32_t>& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? "," : "") << s[i];
  os << "]";
  return os.str();
}

[[noreturn]] void fail(const OpContext& ctx, const std::string& what) {
  throw ModelError(ctx.op_name + ": " + what);
}

void expect_io(const OpContext& ctx, size_t min_in, size_t max_in, size_t n_out) {
  if (ctx.inputs.size() < min_in || ctx.inputs.size() > max_in)
    fail(ctx, "expected " + std::to_string(min_in) + ".." + std::to_string(max_in) +
                  " inputs, got " + std::to_string(ctx.inputs.size()));
  if (ctx.outputs.size() != n_out)
    fail(ctx, "expected " + std::to_string(n_out) + " outputs, got " +
                  std::to_string(ctx.outputs.size()));
}

void expect_float(const OpContext& ctx, const TensorView& t, const char* role) {
  if (t.type != TensorType::kFloat32)
    fail(ctx, std::string(role) + " must be float32, is " + tensor_type_name(t.type));
}

void expect_rank(const OpContext& ctx, const TensorView& t, int rank, const char* role) {
  if (t.rank() != rank)
    fail(ctx, std::string(role) + " must have rank " + std::to_string(rank) + ", has shape " +
                  shape_str(t.shape));
}

void expect_shape(const OpContext& ctx, const TensorView& t, const std::vector<int32_t>& want,
                  const char* role) {
  if (t.shape != want)
    fail(ctx, std::string(role) + " has shape " + shape_str(t.shape) + " but the op computes " +
                  shape_str(want));
}

bool present(const OpContext& ctx, size_t i) {
  return i < ctx.inputs.size() && (ctx.inputs[i].data != nullptr || ctx.inputs[i].is_constant);
}

// ---------------------------------------------------------------------------------------------
// CONV_2D and DEPTHWISE_CONV_2D (with an optional fused epilogue).
class ConvKernel : public Kernel {
 public:
  explicit ConvKernel(bool depthwise) : depthwise_(depthwise) {}

  size_t prepare(const OpContext& ctx) override {
    const BuiltinOptions& o = ctx.op->options;
    epilogue_ = ctx.epilogue;
    expect_io(ctx, 2, epilogue_.has_residual ? 4 : 3, 1);
    const TensorView& in = ctx.inputs[0];
    const TensorView& w = ctx.inputs[1];
    const TensorView& out = ctx.outputs[0];
    expect_float(ctx, in, "input");
    expect_float(ctx, w, "filter");
    expect_float(ctx, out, "output");
    expect_rank(ctx, in, 4, "input");
    expect_rank(ctx, w, 4, "filter");
    if (!w.is_constant) fail(ctx, "filter must be a constant");
    if (o.stride_h < 1 || o.stride_w < 1 || o.dilation_h < 1 || o.dilation_w < 1 ||
        o.stride_h > 64 || o.stride_w > 64 || o.dilation_h > 64 || o.dilation_w > 64)
      fail(ctx, "stride and dilation must be in 1..64");
    n_ = in.dim(0); ih_ = in.dim(1); iw_ = in.dim(2); ic_ = in.dim(3);
    kh_ = w.dim(1); kw_ = w.dim(2);
    if (depthwise_) {
      if (w.dim(0) != 1) fail(ctx, "depthwise filter must be [1,kh,kw,oc], is " + shape_str(w.shape));
      oc_ = w.dim(3);
      if (ic_ <= 0 || oc_ % ic_ != 0) fail(ctx, "filter channels must be a multiple of input channels");
      dm_ = oc_ / ic_;  // TFLite derives the multiplier from the shapes, not the option
    } else {
      oc_ = w.dim(0);
      if (w.dim(3) != ic_)
        fail(ctx, "filter " + shape_str(w.shape) + " does not match input channels " + std::to_string(ic_));
    }
    p_.stride_h = o.stride_h; p_.stride_w = o.stride_w;
    p_.dilation_h = o.dilation_h; p_.dilation_w = o.dilation_w;
    const ConvPadding& cp = ctx.padding;
    if (cp.is_explicit) {
      if (cp.top < 0 || cp.left < 0 || cp.bottom < 0 || cp.right < 0 || cp.top > (1 << 16) ||
          cp.left > (1 << 16) || cp.bottom > (1 << 16) || cp.right > (1 << 16))
        fail(ctx, "explicit padding out of range");
      oh_ = ref::conv_output_size_explicit(ih_, cp.top, cp.bottom, kh_, o.stride_h, o.dilation_h, &p_.pad_top);
      ow_ = ref::conv_output_size_explicit(iw_, cp.left, cp.right, kw_, o.stride_w, o.dilation_w, &p_.pad_left);
    } else {
      oh_ = ref::conv_output_size(o.padding, ih_, kh_, o.stride_h, o.dilation_h, &p_.pad_top);
      ow_ = ref::conv_output_size(o.padding, iw_, kw_, o.stride_w, o.dilation_w, &p_.pad_left);
    }
    activation_range(o.activation, &p_.act_lo, &p_.act_hi);
    expect_shape(ctx, out, {n_, oh_, ow_, oc_}, "output");
    has_bias_ = present(ctx, 2);
    if (has_bias_) {
      const TensorView& b = ctx.inputs[2];
      expect_float(ctx, b, "bias");
      if (!b.is_constant) fail(ctx, "bias must be a constant");
      if (b.num_elements() != oc_) fail(ctx, "bias has " + std::to_string(b.num_elements()) +
                                                 " elements, expected " + std::to_string(oc_));
    }
    if (epilogue_.has_residual) {
      if (ctx.inputs.size() < 4) fail(ctx, "fused residual missing");
      expect_float(ctx, ctx.inputs[3], "residual");
      const int rc = epilogue_.residual_channels;
      if (rc < 0 || (rc > 0 && rc >= oc_))
        fail(ctx, "residual_channels " + std::to_string(rc) + " must be 0 or in 1.." +
                      std::to_string(oc_ - 1));
      expect_shape(ctx, ctx.inputs[3], rc > 0 ? std::vector<int32_t>{n_, oh_, ow_, rc} : out.shape,
                   "residual");
    }
    if (epilogue_.prelu_alpha) {
      alpha_.assign(epilogue_.prelu_alpha, epilogue_.prelu_alpha + oc_);
      epilogue_.prelu_alpha = alpha_.data();
    }
    return 0;
  }

  void run(const NodeArgs& a, ThreadPool*) const override {
    const float* bias = has_bias_ ? a.inputs[2].f32() : nullptr;
    float* out = a.outputs[0].f32();
    if (depthwise_) {
      ref::depthwise_conv2d(a.inputs[0].f32(), n_, ih_, iw_, ic_, a.inputs[1].f32(), kh_, kw_, dm_,
                            bias, p_, out, oh_, ow_);
    } else {
      ref::conv2d(a.inputs[0].f32(), n_, ih_, iw_, ic_, a.inputs[1].f32(), oc_, kh_, kw_, bias, p_,
                  out, oh_, ow_);
    }
    if (epilogue_.has_residual || epilogue_.prelu_alpha || std::isfinite(epilogue_.post_lo) ||
        std::isfinite(epilogue_.post_hi)) {
      const float* residual = epilogue_.has_residual ? a.inputs[3].f32() : nullptr;
      ref::apply_epilogue(out, static_cast<int64_t>(n_) * oh_ * ow_ * oc_, oc_, epilogue_, residual);
    }
  }
  const char* impl_name() const override { return "reference"; }

 private:
  bool depthwise_;
  int n_ = 0, ih_ = 0, iw_ = 0, ic_ = 0, oc_ = 0, kh_ = 0, kw_ = 0, dm_ = 1, oh_ = 0, ow_ = 0;
  bool has_bias_ = false;
  ref::Conv2DParams p_;
  Epilogue epilogue_;
  std::vector<float> alpha_;
};

// ---------------------------------------------------------------------------------------------
class MaxPoolKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    const BuiltinOptions& o = ctx.op->options;
    expect_io(ctx, 1, 1, 1);
    const TensorView& in = ctx.inputs[0];
    expect_float(ctx, in, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    expect_rank(ctx, in, 4, "input");
    if (o.stride_h < 1 || o.stride_w < 1 || o.filter_h < 1 || o.filter_w < 1 || o.stride_h > 64 ||
        o.stride_w > 64 || o.filter_h > 64 || o.filter_w > 64)
      fail(ctx, "filter and stride must be in 1..64");
    n_ = in.dim(0); ih_ = in.dim(1); iw_ = in.dim(2); c_ = in.dim(3);
    kh_ = o.filter_h; kw_ = o.filter_w;
    p_.stride_h = o.stride_h; p_.stride_w = o.stride_w;
    oh_ = ref::conv_output_size(o.padding, ih_, kh_, o.stride_h, 1, &p_.pad_top);
    ow_ = ref::conv_output_size(o.padding, iw_, kw_, o.stride_w, 1, &p_.pad_left);
    activation_range(o.activation, &p_.act_lo, &p_.act_hi);
    expect_shape(ctx, ctx.outputs[0], {n_, oh_, ow_, c_}, "output");
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    ref::max_pool2d(a.inputs[0].f32(), n_, ih_, iw_, c_, kh_, kw_, p_, a.outputs[0].f32(), oh_, ow_);
  }
  const char* impl_name() const override { return "reference"; }

 private:
  int n_ = 0, ih_ = 0, iw_ = 0, c_ = 0, kh_ = 0, kw_ = 0, oh_ = 0, ow_ = 0;
  ref::Conv2DParams p_;
};

// ---------------------------------------------------------------------------------------------
// ADD, MUL, SUB, DIV, SQUARED_DIFFERENCE with numpy broadcasting.
class BinaryKernel : public Kernel {
 public:
  explicit BinaryKernel(ref::BinaryOp op) : op_(op) {}
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 2, 2, 1);
    for (const TensorView& t : ctx.inputs) expect_float(ctx, t, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    if (ctx.inputs[0].rank() > 6 || ctx.inputs[1].rank() > 6) fail(ctx, "rank above 6");
    a_shape_ = ctx.inputs[0].shape;
    b_shape_ = ctx.inputs[1].shape;
    out_shape_ = ref::broadcast_shape(a_shape_, b_shape_);
    expect_shape(ctx, ctx.outputs[0], out_shape_, "output");
    // SQUARED_DIFFERENCE has no options table: no fused activation.
    activation_range(op_ == ref::BinaryOp::kSquaredDifference ? Activation::kNone
                                                              : ctx.op->options.activation,
                     &lo_, &hi_);
    same_shape_ = a_shape_ == b_shape_;
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    const float* x = a.inputs[0].f32();
    const float* y = a.inputs[1].f32();
    float* out = a.outputs[0].f32();
    if (same_shape_) {
      const int64_t n = a.outputs[0].num_elements();
      for (int64_t i = 0; i < n; ++i) {
        out[i] = std::min(std::max(ref::binary_apply(op_, x[i], y[i]), lo_), hi_);
      }
      return;
    }
    ref::binary_broadcast(op_, x, a_shape_, y, b_shape_, out, out_shape_, lo_, hi_);
  }
  const char* impl_name() const override { return "reference"; }

 private:
  ref::BinaryOp op_;
  std::vector<int32_t> a_shape_, b_shape_, out_shape_;
  float lo_ = 0, hi_ = 0;
  bool same_shape_ = false;
};

// ---------------------------------------------------------------------------------------------
// PRELU: out = x >= 0 ? x : alpha * x, alpha broadcast against x.
class PreluKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 2, 2, 1);
    for (const TensorView& t : ctx.inputs) expect_float(ctx, t, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    if (ctx.inputs[0].rank() > 6 || ctx.inputs[1].rank() > 6) fail(ctx, "rank above 6");
    x_shape_ = ctx.inputs[0].shape;
    a_shape_ = ctx.inputs[1].shape;
    out_shape_ = ref::broadcast_shape(x_shape_, a_shape_);
    expect_shape(ctx, ctx.outputs[0], out_shape_, "output");
    if (out_shape_ != x_shape_) fail(ctx, "alpha must broadcast to the input's shape");
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    // Broadcast alpha into the output, then select.
    const float* x = a.inputs[0].f32();
    float* out = a.outputs[0].f32();
    const int64_t n = a.outputs[0].num_elements();
    ref::binary_broadcast(ref::BinaryOp::kMul, x, x_shape_, a.inputs[1].f32(), a_shape_, out,
                          out_shape_, -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::infinity());
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] >= 0.f ? x[i] : out[i];
  }
  const char* impl_name() const override { return "reference"; }

 private:
  std::vector<int32_t> x_shape_, a_shape_, out_shape_;
};

// ---------------------------------------------------------------------------------------------
// RELU, RELU6, LOGISTIC, NEG, SQRT, RSQRT, DEQUANTIZE (float16 -> float32): same-shape
// unary maps.
class UnaryKernel : public Kernel {
 public:
  explicit UnaryKernel(int32_t code) : code_(code) {}
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 1, 1, 1);
    const TensorView& in = ctx.inputs[0];
    if (code_ == builtin::kDequantize) {
      if (in.type != TensorType::kFloat16 && in.type != TensorType::kFloat32)
        fail(ctx, std::string("only float16 input is supported, got ") + tensor_type_name(in.type));
      src_f16_ = in.type == TensorType::kFloat16;
    } else {
      expect_float(ctx, in, "input");
    }
    expect_float(ctx, ctx.outputs[0], "output");
    expect_shape(ctx, ctx.outputs[0], in.shape, "output");
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    const int64_t n = a.outputs[0].num_elements();
    float* out = a.outputs[0].f32();
    if (code_ == builtin::kDequantize) {
      if (src_f16_) {
        const uint16_t* in = static_cast<const uint16_t*>(a.inputs[0].data);
        for (int64_t i = 0; i < n; ++i) out[i] = ref::half_to_float(in[i]);
      } else {
        std::memcpy(out, a.inputs[0].data, static_cast<size_t>(n) * sizeof(float));
      }
      return;
    }
    const float* in = a.inputs[0].f32();
    for (int64_t i = 0; i < n; ++i) {
      const float v = in[i];
      switch (code_) {
        case builtin::kRelu: out[i] = std::max(v, 0.f); break;
        case builtin::kRelu6: out[i] = std::min(std::max(v, 0.f), 6.f); break;
        case builtin::kNeg: out[i] = -v; break;
        case builtin::kSqrt: out[i] = std::sqrt(v); break;
        case builtin::kRsqrt: out[i] = 1.f / std::sqrt(v); break;
        default: out[i] = 1.f / (1.f + std::exp(-v)); break;  // LOGISTIC
      }
    }
  }
  const char* impl_name() const override { return "reference"; }

 private:
  int32_t code_;
  bool src_f16_ = false;
};

// ---------------------------------------------------------------------------------------------
// RESHAPE: a byte copy; the element count must be preserved and the model's output shape must
// agree with the requested one.
class ReshapeKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 1, 2, 1);
    const TensorView& in = ctx.inputs[0];
    const TensorView& out = ctx.outputs[0];
    if (in.type != out.type) fail(ctx, "input and output types differ");
    if (tensor_type_size(in.type) == 0) fail(ctx, "unsupported type");
    if (in.num_elements() != out.num_elements())
      fail(ctx, "cannot reshape " + shape_str(in.shape) + " to " + shape_str(out.shape));
    std::vector<int32_t> want;
    bool have_want = false;
    if (present(ctx, 1) && ctx.inputs[1].is_constant && ctx.inputs[1].type == TensorType::kInt32 &&
        ctx.inputs[1].rank() == 1) {
      const int32_t* s = ctx.inputs[1].i32();
      want.assign(s, s + ctx.inputs[1].num_elements());
      have_want = true;
    } else if (ctx.op->options.has_new_shape) {
      want = ctx.op->options.new_shape;
      have_want = true;
    }
    if (have_want) {
      int64_t known = 1;
      int unknown = -1;
      for (size_t i = 0; i < want.size(); ++i) {
        if (want[i] == -1) {
          if (unknown >= 0) fail(ctx, "more than one -1 in the new shape");
          unknown = static_cast<int>(i);
        } else if (want[i] < 0) {
          fail(ctx, "negative dimension in the new shape");
        } else {
          known *= want[i];
        }
      }
      if (unknown >= 0 && known > 0) want[unknown] = static_cast<int32_t>(in.num_elements() / known);
      expect_shape(ctx, out, want, "output");
    }
    bytes_ = static_cast<size_t>(in.num_elements()) * tensor_type_size(in.type);
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    if (a.outputs[0].data != a.inputs[0].data) std::memmove(a.outputs[0].data, a.inputs[0].data, bytes_);
  }
  const char* impl_name() const override { return "reference"; }

 private:
  size_t bytes_ = 0;
};

// ---------------------------------------------------------------------------------------------
// PAD with zeros; paddings is a constant int32 [rank, 2].
class PadKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    // PAD: [input, paddings]; PADV2: [input, paddings, constant_values (a float scalar)].
    const bool v2 = ctx.op->builtin_code == builtin::kPadv2;
    expect_io(ctx, v2 ? 3 : 2, v2 ? 3 : 2, 1);
    const TensorView& in = ctx.inputs[0];
    const TensorView& pads = ctx.inputs[1];
    value_ = 0.f;
    if (v2) {
      const TensorView& v = ctx.inputs[2];
      if (!v.is_constant || v.type != TensorType::kFloat32 || v.num_elements() != 1)
        fail(ctx, "constant_values must be a constant float32 scalar");
      value_ = v.f32()[0];
    }
    expect_float(ctx, in, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    if (!pads.is_constant || pads.type != TensorType::kInt32 || pads.rank() != 2 ||
        pads.dim(0) != in.rank() || pads.dim(1) != 2)
      fail(ctx, "paddings must be a constant int32 [" + std::to_string(in.rank()) + ",2]");
    if (in.rank() > 6) fail(ctx, "rank above 6");
    in_shape_ = in.shape;
    std::vector<int32_t> out_shape(in.shape);
    before_.assign(in.rank(), 0);
    for (int d = 0; d < in.rank(); ++d) {
      const int32_t b = pads.i32()[2 * d], e = pads.i32()[2 * d + 1];
      if (b < 0 || e < 0 || b > (1 << 16) || e > (1 << 16)) fail(ctx, "paddings out of range");
      before_[d] = b;
      out_shape[d] = in.shape[d] + b + e;
    }
    expect_shape(ctx, ctx.outputs[0], out_shape, "output");
    out_shape_ = out_shape;
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    float* out = a.outputs[0].f32();
    std::fill(out, out + a.outputs[0].num_elements(), value_);
    const float* in = a.inputs[0].f32();
    const int rank = static_cast<int>(in_shape_.size());
    int64_t total = a.inputs[0].num_elements();
    if (rank == 0) {
      if (total) out[0] = in[0];
      return;
    }
    // Copy along the innermost dimension, one row at a time.
    const int32_t inner = in_shape_[rank - 1];
    if (inner == 0) return;
    std::vector<int32_t> idx(rank, 0);
    for (int64_t row = 0; row < total / inner; ++row) {
      int64_t o = 0;
      for (int d = 0; d < rank; ++d) o = o * out_shape_[d] + idx[d] + before_[d];
      std::memcpy(out + o, in + row * inner, sizeof(float) * inner);
      for (int d = rank - 2; d >= 0; --d) {
        if (++idx[d] < in_shape_[d]) break;
        idx[d] = 0;
      }
    }
  }
  const char* impl_name() const override { return "reference"; }

 private:
  std::vector<int32_t> in_shape_, out_shape_, before_;
  float value_ = 0.f;
};

// ---------------------------------------------------------------------------------------------
class ConcatKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    if (ctx.inputs.empty() || ctx.outputs.size() != 1) fail(ctx, "needs inputs and one output");
    const TensorView& out = ctx.outputs[0];
    expect_float(ctx, out, "output");
    const int rank = out.rank();
    int axis = ctx.op->options.axis;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) fail(ctx, "axis out of range");
    activation_range(ctx.op->options.activation, &lo_, &hi_);
    int64_t sum = 0;
    outer_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= out.dim(d);
    int64_t inner = 1;
    for (int d = axis + 1; d < rank; ++d) inner *= out.dim(d);
    chunks_.clear();
    for (const TensorView& t : ctx.inputs) {
      expect_float(ctx, t, "input");
      if (t.rank() != rank) fail(ctx, "inputs must have the output's rank");
      for (int d = 0; d < rank; ++d)
        if (d != axis && t.dim(d) != out.dim(d)) fail(ctx, "input " + shape_str(t.shape) + " does not match output " + shape_str(out.shape));
      sum += t.dim(axis);
      chunks_.push_back(t.dim(axis) * inner);
    }
    if (sum != out.dim(axis)) fail(ctx, "input sizes along the axis do not add up to the output's");
    out_row_ = out.dim(axis) * inner;
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    float* out = a.outputs[0].f32();
    for (int64_t o = 0; o < outer_; ++o) {
      float* dst = out + o * out_row_;
      for (size_t i = 0; i < chunks_.size(); ++i) {
        const float* src = a.inputs[i].f32() + o * chunks_[i];
        for (int64_t k = 0; k < chunks_[i]; ++k) dst[k] = std::min(std::max(src[k], lo_), hi_);
        dst += chunks_[i];
      }
    }
  }
  const char* impl_name() const override { return "reference"; }

 private:
  int64_t outer_ = 1, out_row_ = 0;
  std::vector<int64_t> chunks_;
  float lo_ = 0, hi_ = 0;
};

// ---------------------------------------------------------------------------------------------
// STRIDED_SLICE with begin/end/strides constant int32 vectors, begin/end/shrink masks.
class StridedSliceKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 4, 4, 1);
    const TensorView& in = ctx.inputs[0];
    expect_float(ctx, in, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    const BuiltinOptions& o = ctx.op->options;
    if (o.ellipsis_mask || o.new_axis_mask) fail(ctx, "ellipsis and new-axis masks are not supported");
    const int rank = in.rank();
    if (rank > 6) fail(ctx, "rank above 6");
    for (int i = 1; i < 4; ++i) {
      const TensorView& t = ctx.inputs[i];
      if (!t.is_constant || t.type != TensorType::kInt32 || t.rank() != 1 || t.dim(0) != rank)
        fail(ctx, "begin/end/strides must be constant int32 vectors of length " + std::to_string(rank));
    }
    in_shape_ = in.shape;
    begin_.assign(rank, 0);
    stride_.assign(rank, 1);
    count_.assign(rank, 0);
    std::vector<int32_t> out_shape;
    for (int d = 0; d < rank; ++d) {
      const int32_t dim = in.dim(d);
      int32_t b = ctx.inputs[1].i32()[d], e = ctx.inputs[2].i32()[d], s = ctx.inputs[3].i32()[d];
      if (s == 0) fail(ctx, "stride 0");
      if (o.offset) e = b + e;
      const bool shrink = (o.shrink_axis_mask >> d) & 1;
      // Negative indices count from the end; then clamp to the range a stride of this sign
      // can address ([0, dim] forwards, [-1, dim - 1] backwards).
      auto clamp_index = [&](int32_t v) {
        if (v < 0) v += dim;
        if (s > 0) return std::min(std::max(v, 0), dim);
        return std::min(std::max(v, -1), dim - 1);
      };
      if ((o.begin_mask >> d) & 1) b = s > 0 ? 0 : dim - 1;
      else b = clamp_index(b);
      if (shrink) {
        e = b + 1;
        s = 1;
      } else if ((o.end_mask >> d) & 1) {
        e = s > 0 ? dim : -1;
      } else {
        e = clamp_index(e);
      }
      int32_t n = s > 0 ? (e > b ? (e - b + s - 1) / s : 0) : (b > e ? (b - e + (-s) - 1) / (-s) : 0);
      if (shrink && (b < 0 || b >= dim)) fail(ctx, "shrink index out of range");
      begin_[d] = b;
      stride_[d] = s;
      count_[d] = n;
      if (!shrink) out_shape.push_back(n);
    }
    if (ctx.outputs[0].num_elements() != [&] { int64_t t = 1; for (int32_t c : count_) t *= c; return t; }())
      fail(ctx, "output has shape " + shape_str(ctx.outputs[0].shape) + " but the slice has shape " + shape_str(out_shape));
    expect_shape(ctx, ctx.outputs[0], out_shape, "output");
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    const float* in = a.inputs[0].f32();
    float* out = a.outputs[0].f32();
    const int rank = static_cast<int>(in_shape_.size());
    const int64_t total = a.outputs[0].num_elements();
    std::vector<int32_t> idx(rank, 0);
    for (int64_t i = 0; i < total; ++i) {
      int64_t off = 0;
      for (int d = 0; d < rank; ++d) off = off * in_shape_[d] + begin_[d] + static_cast<int64_t>(idx[d]) * stride_[d];
      out[i] = in[off];
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < count_[d]) break;
        idx[d] = 0;
      }
    }
  }
  const char* impl_name() const override { return "reference"; }

 private:
  std::vector<int32_t> in_shape_, begin_, stride_, count_;
};

// ---------------------------------------------------------------------------------------------
// MEAN, SUM over constant int32 axes (negative counting from the end, repeats allowed),
// keep_dims from ReducerOptions.
class ReduceKernel : public Kernel {
 public:
  explicit ReduceKernel(bool mean) : mean_(mean) {}
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 2, 2, 1);
    const TensorView& in = ctx.inputs[0];
    const TensorView& axes = ctx.inputs[1];
    expect_float(ctx, in, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    const int rank = in.rank();
    if (rank < 1 || rank > 6) fail(ctx, "input rank must be 1..6, has shape " + shape_str(in.shape));
    if (!axes.is_constant || axes.type != TensorType::kInt32 || axes.rank() > 1)
      fail(ctx, "axes must be a constant int32 scalar or vector");
    reduce_.assign(rank, false);
    for (int64_t i = 0; i < axes.num_elements(); ++i) {
      int32_t a = axes.i32()[i];
      if (a < -rank || a >= rank) fail(ctx, "axis " + std::to_string(a) + " out of range for rank " + std::to_string(rank));
      reduce_[a < 0 ? a + rank : a] = true;
    }
    std::vector<int32_t> out_shape;
    for (int d = 0; d < rank; ++d) {
      if (!reduce_[d]) out_shape.push_back(in.dim(d));
      else if (ctx.op->options.keep_dims) out_shape.push_back(1);
    }
    expect_shape(ctx, ctx.outputs[0], out_shape, "output");
    in_shape_ = in.shape;
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    ref::reduce(mean_, a.inputs[0].f32(), in_shape_, reduce_, a.outputs[0].f32());
  }
  const char* impl_name() const override { return "reference"; }

 private:
  bool mean_;
  std::vector<int32_t> in_shape_;
  std::vector<bool> reduce_;
};

// ---------------------------------------------------------------------------------------------
// TRANSPOSE with a constant int32 permutation.
class TransposeKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 2, 2, 1);
    const TensorView& in = ctx.inputs[0];
    const TensorView& perm = ctx.inputs[1];
    expect_float(ctx, in, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    const int rank = in.rank();
    if (rank < 1 || rank > 6) fail(ctx, "input rank must be 1..6, has shape " + shape_str(in.shape));
    if (!perm.is_constant || perm.type != TensorType::kInt32 || perm.rank() != 1 || perm.dim(0) != rank)
      fail(ctx, "perm must be a constant int32 vector of length " + std::to_string(rank));
    perm_.assign(perm.i32(), perm.i32() + rank);
    std::vector<bool> seen(rank, false);
    std::vector<int32_t> out_shape(rank);
    for (int d = 0; d < rank; ++d) {
      const int32_t p = perm_[d];
      if (p < 0 || p >= rank || seen[p]) fail(ctx, "perm " + shape_str(perm_) + " is not a permutation");
      seen[p] = true;
      out_shape[d] = in.dim(p);
    }
    expect_shape(ctx, ctx.outputs[0], out_shape, "output");
    in_shape_ = in.shape;
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    ref::transpose(a.inputs[0].f32(), in_shape_, perm_, a.outputs[0].f32());
  }
  const char* impl_name() const override { return "reference"; }

 private:
  std::vector<int32_t> in_shape_, perm_;
};

// ---------------------------------------------------------------------------------------------
// DENSIFY: a sparse constant (input 0, SparsityDef) to a dense tensor of the same shape and
// type. Its input is always constant, so GraphPlan folds it at load.
class DensifyKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 1, 1, 1);
    const TensorView& in = ctx.inputs[0];
    const TensorView& out = ctx.outputs[0];
    if (!in.is_constant || !in.sparsity) fail(ctx, "input must be a sparse constant");
    if (out.sparsity) fail(ctx, "output must be dense");
    if (in.type != out.type)
      fail(ctx, std::string("output type ") + tensor_type_name(out.type) + " differs from the input's " +
                    tensor_type_name(in.type));
    esize_ = tensor_type_size(in.type);
    if (esize_ == 0) fail(ctx, std::string("unsupported type ") + tensor_type_name(in.type));
    expect_shape(ctx, out, in.shape, "output");
    shape_ = in.shape;
    sparsity_ = in.sparsity;
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    ref::densify(*sparsity_, shape_, a.inputs[0].data, esize_, a.outputs[0].data);
  }
  const char* impl_name() const override { return "reference"; }

 private:
  std::vector<int32_t> shape_;
  const SparsityDef* sparsity_ = nullptr;
  size_t esize_ = 0;
};

// ---------------------------------------------------------------------------------------------
// RESIZE_BILINEAR (float32, NHWC) to the constant int32 [2] size (height, width).
class ResizeBilinearKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 2, 2, 1);
    const TensorView& in = ctx.inputs[0];
    const TensorView& size = ctx.inputs[1];
    expect_float(ctx, in, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    expect_rank(ctx, in, 4, "input");
    if (!size.is_constant || size.type != TensorType::kInt32 || size.rank() != 1 || size.dim(0) != 2)
      fail(ctx, "size must be a constant int32 [2]");
    const BuiltinOptions& o = ctx.op->options;
    if (o.align_corners && o.half_pixel_centers)
      fail(ctx, "align_corners and half_pixel_centers cannot both be set");
    n_ = in.dim(0); ih_ = in.dim(1); iw_ = in.dim(2); c_ = in.dim(3);
    oh_ = size.i32()[0]; ow_ = size.i32()[1];
    if (oh_ < 1 || ow_ < 1 || oh_ > (1 << 16) || ow_ > (1 << 16))
      fail(ctx, "output size " + std::to_string(oh_) + "x" + std::to_string(ow_) + " out of range");
    if (ih_ < 1 || iw_ < 1) fail(ctx, "input has shape " + shape_str(in.shape));
    expect_shape(ctx, ctx.outputs[0], {n_, oh_, ow_, c_}, "output");
    align_ = o.align_corners;
    half_ = o.half_pixel_centers;
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    ref::resize_bilinear(a.inputs[0].f32(), n_, ih_, iw_, c_, a.outputs[0].f32(), oh_, ow_, align_, half_);
  }
  const char* impl_name() const override { return "reference"; }

 private:
  int n_ = 0, ih_ = 0, iw_ = 0, c_ = 0, oh_ = 0, ow_ = 0;
  bool align_ = false, half_ = false;
};

// ---------------------------------------------------------------------------------------------
// DEPTH_TO_SPACE (float32, NHWC), block_size from DepthToSpaceOptions.
class DepthToSpaceKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    expect_io(ctx, 1, 1, 1);
    const TensorView& in = ctx.inputs[0];
    expect_float(ctx, in, "input");
    expect_float(ctx, ctx.outputs[0], "output");
    expect_rank(ctx, in, 4, "input");
    bs_ = ctx.op->options.block_size;
    if (bs_ < 1 || bs_ > 64) fail(ctx, "block_size " + std::to_string(bs_) + " must be in 1..64");
    n_ = in.dim(0); h_ = in.dim(1); w_ = in.dim(2);
    if (in.dim(3) % (bs_ * bs_) != 0)
      fail(ctx, "input channels " + std::to_string(in.dim(3)) + " are not a multiple of block_size^2 = " +
                    std::to_string(bs_ * bs_));
    c_ = in.dim(3) / (bs_ * bs_);
    expect_shape(ctx, ctx.outputs[0], {n_, h_ * bs_, w_ * bs_, c_}, "output");
    return 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    ref::depth_to_space(a.inputs[0].f32(), n_, h_, w_, c_, bs_, a.outputs[0].f32());
  }
  const char* impl_name() const override { return "reference"; }

 private:
  int n_ = 0, h_ = 0, w_ = 0, c_ = 0, bs_ = 1;
};

template <typename K, typename... Args>
std::unique_ptr<Kernel> make(Args... args) {
  return std::unique_ptr<Kernel>(new K(args...));
}

}  // namespace

std::unique_ptr<Kernel> create_reference_kernel(const OpContext& ctx) {
  const int32_t code = ctx.op->builtin_code;
  switch (code) {
    case builtin::kConv2d: return make<ConvKernel>(false);
    case builtin::kDepthwiseConv2d: return make<ConvKernel>(true);
    case builtin::kMaxPool2d: return make<MaxPoolKernel>();
    case builtin::kAdd: return make<BinaryKernel>(ref::BinaryOp::kAdd);
    case builtin::kMul: return make<BinaryKernel>(ref::BinaryOp::kMul);
    case builtin::kSub: return make<BinaryKernel>(ref::BinaryOp::kSub);
    case builtin::kDiv: return make<BinaryKernel>(ref::BinaryOp::kDiv);
    case builtin::kSquaredDifference: return make<BinaryKernel>(ref::BinaryOp::kSquaredDifference);
    case builtin::kMean: return make<ReduceKernel>(true);
    case builtin::kSum: return make<ReduceKernel>(false);
    case builtin::kTranspose: return make<TransposeKernel>();
    case builtin::kPrelu: return make<PreluKernel>();
    case builtin::kRelu:
    case builtin::kRelu6:
    case builtin::kLogistic:
    case builtin::kNeg:
    case builtin::kSqrt:
    case builtin::kRsqrt:
    case builtin::kDequantize: return make<UnaryKernel>(code);
    case builtin::kReshape: return make<ReshapeKernel>();
    case builtin::kPad:
    case builtin::kPadv2: return make<PadKernel>();
    case builtin::kConcatenation: return make<ConcatKernel>();
    case builtin::kStridedSlice: return make<StridedSliceKernel>();
    case builtin::kDensify: return make<DensifyKernel>();
    case builtin::kResizeBilinear: return make<ResizeBilinearKernel>();
    case builtin::kDepthToSpace: return make<DepthToSpaceKernel>();
    case builtin::kCustom: {
      std::unique_ptr<Kernel> k = create_reference_custom_kernel(ctx);
      if (k) return k;
      throw ModelError("unsupported custom operator '" + ctx.op->custom_code + "'");
    }
    default:
      throw ModelError("unsupported operator " + builtin_name(code) + " (builtin code " +
                       std::to_string(code) + ")");
  }
}

}  // namespace fmn
