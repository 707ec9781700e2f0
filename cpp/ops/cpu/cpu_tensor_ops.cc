// Elementwise, reduction and layout ops for the tuned CPU backend (see cpu_tensor_ops.h).
//
// Each op's shapes are reduced at creation to the fewest dimensions that describe the same
// memory walk (adjacent dimensions merged where both operands stay contiguous across them), so
// the per-run loops are a short odometer over outer dimensions around a unit-stride (or
// broadcast) inner loop.
#include "ops/cpu/cpu_tensor_ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "runtime/thread_pool.h"

namespace fmn {
namespace cpu {
namespace {

constexpr int kMaxRank = 6;
constexpr char kImpl[] = "cpu.generic";

// A float32 operand whose data is there when it is needed (constants are read at load).
bool readable_f32(const TensorView& t) {
  return t.type == TensorType::kFloat32 && (!t.is_constant || t.data != nullptr);
}
bool is_f32_out(const TensorView& t) { return t.type == TensorType::kFloat32; }

bool positive_dims(const std::vector<int32_t>& s) {
  for (int32_t d : s)
    if (d < 1) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Binary ops with numpy broadcasting.

enum class Bin { kAdd, kMul, kSub, kDiv, kSqDiff };

struct Add { static float f(float x, float y) { return x + y; } };
struct Mul { static float f(float x, float y) { return x * y; } };
struct Sub { static float f(float x, float y) { return x - y; } };
struct Div { static float f(float x, float y) { return x / y; } };
struct SqDiff { static float f(float x, float y) { return (x - y) * (x - y); } };

// The collapsed walk: dims[0..rank) outermost first; sa/sb are the operands' element strides
// per output dimension (0 where broadcast). The innermost stride of each is 0 or 1.
struct BinaryPlan {
  int rank = 0;
  std::array<int64_t, kMaxRank> dims{}, sa{}, sb{};
  float lo = 0.f, hi = 0.f;
  bool clamp = false;
};

template <class Op, bool kClamp>
void binary_inner(const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n,
                  float lo, float hi) {
  auto put = [&](int64_t i, float v) { o[i] = kClamp ? std::min(std::max(v, lo), hi) : v; };
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) put(i, Op::f(a[i], b[i]));
  } else if (sa == 1) {
    const float y = b[0];
    for (int64_t i = 0; i < n; ++i) put(i, Op::f(a[i], y));
  } else if (sb == 1) {
    const float x = a[0];
    for (int64_t i = 0; i < n; ++i) put(i, Op::f(x, b[i]));
  } else {
    const float v = Op::f(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) put(i, v);
  }
}

template <class Op, bool kClamp>
void binary_run(const BinaryPlan& p, const float* a, const float* b, float* o) {
  const int r = p.rank;
  const int64_t inner = p.dims[r - 1];
  std::array<int64_t, kMaxRank> idx{};
  int64_t outer = 1;
  for (int d = 0; d < r - 1; ++d) outer *= p.dims[d];
  int64_t oa = 0, ob = 0;
  for (int64_t row = 0; row < outer; ++row) {
    binary_inner<Op, kClamp>(a + oa, p.sa[r - 1], b + ob, p.sb[r - 1], o + row * inner, inner,
                             p.lo, p.hi);
    for (int d = r - 2; d >= 0; --d) {  // advance the odometer over the outer dimensions
      oa += p.sa[d];
      ob += p.sb[d];
      if (++idx[d] < p.dims[d]) break;
      oa -= p.sa[d] * p.dims[d];
      ob -= p.sb[d] * p.dims[d];
      idx[d] = 0;
    }
  }
}

class BinaryKernel : public Kernel {
 public:
  BinaryKernel(Bin op, const BinaryPlan& plan) : op_(op), plan_(plan) {}
  void run(const NodeArgs& a, ThreadPool*) const override {
    const float* x = a.inputs[0].f32();
    const float* y = a.inputs[1].f32();
    float* o = a.outputs[0].f32();
    switch (op_) {
      case Bin::kAdd: return dispatch<Add>(x, y, o);
      case Bin::kMul: return dispatch<Mul>(x, y, o);
      case Bin::kSub: return dispatch<Sub>(x, y, o);
      case Bin::kDiv: return dispatch<Div>(x, y, o);
      case Bin::kSqDiff: return dispatch<SqDiff>(x, y, o);
    }
  }
  const char* impl_name() const override { return kImpl; }

