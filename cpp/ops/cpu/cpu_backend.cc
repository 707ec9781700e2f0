// The tuned CPU backend: create_cpu_kernel() (ops/cpu/cpu_backend.h).
//
// Covers CONV_2D and DEPTHWISE_CONV_2D (depth multiplier 1) on float32 NHWC with every fused
// Epilogue, plus MAX_POOL_2D and channel PAD; returns nullptr for anything else so the
// interpreter uses the reference kernel. The instruction set is chosen per kernel at creation:
// the best the CPU supports, lowered by the environment variable FMN_CPU_ISA=generic|avx2|avx512
// (a request above what the CPU has is ignored).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/cpu_simple_ops.h"
#include "ops/cpu/cpu_tensor_ops.h"
#include "ops/reference/reference_ops.h"
#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace fmn {
namespace {

using cpu::ConvGeometry;
using cpu::ConvPlan;
using cpu::DwPlan;
using cpu::IsaKernels;
using cpu::RunArgs;

// Minimum multiply-adds per parallel chunk: below this, waking a worker costs more than it saves.
constexpr int64_t kMinMacsPerChunk = 40000;

const IsaKernels* select_isa() {
  int level = 0;  // 0 generic, 1 avx2, 2 avx512
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
  if (level == 1 && __builtin_cpu_supports("avx512f")) level = 2;
#endif
  if (const char* env = std::getenv("FMN_CPU_ISA")) {
    const std::string want(env);
    if (want == "generic") level = std::min(level, 0);
    else if (want == "avx2") level = std::min(level, 1);
  }
  if (level >= 2 && cpu::isa_kernels_avx512()) return cpu::isa_kernels_avx512();
  if (level >= 1 && cpu::isa_kernels_avx2()) return cpu::isa_kernels_avx2();
  return cpu::isa_kernels_generic();
}

// Float storage on a 64-byte boundary: vector loads of whole cache lines never split.
class AlignedFloats {
 public:
  void assign(size_t n, float value) {
    store_.assign(n + 16, value);
    const uintptr_t addr = reinterpret_cast<uintptr_t>(store_.data());
    data_ = store_.data() + ((64 - addr % 64) % 64) / sizeof(float);
  }
  float* data() { return data_; }
  const float* data() const { return data_; }

