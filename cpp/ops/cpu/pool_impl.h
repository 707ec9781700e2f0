// MAX_POOL_2D over a vector type V (vec_*.h), vectorised over channels. Include only from
// pool_<isa>.cc, after its vec_*.h. Padded taps are skipped (TFLite semantics).
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
      for (int c0 = 0; c0 < c; c0 += L) {
        const int nc = c - c0 < L ? c - c0 : L;
        Reg m = neg_inf;
        for (int y = y0; y < y1; ++y) {
          const float* src = img + (static_cast<int64_t>(y) * g.in_w + x0) * c + c0;
          for (int x = x0; x < x1; ++x, src += c) m = V::max(m, load_part<V>(src, nc));
        }
        store_part<V>(orow + static_cast<int64_t>(ox) * c + c0, V::min(V::max(m, lo), hi), nc);
      }
    }
  }
}

}  // namespace cpu
}  // namespace fmn