 private:
  template <class Op>
  void dispatch(const float* x, const float* y, float* o) const {
    if (plan_.clamp) binary_run<Op, true>(plan_, x, y, o);
    else binary_run<Op, false>(plan_, x, y, o);
  }
  Bin op_;
  BinaryPlan plan_;
};

std::unique_ptr<Kernel> make_binary(const OpContext& ctx, Bin op) {
  if (ctx.inputs.size() != 2 || ctx.outputs.size() != 1) return nullptr;
  const TensorView& x = ctx.inputs[0];
  const TensorView& y = ctx.inputs[1];
  const TensorView& out = ctx.outputs[0];
  if (!readable_f32(x) || !readable_f32(y) || !is_f32_out(out)) return nullptr;
  if (x.rank() > kMaxRank || y.rank() > kMaxRank || !positive_dims(x.shape) ||
      !positive_dims(y.shape))
    return nullptr;
  BinaryPlan p;
  if (op != Bin::kSqDiff) {
    if (!activation_bounds(ctx.op->options.activation, &p.lo, &p.hi)) return nullptr;
    p.clamp = ctx.op->options.activation != Activation::kNone;
  }
  // Right-align both shapes to the output rank; broadcast per numpy.
  const int r = std::max(x.rank(), y.rank());
  std::vector<int32_t> out_shape(static_cast<size_t>(r));
  std::array<int64_t, kMaxRank> da{}, db{}, dsa{}, dsb{};
  for (int d = 0; d < r; ++d) {
    const int ia = d - (r - x.rank()), ib = d - (r - y.rank());
    da[d] = ia >= 0 ? x.dim(ia) : 1;
    db[d] = ib >= 0 ? y.dim(ib) : 1;
    if (da[d] != db[d] && da[d] != 1 && db[d] != 1) return nullptr;
    out_shape[d] = static_cast<int32_t>(std::max(da[d], db[d]));
  }
  if (out.shape != out_shape) return nullptr;
  int64_t ta = 1, tb = 1;
  for (int d = r - 1; d >= 0; --d) {
    dsa[d] = da[d] == 1 ? 0 : ta;
    dsb[d] = db[d] == 1 ? 0 : tb;
    ta *= da[d];
    tb *= db[d];
  }
  // Collapse: drop size-1 output dimensions; merge a dimension into the one outside it when
  // both operands walk them as one (outer stride == inner stride * inner size).
  for (int d = 0; d < r; ++d) {
    if (out_shape[d] == 1) continue;
    const int64_t n = out_shape[d];
    if (p.rank > 0) {
      const int q = p.rank - 1;
      if (p.sa[q] == dsa[d] * n && p.sb[q] == dsb[d] * n) {
        p.dims[q] *= n;
        p.sa[q] = dsa[d];
        p.sb[q] = dsb[d];
        continue;
      }
    }
    p.dims[p.rank] = n;
    p.sa[p.rank] = dsa[d];
    p.sb[p.rank] = dsb[d];
    ++p.rank;
  }
  if (p.rank == 0) {  // a single element
    p.rank = 1;
    p.dims[0] = 1;
    p.sa[0] = p.sb[0] = 1;
  }
  return std::unique_ptr<Kernel>(new BinaryKernel(op, p));
}

// ---------------------------------------------------------------------------------------------
// Same-shape unary maps.

class UnaryKernel : public Kernel {
 public:
  explicit UnaryKernel(int32_t code) : code_(code) {}
  void run(const NodeArgs& a, ThreadPool*) const override {
    const float* in = a.inputs[0].f32();
    float* out = a.outputs[0].f32();
    const int64_t n = a.outputs[0].num_elements();
    switch (code_) {
      case builtin::kNeg:
        for (int64_t i = 0; i < n; ++i) out[i] = -in[i];
        break;
      case builtin::kSqrt:
        for (int64_t i = 0; i < n; ++i) out[i] = std::sqrt(in[i]);
        break;
      case builtin::kRsqrt:
        for (int64_t i = 0; i < n; ++i) out[i] = 1.f / std::sqrt(in[i]);
        break;
      default:  // LOGISTIC
        for (int64_t i = 0; i < n; ++i) out[i] = 1.f / (1.f + std::exp(-in[i]));
        break;
    }
  }
  const char* impl_name() const override { return kImpl; }