 private:
  std::vector<float> store_;
  float* data_ = nullptr;
};

bool is_f32(const TensorView& t) { return t.type == TensorType::kFloat32; }

void padded_copy(const float* src, int count, int padded, AlignedFloats* dst) {
  dst->assign(static_cast<size_t>(padded), 0.f);
  if (src) std::memcpy(dst->data(), src, sizeof(float) * static_cast<size_t>(count));
}

// Shape checks shared by conv and depthwise; fills the geometry and epilogue, or returns false.
bool conv_common(const OpContext& ctx, bool depthwise, ConvGeometry* g, cpu::EpilogueParams* ep) {
  if (!ctx.op || ctx.outputs.size() != 1) return false;
  const size_t want_inputs = ctx.epilogue.has_residual ? 4 : 3;
  if (ctx.inputs.size() < 2 || ctx.inputs.size() > want_inputs) return false;
  const TensorView& in = ctx.inputs[0];
  const TensorView& w = ctx.inputs[1];
  const TensorView& out = ctx.outputs[0];
  if (!is_f32(in) || !is_f32(w) || !is_f32(out)) return false;
  if (in.rank() != 4 || w.rank() != 4 || out.rank() != 4) return false;
  if (!w.is_constant || !w.data) return false;
  const BuiltinOptions& o = ctx.op->options;
  if (o.stride_h < 1 || o.stride_w < 1 || o.dilation_h < 1 || o.dilation_w < 1) return false;
  g->batch = in.dim(0);
  g->in_h = in.dim(1);
  g->in_w = in.dim(2);
  g->in_c = in.dim(3);
  g->k_h = w.dim(1);
  g->k_w = w.dim(2);
  if (depthwise) {
    if (w.dim(0) != 1 || w.dim(3) != g->in_c) return false;  // depth multiplier 1 only
    g->out_c = g->in_c;
  } else {
    if (w.dim(3) != g->in_c) return false;
    g->out_c = w.dim(0);
  }
  if (g->batch < 1 || g->in_h < 1 || g->in_w < 1 || g->in_c < 1 || g->out_c < 1 || g->k_h < 1 ||
      g->k_w < 1 || g->k_h * g->k_w > cpu::kConvMaxTaps)
    return false;
  g->stride_h = o.stride_h;
  g->stride_w = o.stride_w;
  g->dil_h = o.dilation_h;
  g->dil_w = o.dilation_w;
  const ConvPadding& cp = ctx.padding;
  if (cp.is_explicit) {
    constexpr int kMaxPad = 1 << 16;
    if (cp.top < 0 || cp.left < 0 || cp.bottom < 0 || cp.right < 0 || cp.top > kMaxPad ||
        cp.left > kMaxPad || cp.bottom > kMaxPad || cp.right > kMaxPad)
      return false;
    g->out_h = ref::conv_output_size_explicit(g->in_h, cp.top, cp.bottom, g->k_h, g->stride_h,
                                              g->dil_h, &g->pad_top);
    g->out_w = ref::conv_output_size_explicit(g->in_w, cp.left, cp.right, g->k_w, g->stride_w,
                                              g->dil_w, &g->pad_left);
  } else {
    g->out_h = ref::conv_output_size(o.padding, g->in_h, g->k_h, g->stride_h, g->dil_h, &g->pad_top);
    g->out_w = ref::conv_output_size(o.padding, g->in_w, g->k_w, g->stride_w, g->dil_w, &g->pad_left);
  }
  if (g->out_h < 1 || g->out_w < 1) return false;
  if (out.shape != std::vector<int32_t>{g->batch, g->out_h, g->out_w, g->out_c}) return false;
  if (ctx.inputs.size() > 2 && (ctx.inputs[2].data || ctx.inputs[2].is_constant)) {
    const TensorView& b = ctx.inputs[2];
    if (!is_f32(b) || !b.is_constant || !b.data || b.num_elements() != g->out_c) return false;
  }
  if (ctx.epilogue.has_residual) {
    const int rc = ctx.epilogue.residual_channels;
    if (rc < 0 || (rc > 0 && rc >= g->out_c)) return false;
    const std::vector<int32_t> res_shape =
        rc > 0 ? std::vector<int32_t>{g->batch, g->out_h, g->out_w, rc} : out.shape;
    if (ctx.inputs.size() < 4 || !is_f32(ctx.inputs[3]) || ctx.inputs[3].shape != res_shape)
      return false;
    ep->res_c = rc > 0 ? rc : g->out_c;
  }
  if (!activation_bounds(o.activation, &ep->act_lo, &ep->act_hi)) return false;
  ep->has_residual = ctx.epilogue.has_residual;
  ep->post_lo = ctx.epilogue.post_lo;
  ep->post_hi = ctx.epilogue.post_hi;
  ep->act_clamp = std::isfinite(ep->act_lo) || std::isfinite(ep->act_hi);
  ep->post_clamp = std::isfinite(ep->post_lo) || std::isfinite(ep->post_hi);
  return true;
}

const float* bias_data(const OpContext& ctx) {
  return ctx.inputs.size() > 2 && ctx.inputs[2].data ? ctx.inputs[2].f32() : nullptr;
}

RunArgs run_args(const NodeArgs& a, bool has_residual) {
  RunArgs r;
  r.in = a.inputs[0].f32();
  r.out = a.outputs[0].f32();
  r.residual = has_residual ? a.inputs[3].f32() : nullptr;
  return r;
}

// ---------------------------------------------------------------------------------------------
class CpuConvKernel : public Kernel {
 public:
  CpuConvKernel(const IsaKernels* isa, const ConvGeometry& g, const cpu::EpilogueParams& ep)
      : isa_(isa) {
    plan_.g = g;
    plan_.ep = ep;
  }

