// MAX_POOL_2D and channel PAD over a vector type V (vec_*.h), vectorised over channels.
// Include only from pool_<isa>.cc, after its vec_*.h. Max pool skips padded taps (TFLite
// semantics).
#pragma once

#include <cstdint>
#include <limits>

#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/epilogue_impl.h"

namespace fmn {
namespace cpu {

template <class V>
void max_pool_rows(const PoolPlan& p, const RunArgs& ra, int64_t begin, int64_t end) {
  using Reg = typename V::Reg;
  constexpr int L = V::kLanes;
  const ConvGeometry g = p.g;
  const int c = g.in_c;
  const Reg lo = V::set1(p.lo), hi = V::set1(p.hi), neg_inf = V::set1(-std::numeric_limits<float>::infinity());
  for (int64_t row = begin; row < end; ++row) {
    const int64_t n = row / g.out_h;
    const int oy = static_cast<int>(row - n * g.out_h);
    const int ys = oy * g.stride_h - g.pad_top;
    const int y0 = ys < 0 ? 0 : ys, y1 = ys + g.k_h < g.in_h ? ys + g.k_h : g.in_h;
    const float* img = ra.in + n * g.in_h * g.in_w * c;
    float* orow = ra.out + row * g.out_w * c;
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int xs = ox * g.stride_w - g.pad_left;
      const int x0 = xs < 0 ? 0 : xs, x1 = xs + g.k_w < g.in_w ? xs + g.k_w : g.in_w;
      float* opix = orow + static_cast<int64_t>(ox) * c;
      if (y1 - y0 == 2 && x1 - x0 == 2) {
        // A whole 2x2 window (the detector's pools): the same max chain, unrolled.
        const float* s0 = img + (static_cast<int64_t>(y0) * g.in_w + x0) * c;
        const float* s1 = s0 + static_cast<int64_t>(g.in_w) * c;
        for (int c0 = 0; c0 < c; c0 += L) {
          const int nc = c - c0 < L ? c - c0 : L;
          Reg m = V::max(neg_inf, load_part<V>(s0 + c0, nc));
          m = V::max(m, load_part<V>(s0 + c + c0, nc));
          m = V::max(m, load_part<V>(s1 + c0, nc));
          m = V::max(m, load_part<V>(s1 + c + c0, nc));
          store_part<V>(opix + c0, V::min(V::max(m, lo), hi), nc);
        }
        continue;
      }
      for (int c0 = 0; c0 < c; c0 += L) {
        const int nc = c - c0 < L ? c - c0 : L;
        Reg m = neg_inf;
        for (int y = y0; y < y1; ++y) {
          const float* src = img + (static_cast<int64_t>(y) * g.in_w + x0) * c + c0;
          for (int x = x0; x < x1; ++x, src += c) m = V::max(m, load_part<V>(src, nc));
        }
        store_part<V>(opix + c0, V::min(V::max(m, lo), hi), nc);
      }
    }
  }
}

// IsaKernels::pad_channels: `pixels` pixels of in_c floats to out_c >= in_c floats each,
// channels [in_c, out_c) zero.
template <class V>
void pad_channel_pixels(const float* in, float* out, int64_t pixels, int in_c, int out_c) {
  constexpr int L = V::kLanes;
  const typename V::Reg zero = V::zero();
  for (int64_t px = 0; px < pixels; ++px) {
    const float* src = in + px * in_c;
    float* dst = out + px * out_c;
    int c0 = 0;
    for (; c0 + L <= in_c; c0 += L) V::store(dst + c0, V::load(src + c0));
    for (; c0 < out_c; c0 += L) {
      const int n_out = out_c - c0 < L ? out_c - c0 : L;
      const typename V::Reg v = c0 < in_c ? V::load_n(src + c0, in_c - c0) : zero;
      store_part<V>(dst + c0, v, n_out);
    }
  }
}

}  // namespace cpu
}  // namespace fmn