 private:
  int32_t code_;
};

std::unique_ptr<Kernel> make_unary(const OpContext& ctx) {
  if (ctx.inputs.size() != 1 || ctx.outputs.size() != 1) return nullptr;
  const TensorView& in = ctx.inputs[0];
  if (!readable_f32(in)) return nullptr;
  if (!is_f32_out(ctx.outputs[0]) || ctx.outputs[0].shape != in.shape) return nullptr;
  return std::unique_ptr<Kernel>(new UnaryKernel(ctx.op->builtin_code));
}

// ---------------------------------------------------------------------------------------------
// MEAN / SUM over one contiguous block of dimensions: in viewed as [outer, reduced, inner].

class ReduceKernel : public Kernel {
 public:
  ReduceKernel(bool mean, int64_t outer, int64_t reduced, int64_t inner)
      : mean_(mean), outer_(outer), reduced_(reduced), inner_(inner) {}
  size_t prepare(const OpContext&) override {
    return inner_ > 1 ? static_cast<size_t>(inner_) * sizeof(double) : 0;
  }
  void run(const NodeArgs& a, ThreadPool*) const override {
    const float* in = a.inputs[0].f32();
    float* out = a.outputs[0].f32();
    const double n = static_cast<double>(reduced_);
    for (int64_t o = 0; o < outer_; ++o) {
      const float* src = in + o * reduced_ * inner_;
      if (inner_ == 1) {
        double acc = 0.0;
        for (int64_t r = 0; r < reduced_; ++r) acc += src[r];
        out[o] = static_cast<float>(mean_ ? acc / n : acc);
        continue;
      }
      double* acc = static_cast<double*>(a.scratch);
      for (int64_t i = 0; i < inner_; ++i) acc[i] = 0.0;
      for (int64_t r = 0; r < reduced_; ++r) {
        const float* row = src + r * inner_;
        for (int64_t i = 0; i < inner_; ++i) acc[i] += row[i];
      }
      float* dst = out + o * inner_;
      for (int64_t i = 0; i < inner_; ++i)
        dst[i] = static_cast<float>(mean_ ? acc[i] / n : acc[i]);
    }
  }
  const char* impl_name() const override { return kImpl; }