  size_t prepare(const OpContext& ctx) override {
    ConvPlan& p = plan_;
    const ConvGeometry& g = p.g;
    const int lanes = isa_->lanes;
    const int panels = (g.out_c + lanes - 1) / lanes;
    p.lanes = lanes;
    p.nb = std::min(panels, isa_->max_nb);
    p.groups = (panels + p.nb - 1) / p.nb;
    p.last_nb = panels - (p.groups - 1) * p.nb;
    p.mr = isa_->conv_mr(p.nb);
    p.pointwise = g.k_h == 1 && g.k_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
                  g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
    if (!p.pointwise) {
      // Row tiles of balanced width: out_w = 64 with 12-row tiles gives 6 tiles of 11 (or 9).
      p.tiles_per_row = (g.out_w + p.mr - 1) / p.mr;
      p.mr = (g.out_w + p.tiles_per_row - 1) / p.tiles_per_row;
    }

    const int64_t k_total = static_cast<int64_t>(g.k_h) * g.k_w * g.in_c;
    const float* filter = ctx.inputs[1].f32();
    // Few input channels, and out_c wastes vector lanes in the GEMM's channel panels (1..8 or
    // 17..24 channels; at 16 the GEMM wastes nothing and is faster): the pixel-vectorised
    // direct conv, weights as [kh][kw][ic][direct_oc].
    const int direct_oc = g.out_c <= 8 ? 8 : g.out_c <= 16 ? 16 : 24;
    const int direct_w = ((g.out_w + 15) / 16 * 16 + (g.k_w - 1) / std::max(g.stride_w, 1) + 15) /
                         16 * 16;
    if (isa_->conv_direct && g.in_c <= cpu::kConvDirectMaxIc && g.out_c <= cpu::kConvDirectMaxOc &&
        g.k_h <= cpu::kConvDirectMaxKh && g.dil_h == 1 && g.dil_w == 1 &&
        (g.stride_w == 1 || g.stride_w == 2) && direct_w <= cpu::kConvDirectMaxPlaneW &&
        g.out_w >= 16 && direct_oc < panels * lanes) {
      p.direct = true;
      p.direct_oc = direct_oc;
      p.direct_plane_w = direct_w;
      direct_weights_.assign(static_cast<size_t>(k_total) * p.direct_oc, 0.f);
      for (int64_t k = 0; k < k_total; ++k)
        for (int oc = 0; oc < g.out_c; ++oc)
          direct_weights_.data()[k * p.direct_oc + oc] = filter[oc * k_total + k];
      p.direct_weights = direct_weights_.data();
    }

    // Pack [oc][kh][kw][ic] into groups of [K][nb_g * lanes].
    weights_.assign(static_cast<size_t>(panels) * lanes * k_total, 0.f);
    for (int grp = 0; grp < p.groups; ++grp) {
      const int nbg = grp == p.groups - 1 ? p.last_nb : p.nb;
      float* dst = weights_.data() + static_cast<int64_t>(grp) * p.nb * lanes * k_total;
      const int oc0 = grp * p.nb * lanes;
      for (int64_t k = 0; k < k_total; ++k) {
        for (int col = 0; col < nbg * lanes; ++col) {
          const int oc = oc0 + col;
          dst[k * nbg * lanes + col] = oc < g.out_c ? filter[oc * k_total + k] : 0.f;
        }
      }
    }
    padded_copy(bias_data(ctx), g.out_c, panels * lanes, &bias_);
    if (ctx.epilogue.prelu_alpha) {
      padded_copy(ctx.epilogue.prelu_alpha, g.out_c, panels * lanes, &alpha_);
      p.ep.alpha = alpha_.data();
    }
    zeros_.assign(static_cast<size_t>(g.in_c), 0.f);
    p.weights = weights_.data();
    p.bias = bias_.data();
    p.zeros = zeros_.data();
    macs_per_item_ = p.direct ? static_cast<int64_t>(g.out_w) * p.direct_oc * k_total
                              : static_cast<int64_t>(p.mr) * p.nb * lanes * k_total;
    return 0;
  }

