// CONV_2D as an indirect GEMM over a vector type V (vec_*.h): output pixels are GEMM rows,
// output channels GEMM columns, and the reduction runs over (kh, kw, ic) in TFLite's filter
// order. Include only from conv_<isa>.cc, after its vec_*.h.
//
// A tile is `rows` consecutive output pixels (flattened over batch, y, x) times one group of
// nb weight panels. The reduction is cut into segments of contiguous input floats, one pointer
// per (segment, row):
//   pointwise conv:        1 segment of in_c floats (the pixel itself);
//   interior tile, dil_w 1: one segment per kernel row, k_w * in_c floats wide;
//   border tile or dil_w>1: one segment per tap, in_c floats (padded taps read a zero row).
#pragma once

#include <cstdint>

#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/epilogue_impl.h"

namespace fmn {
namespace cpu {

// One tile: MR rows (pixels) x NB panels. a[s * kConvMaxRows + r]: segment s of row r.
// w: the group's packed weights; out/res: row 0's first channel of the group, rows out_c apart.
template <class V, int MR, int NB>
void conv_tile(const ConvPlan& p, const float* const* a, int nseg, int seglen,
               const float* w, int oc0, float* out, const float* res) {
  using Reg = typename V::Reg;
  constexpr int L = V::kLanes;
  const int oc = p.g.out_c;
  Reg acc[MR][NB];
  for (int j = 0; j < NB; ++j) {
    const Reg b = V::load(p.bias + oc0 + j * L);
    for (int r = 0; r < MR; ++r) acc[r][j] = b;
  }
  for (int s = 0; s < nseg; ++s) {
    const float* ar[MR];
    for (int r = 0; r < MR; ++r) ar[r] = a[s * kConvMaxRows + r];
    for (int k = 0; k < seglen; ++k) {
      Reg wv[NB];
      for (int j = 0; j < NB; ++j) wv[j] = V::load(w + j * L);
      w += NB * L;
      for (int r = 0; r < MR; ++r) {
        const Reg x = V::bcast(ar[r] + k);
        for (int j = 0; j < NB; ++j) acc[r][j] = V::fma(x, wv[j], acc[r][j]);
      }
    }
  }
  const EpilogueRegs<V> er(p.ep);
  for (int r = 0; r < MR; ++r) {
    float* orow = out + static_cast<int64_t>(r) * oc;
    const float* rrow = res ? res + static_cast<int64_t>(r) * oc : nullptr;
    for (int j = 0; j < NB; ++j) {
      const int c = oc0 + j * L;
      const int n = oc - c < L ? oc - c : L;
      finish_store<V>(acc[r][j], p.ep, er, rrow ? rrow + j * L : nullptr, c, n, orow + j * L);
    }
  }
}

// Picks the tile instantiation for a runtime row count (1..MR).
template <class V, int NB, int MR>
FMN_VEC_INLINE void conv_tile_rows(int rows, const ConvPlan& p, const float* const* a, int nseg,
                                   int seglen, const float* w, int oc0, float* out,
                                   const float* res) {
  if constexpr (MR >= 1) {
    if (rows == MR)
      conv_tile<V, MR, NB>(p, a, nseg, seglen, w, oc0, out, res);
    else
      conv_tile_rows<V, NB, MR - 1>(rows, p, a, nseg, seglen, w, oc0, out, res);
  }
}

// Picks the instantiation for a runtime group width (1..NB panels).
template <class V, int NB>
FMN_VEC_INLINE void conv_tile_groups(int nb, int rows, const ConvPlan& p, const float* const* a,
                                     int nseg, int seglen, const float* w, int oc0, float* out,
                                     const float* res) {
  if constexpr (NB >= 1) {
    if (nb == NB)
      conv_tile_rows<V, NB, V::mr(NB)>(rows, p, a, nseg, seglen, w, oc0, out, res);
    else
      conv_tile_groups<V, NB - 1>(nb, rows, p, a, nseg, seglen, w, oc0, out, res);
  }
}

// Fills the segment pointers of the tile starting at pixel m0 with `rows` rows.
template <class V>
void conv_tile_pointers(const ConvPlan& p, const float* in, int64_t m0, int rows,
                        const float** a, int* nseg, int* seglen) {
  const ConvGeometry& g = p.g;
  if (p.pointwise) {
    for (int r = 0; r < rows; ++r) a[r] = in + (m0 + r) * g.in_c;
    *nseg = 1;
    *seglen = g.in_c;
    return;
  }
  const int64_t plane = static_cast<int64_t>(g.out_h) * g.out_w;
  int64_t n = m0 / plane;
  int64_t rem = m0 - n * plane;
  int oy = static_cast<int>(rem / g.out_w);
  int ox = static_cast<int>(rem - static_cast<int64_t>(oy) * g.out_w);
  const float* img[kConvMaxRows];
  int iy0[kConvMaxRows], ix0[kConvMaxRows];
  bool interior = true;
  const int span_h = (g.k_h - 1) * g.dil_h, span_w = (g.k_w - 1) * g.dil_w;
  for (int r = 0; r < rows; ++r) {
    img[r] = in + n * g.in_h * g.in_w * g.in_c;
    iy0[r] = oy * g.stride_h - g.pad_top;
    ix0[r] = ox * g.stride_w - g.pad_left;
    interior = interior && iy0[r] >= 0 && iy0[r] + span_h < g.in_h && ix0[r] >= 0 &&
               ix0[r] + span_w < g.in_w;
    if (++ox == g.out_w) {
      ox = 0;
      if (++oy == g.out_h) {
        oy = 0;
        ++n;
      }
    }
  }
  if (interior && g.dil_w == 1) {
    for (int kh = 0; kh < g.k_h; ++kh)
      for (int r = 0; r < rows; ++r)
        a[kh * kConvMaxRows + r] =
            img[r] + (static_cast<int64_t>(iy0[r] + kh * g.dil_h) * g.in_w + ix0[r]) * g.in_c;
    *nseg = g.k_h;
    *seglen = g.k_w * g.in_c;
    return;
  }
  for (int kh = 0; kh < g.k_h; ++kh) {
    for (int kw = 0; kw < g.k_w; ++kw) {
      const int t = kh * g.k_w + kw;
      for (int r = 0; r < rows; ++r) {
        const int iy = iy0[r] + kh * g.dil_h, ix = ix0[r] + kw * g.dil_w;
        const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
        a[t * kConvMaxRows + r] =
            inside ? img[r] + (static_cast<int64_t>(iy) * g.in_w + ix) * g.in_c : p.zeros;
      }
    }
  }
  *nseg = g.k_h * g.k_w;
  *seglen = g.in_c;
}

// Computes work items [begin, end) of ConvPlan::items().
template <class V>
void conv_items(const ConvPlan& p, const RunArgs& ra, int64_t begin, int64_t end) {
  constexpr int L = V::kLanes;
  static_assert(V::mr(1) <= kConvMaxRows && V::mr(V::kMaxNb) <= kConvMaxRows, "tile too tall");
  const ConvGeometry& g = p.g;
  const int64_t m_total = p.pixels();
  const int64_t k_total = static_cast<int64_t>(g.k_h) * g.k_w * g.in_c;
  const float* a[kConvMaxTaps * kConvMaxRows];
  int nseg = 0, seglen = 0;
  int64_t cur_tile = -1;
  for (int64_t item = begin; item < end; ++item) {
    const int64_t tile = item / p.groups;
    const int grp = static_cast<int>(item - tile * p.groups);
    const int64_t m0 = tile * p.mr;
    const int rows = static_cast<int>(m_total - m0 < p.mr ? m_total - m0 : p.mr);
    if (tile != cur_tile) {
      conv_tile_pointers<V>(p, ra.in, m0, rows, a, &nseg, &seglen);
      cur_tile = tile;
    }
    const int nb = grp == p.groups - 1 ? p.last_nb : p.nb;
    const int oc0 = grp * p.nb * L;
    const float* w = p.weights + static_cast<int64_t>(grp) * p.nb * L * k_total;
    float* out = ra.out + m0 * g.out_c + oc0;
    const float* res = p.ep.has_residual ? ra.residual + m0 * g.out_c + oc0 : nullptr;
    conv_tile_groups<V, V::kMaxNb>(nb, rows, p, a, nseg, seglen, w, oc0, out, res);
  }
}

}  // namespace cpu
}  // namespace fmn