 private:
  bool mean_;
  int64_t outer_, reduced_, inner_;
};

std::unique_ptr<Kernel> make_reduce(const OpContext& ctx, bool mean) {
  if (ctx.inputs.size() != 2 || ctx.outputs.size() != 1) return nullptr;
  const TensorView& in = ctx.inputs[0];
  const TensorView& axes = ctx.inputs[1];
  if (!readable_f32(in) || !is_f32_out(ctx.outputs[0])) return nullptr;
  const int rank = in.rank();
  if (rank < 1 || rank > kMaxRank || !positive_dims(in.shape)) return nullptr;
  if (!axes.is_constant || !axes.data || axes.type != TensorType::kInt32 || axes.rank() > 1)
    return nullptr;
  std::vector<bool> red(static_cast<size_t>(rank), false);
  for (int64_t i = 0; i < axes.num_elements(); ++i) {
    const int32_t ax = axes.i32()[i];
    if (ax < -rank || ax >= rank) return nullptr;
    red[static_cast<size_t>(ax < 0 ? ax + rank : ax)] = true;
  }
  std::vector<int32_t> out_shape;
  for (int d = 0; d < rank; ++d) {
    if (!red[d]) out_shape.push_back(in.dim(d));
    else if (ctx.op->options.keep_dims) out_shape.push_back(1);
  }
  if (ctx.outputs[0].shape != out_shape) return nullptr;
  // The reduced dimensions of size > 1 must form one contiguous block (size-1 dimensions, kept
  // or reduced, change nothing in memory).
  int first = -1, last = -1;
  for (int d = 0; d < rank; ++d) {
    if (!red[d] || in.dim(d) == 1) continue;
    if (first < 0) first = d;
    last = d;
  }
  int64_t outer = 1, reduced = 1, inner = 1;
  for (int d = 0; d < rank; ++d) {
    const int64_t n = in.dim(d);
    if (first < 0 || d < first) outer *= n;
    else if (d <= last) {
      if (!red[d] && n > 1) return nullptr;  // a kept dimension inside the block
      reduced *= n;
    } else inner *= n;
  }
  if (first < 0) {  // nothing of size > 1 is reduced: a copy (mean over one element)
    inner = outer;
    outer = 1;
  }
  return std::unique_ptr<Kernel>(new ReduceKernel(mean, outer, reduced, inner));
}

// ---------------------------------------------------------------------------------------------
// TRANSPOSE: the permutation with merged runs; a batched 2-D transpose in tiles when the last
// input dimension moves, otherwise contiguous row copies.

struct TransposePlan {
  int rank = 0;                            // collapsed rank
  std::array<int64_t, kMaxRank> dims{};    // output dims, outermost first
  std::array<int64_t, kMaxRank> step{};    // input stride of each output dim
};

class TransposeKernel : public Kernel {
 public:
  explicit TransposeKernel(const TransposePlan& p) : p_(p) {}
  void run(const NodeArgs& a, ThreadPool*) const override {
    const float* in = a.inputs[0].f32();
    float* out = a.outputs[0].f32();
    const int r = p_.rank;
    const int64_t inner = p_.dims[r - 1], s_inner = p_.step[r - 1];
    if (r >= 2 && s_inner != 1) {
      // out[..., i, j] = in[... + i * step_i + j * step_j]: tile over (i, j) so both the reads
      // (contiguous in i when step_i == 1) and the writes (contiguous in j) stay in cache.
      const int64_t rows = p_.dims[r - 2], s_rows = p_.step[r - 2];
      int64_t batches = 1;
      for (int d = 0; d < r - 2; ++d) batches *= p_.dims[d];
      std::array<int64_t, kMaxRank> idx{};
      int64_t off = 0;
      constexpr int64_t kTile = 16;
      for (int64_t b = 0; b < batches; ++b) {
        const float* src = in + off;
        float* dst = out + b * rows * inner;
        for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
          const int64_t i1 = std::min(rows, i0 + kTile);
          for (int64_t j0 = 0; j0 < inner; j0 += kTile) {
            const int64_t j1 = std::min(inner, j0 + kTile);
            for (int64_t i = i0; i < i1; ++i)
              for (int64_t j = j0; j < j1; ++j) dst[i * inner + j] = src[i * s_rows + j * s_inner];
          }
        }
        for (int d = r - 3; d >= 0; --d) {
          off += p_.step[d];
          if (++idx[d] < p_.dims[d]) break;
          off -= p_.step[d] * p_.dims[d];
          idx[d] = 0;
        }
      }
      return;
    }
    // The innermost output dimension is contiguous in the input: row copies.
    int64_t rows = 1;
    for (int d = 0; d < r - 1; ++d) rows *= p_.dims[d];
    std::array<int64_t, kMaxRank> idx{};
    int64_t off = 0;
    for (int64_t row = 0; row < rows; ++row) {
      std::memcpy(out + row * inner, in + off, static_cast<size_t>(inner) * sizeof(float));
      for (int d = r - 2; d >= 0; --d) {
        off += p_.step[d];
        if (++idx[d] < p_.dims[d]) break;
        off -= p_.step[d] * p_.dims[d];
        idx[d] = 0;
      }
    }
  }
  const char* impl_name() const override { return kImpl; }