  void run(const NodeArgs& a, ThreadPool* pool) const override {
    const RunArgs ra = run_args(a, plan_.ep.has_residual);
    const int64_t items = plan_.items();
    const auto fn = plan_.direct ? isa_->conv_direct : isa_->conv;
    if (pool && pool->size() > 1 && items > 1) {
      const int64_t grain = std::max<int64_t>(1, kMinMacsPerChunk / std::max<int64_t>(1, macs_per_item_));
      pool->parallel_for(items, [&](int64_t b, int64_t e, int) { fn(plan_, ra, b, e); }, grain);
    } else {
      fn(plan_, ra, 0, items);
    }
  }

  const char* impl_name() const override { return isa_->name; }

 private:
  const IsaKernels* isa_;
  ConvPlan plan_;
  AlignedFloats weights_, bias_, alpha_, zeros_, direct_weights_;
  int64_t macs_per_item_ = 1;
};

// ---------------------------------------------------------------------------------------------
class CpuDepthwiseKernel : public Kernel {
 public:
  CpuDepthwiseKernel(const IsaKernels* isa, const ConvGeometry& g, const cpu::EpilogueParams& ep)
      : isa_(isa) {
    plan_.g = g;
    plan_.ep = ep;
  }

  size_t prepare(const OpContext& ctx) override {
    DwPlan& p = plan_;
    const ConvGeometry& g = p.g;
    const int lanes = isa_->lanes;
    const int c_pad = (g.out_c + lanes - 1) / lanes * lanes;
    const int taps = g.k_h * g.k_w;
    const float* filter = ctx.inputs[1].f32();  // [1][kh][kw][c]
    weights_.assign(static_cast<size_t>(taps) * c_pad, 0.f);
    for (int t = 0; t < taps; ++t)
      std::memcpy(weights_.data() + static_cast<int64_t>(t) * c_pad,
                  filter + static_cast<int64_t>(t) * g.out_c, sizeof(float) * g.out_c);
    padded_copy(bias_data(ctx), g.out_c, c_pad, &bias_);
    if (ctx.epilogue.prelu_alpha) {
      padded_copy(ctx.epilogue.prelu_alpha, g.out_c, c_pad, &alpha_);
      p.ep.alpha = alpha_.data();
    }
    p.weights = weights_.data();
    p.bias = bias_.data();
    macs_per_row_ = static_cast<int64_t>(g.out_w) * g.out_c * taps;
    return 0;
  }

  void run(const NodeArgs& a, ThreadPool* pool) const override {
    const RunArgs ra = run_args(a, plan_.ep.has_residual);
    const int64_t rows = plan_.rows();
    if (pool && pool->size() > 1 && rows > 1) {
      const int64_t grain = std::max<int64_t>(1, kMinMacsPerChunk / std::max<int64_t>(1, macs_per_row_));
      pool->parallel_for(
          rows, [&](int64_t b, int64_t e, int) { isa_->depthwise(plan_, ra, b, e); }, grain);
    } else {
      isa_->depthwise(plan_, ra, 0, rows);
    }
  }

  const char* impl_name() const override { return isa_->name; }

 private:
  const IsaKernels* isa_;
  DwPlan plan_;
  AlignedFloats weights_, bias_, alpha_;
  int64_t macs_per_row_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> create_cpu_kernel(const OpContext& ctx) {
  if (!ctx.op) return nullptr;
  const IsaKernels* isa = select_isa();
  const int32_t code = ctx.op->builtin_code;
  if (code == builtin::kConv2d || code == builtin::kDepthwiseConv2d) {
    const bool depthwise = code == builtin::kDepthwiseConv2d;
    ConvGeometry g;
    cpu::EpilogueParams ep;
    if (!conv_common(ctx, depthwise, &g, &ep)) return nullptr;
    if (depthwise) return std::unique_ptr<Kernel>(new CpuDepthwiseKernel(isa, g, ep));
    return std::unique_ptr<Kernel>(new CpuConvKernel(isa, g, ep));
  }
  if (std::unique_ptr<Kernel> k = cpu::create_cpu_tensor_kernel(ctx)) return k;
  return cpu::create_cpu_simple_kernel(ctx, isa);
}

const char* cpu_kernels_impl_name() { return select_isa()->name; }

}  // namespace fmn