 private:
  TransposePlan p_;
};

std::unique_ptr<Kernel> make_transpose(const OpContext& ctx) {
  if (ctx.inputs.size() != 2 || ctx.outputs.size() != 1) return nullptr;
  const TensorView& in = ctx.inputs[0];
  const TensorView& perm = ctx.inputs[1];
  if (!readable_f32(in) || !is_f32_out(ctx.outputs[0])) return nullptr;
  const int rank = in.rank();
  if (rank < 1 || rank > kMaxRank || !positive_dims(in.shape)) return nullptr;
  if (!perm.is_constant || !perm.data || perm.type != TensorType::kInt32 || perm.rank() != 1 ||
      perm.dim(0) != rank)
    return nullptr;
  std::array<int64_t, kMaxRank> in_stride{};
  in_stride[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * in.dim(d + 1);
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  std::vector<int32_t> out_shape(static_cast<size_t>(rank));
  TransposePlan p;
  for (int d = 0; d < rank; ++d) {
    const int32_t q = perm.i32()[d];
    if (q < 0 || q >= rank || seen[q]) return nullptr;
    seen[q] = true;
    out_shape[d] = in.dim(q);
    const int64_t n = in.dim(q), s = in_stride[q];
    if (n == 1) continue;
    if (p.rank > 0 && p.step[p.rank - 1] == s * n) {  // consecutive in the input too: merge
      p.dims[p.rank - 1] *= n;
      p.step[p.rank - 1] = s;
      continue;
    }
    p.dims[p.rank] = n;
    p.step[p.rank] = s;
    ++p.rank;
  }
  if (ctx.outputs[0].shape != out_shape) return nullptr;
  if (p.rank == 0) {
    p.rank = 1;
    p.dims[0] = 1;
    p.step[0] = 1;
  }
  return std::unique_ptr<Kernel>(new TransposeKernel(p));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RESIZE_BILINEAR (float32 NHWC, constant size): source rows / columns and weights computed
// once at load with the reference's arithmetic (TFLite's ComputeInterpolationValues), the
// same per-channel expression as the reference (so the results are identical), output rows
// split over the pool.

class ResizeBilinearKernel : public Kernel {
 public:
  ResizeBilinearKernel(int n, int ih, int iw, int c, int oh, int ow, bool align, bool half)
      : n_(n), ih_(ih), iw_(iw), c_(c), oh_(oh), ow_(ow) {
    float hs = static_cast<float>(ih) / static_cast<float>(oh);
    float ws = static_cast<float>(iw) / static_cast<float>(ow);
    if (align && oh > 1) hs = static_cast<float>(ih - 1) / static_cast<float>(oh - 1);
    if (align && ow > 1) ws = static_cast<float>(iw - 1) / static_cast<float>(ow - 1);
    ys_.resize(static_cast<size_t>(oh));
    xs_.resize(static_cast<size_t>(ow));
    auto axis = [half](int v, float scale, int size, Tap* t) {
      const float sv = half ? (static_cast<float>(v) + 0.5f) * scale - 0.5f : static_cast<float>(v) * scale;
      t->lo = std::max(static_cast<int>(std::floor(sv)), 0);
      t->hi = std::min(static_cast<int>(std::ceil(sv)), size - 1);
      t->d = sv - static_cast<float>(t->lo);
    };
    for (int y = 0; y < oh; ++y) axis(y, hs, ih, &ys_[static_cast<size_t>(y)]);
    for (int x = 0; x < ow; ++x) axis(x, ws, iw, &xs_[static_cast<size_t>(x)]);
  }

  void run(const NodeArgs& a, ThreadPool* pool) const override {
    const float* in = a.inputs[0].f32();
    float* out = a.outputs[0].f32();
    const int64_t rows = static_cast<int64_t>(n_) * oh_;
    auto body = [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / oh_;
        const Tap& ty = ys_[static_cast<size_t>(row - b * oh_)];
        const float dy = ty.d, ry = 1 - dy;
        const float* r0 = in + (b * ih_ + ty.lo) * iw_ * c_;
        const float* r1 = in + (b * ih_ + ty.hi) * iw_ * c_;
        float* o = out + row * ow_ * c_;
        for (int x = 0; x < ow_; ++x, o += c_) {
          const Tap& tx = xs_[static_cast<size_t>(x)];
          const float dx = tx.d, rx = 1 - dx;
          const float* p00 = r0 + static_cast<int64_t>(tx.lo) * c_;
          const float* p01 = r0 + static_cast<int64_t>(tx.hi) * c_;
          const float* p10 = r1 + static_cast<int64_t>(tx.lo) * c_;
          const float* p11 = r1 + static_cast<int64_t>(tx.hi) * c_;
          for (int k = 0; k < c_; ++k)
            o[k] = p00[k] * ry * rx + p10[k] * dy * rx + p01[k] * ry * dx + p11[k] * dy * dx;
        }
      }
    };
    const int64_t per_row = static_cast<int64_t>(ow_) * c_;
    if (pool && pool->size() > 1 && rows > 1 && rows * per_row >= 2 * kMinFloatsPerChunk) {
      const int64_t grain = std::max<int64_t>(1, kMinFloatsPerChunk / std::max<int64_t>(1, per_row));
      pool->parallel_for(rows, [&](int64_t b, int64_t e, int) { body(b, e); }, grain);
    } else {
      body(0, rows);
    }
  }
  const char* impl_name() const override { return kImpl; }

 private:
  struct Tap {
    int lo = 0, hi = 0;
    float d = 0.f;
  };
  static constexpr int64_t kMinFloatsPerChunk = 8192;
  int n_, ih_, iw_, c_, oh_, ow_;
  std::vector<Tap> ys_, xs_;
};

std::unique_ptr<Kernel> make_resize_bilinear(const OpContext& ctx) {
  if (ctx.inputs.size() != 2 || ctx.outputs.size() != 1) return nullptr;
  const TensorView& in = ctx.inputs[0];
  const TensorView& size = ctx.inputs[1];
  if (!readable_f32(in) || !is_f32_out(ctx.outputs[0]) || in.rank() != 4 || !positive_dims(in.shape))
    return nullptr;
  if (!size.is_constant || !size.data || size.type != TensorType::kInt32 || size.rank() != 1 ||
      size.dim(0) != 2)
    return nullptr;
  const BuiltinOptions& o = ctx.op->options;
  if (o.align_corners && o.half_pixel_centers) return nullptr;
  const int oh = size.i32()[0], ow = size.i32()[1];
  if (oh < 1 || ow < 1 || oh > (1 << 16) || ow > (1 << 16)) return nullptr;
  if (ctx.outputs[0].shape != std::vector<int32_t>{in.dim(0), oh, ow, in.dim(3)}) return nullptr;
  return std::unique_ptr<Kernel>(new ResizeBilinearKernel(in.dim(0), in.dim(1), in.dim(2), in.dim(3),
                                                          oh, ow, o.align_corners, o.half_pixel_centers));
}

std::unique_ptr<Kernel> create_cpu_tensor_kernel(const OpContext& ctx) {
  switch (ctx.op->builtin_code) {
    case builtin::kAdd: return make_binary(ctx, Bin::kAdd);
    case builtin::kMul: return make_binary(ctx, Bin::kMul);
    case builtin::kSub: return make_binary(ctx, Bin::kSub);
    case builtin::kDiv: return make_binary(ctx, Bin::kDiv);
    case builtin::kSquaredDifference: return make_binary(ctx, Bin::kSqDiff);
    case builtin::kNeg:
    case builtin::kSqrt:
    case builtin::kRsqrt:
    case builtin::kLogistic: return make_unary(ctx);
    case builtin::kMean: return make_reduce(ctx, true);
    case builtin::kSum: return make_reduce(ctx, false);
    case builtin::kTranspose: return make_transpose(ctx);
    case builtin::kResizeBilinear: return make_resize_bilinear(ctx);
    default: return nullptr;
  }
}

}  // namespace cpu
}  // namespace fmn
