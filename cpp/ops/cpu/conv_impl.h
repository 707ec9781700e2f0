// CONV_2D as an indirect GEMM over a vector type V (vec_*.h): output pixels are GEMM rows,
// output channels GEMM columns, and the reduction runs over (kh, kw, ic) in TFLite's filter
// order. Include only from conv_<isa>.cc, after its vec_*.h.
//
// A tile is up to mr output pixels times one group of nb weight panels. Pointwise convs tile the
// pixels flattened over (batch, y, x); other convs tile each output row separately, so a
// tile's pixels read the input at a fixed stride. The reduction is cut into segments of contiguous input floats, one pointer
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
// w: the group's packed weights; out: row 0's first channel of the group, rows out_c apart;
// res: the residual at row 0, channel oc0 (rows p.ep.res_c apart; p.ep.res_c <= out_c), or
// null.
// KFIX > 0: one segment of exactly KFIX floats, fully unrolled (small pointwise convs, where
// the loop's overhead would cost as much as the arithmetic).
template <class V, int MR, int NB, int KFIX>
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
  if constexpr (KFIX > 0) {
    (void)nseg;
    (void)seglen;
    const float* ar[MR];
    for (int r = 0; r < MR; ++r) ar[r] = a[r];
    FMN_UNROLL for (int k = 0; k < KFIX; ++k) {
      Reg wv[NB];
      for (int j = 0; j < NB; ++j) wv[j] = V::load(w + j * L);
      w += NB * L;
      FMN_UNROLL for (int r = 0; r < MR; ++r) {
        const Reg x = V::bcast(ar[r] + k);
        FMN_UNROLL for (int j = 0; j < NB; ++j) acc[r][j] = V::fma(x, wv[j], acc[r][j]);
      }
    }
  }
  for (int s = 0; KFIX == 0 && s < nseg; ++s) {
    const float* ar[MR];
    for (int r = 0; r < MR; ++r) ar[r] = a[s * kConvMaxRows + r];
    for (int k = 0; k < seglen; ++k) {
      Reg wv[NB];
      for (int j = 0; j < NB; ++j) wv[j] = V::load(w + j * L);
      w += NB * L;
      FMN_UNROLL for (int r = 0; r < MR; ++r) {
        const Reg x = V::bcast(ar[r] + k);
        FMN_UNROLL for (int j = 0; j < NB; ++j) acc[r][j] = V::fma(x, wv[j], acc[r][j]);
      }
    }
  }
  // Stores through `out` may alias the plan as far as the compiler knows: read it first.
  const EpilogueParams ep = p.ep;
  const EpilogueRegs<V> er(ep);
  const int res_stride = ep.res_c;
  for (int r = 0; r < MR; ++r) {
    float* orow = out + static_cast<int64_t>(r) * oc;
    const float* rrow = res ? res + static_cast<int64_t>(r) * res_stride : nullptr;
    for (int j = 0; j < NB; ++j) {
      const int c = oc0 + j * L;
      const int n = oc - c < L ? oc - c : L;
      finish_store<V>(acc[r][j], ep, er, rrow ? rrow + j * L : nullptr, c, n, orow + j * L);
    }
  }
}

using ConvTileFn = void (*)(const ConvPlan&, const float* const*, int, int, const float*, int,
                           float*, const float*);

// Reduction lengths with a fully unrolled pointwise tile (full tiles only).
constexpr int kConvFixedK[] = {16, 24, 32};
constexpr int kConvNumFixedK = 3;
template <class V>
int conv_fixed_k_index(int k) {
  for (int i = 0; i < kConvNumFixedK; ++i)
    if (kConvFixedK[i] == k) return i;
  return -1;
}

// The last group may be narrower than the others and its tiles as tall as theirs: tile
// heights must not grow with the group width.
template <class V, int NB = 2>
constexpr bool conv_mr_non_increasing() {
  if constexpr (NB > V::kMaxNb)
    return true;
  else
    return V::mr(NB) <= V::mr(NB - 1) && conv_mr_non_increasing<V, NB + 1>();
}

// The tile instantiations, indexed [group width][rows], and the fully unrolled full-height
// pointwise ones, indexed [group width][conv_fixed_k_index].
template <class V>
struct ConvTileTable {
  ConvTileFn fn[V::kMaxNb + 1][kConvMaxRows + 1] = {};
  ConvTileFn fixed_k[V::kMaxNb + 1][kConvNumFixedK] = {};
  ConvTileTable() { fill<1>(); }
  template <int NB>
  void fill() {
    if constexpr (NB <= V::kMaxNb) {
      fill_rows<NB, V::mr(NB)>();
      fixed_k[NB][0] = &conv_tile<V, V::mr(NB), NB, kConvFixedK[0]>;
      fixed_k[NB][1] = &conv_tile<V, V::mr(NB), NB, kConvFixedK[1]>;
      fixed_k[NB][2] = &conv_tile<V, V::mr(NB), NB, kConvFixedK[2]>;
      fill<NB + 1>();
    }
  }
  template <int NB, int R>
  void fill_rows() {
    if constexpr (R >= 1) {
      fn[NB][R] = &conv_tile<V, R, NB, 0>;
      fill_rows<NB, R - 1>();
    }
  }
};

// Fills the segment pointers of a spatial tile: output row `row` (= n * out_h + oy), columns
// [ox0, ox0 + rows).
template <class V>
void conv_tile_pointers(const ConvPlan& p, const float* in, int64_t row, int ox0, int rows,
                        const float** a, int* nseg, int* seglen) {
  const ConvGeometry& g = p.g;
  const int64_t n = row / g.out_h;
  const int oy = static_cast<int>(row - n * g.out_h);
  const float* img = in + n * g.in_h * g.in_w * g.in_c;
  const int iy0 = oy * g.stride_h - g.pad_top;
  const int ix0 = ox0 * g.stride_w - g.pad_left;
  const int ix_last = (ox0 + rows - 1) * g.stride_w - g.pad_left;
  const int64_t step = static_cast<int64_t>(g.stride_w) * g.in_c;  // between tile rows
  const bool interior = iy0 >= 0 && iy0 + (g.k_h - 1) * g.dil_h < g.in_h && ix0 >= 0 &&
                        ix_last + (g.k_w - 1) * g.dil_w < g.in_w;
  if (interior && g.dil_w == 1) {
    for (int kh = 0; kh < g.k_h; ++kh) {
      const float* base = img + (static_cast<int64_t>(iy0 + kh * g.dil_h) * g.in_w + ix0) * g.in_c;
      for (int r = 0; r < rows; ++r) a[kh * kConvMaxRows + r] = base + r * step;
    }
    *nseg = g.k_h;
    *seglen = g.k_w * g.in_c;
    return;
  }
  for (int kh = 0; kh < g.k_h; ++kh) {
    const int iy = iy0 + kh * g.dil_h;
    const bool row_inside = iy >= 0 && iy < g.in_h;
    for (int kw = 0; kw < g.k_w; ++kw) {
      const int t = kh * g.k_w + kw;
      for (int r = 0; r < rows; ++r) {
        const int ix = ix0 + r * g.stride_w + kw * g.dil_w;
        const bool inside = row_inside && ix >= 0 && ix < g.in_w;
        a[t * kConvMaxRows + r] =
            inside ? img + (static_cast<int64_t>(iy) * g.in_w + ix) * g.in_c : p.zeros;
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
  static const ConvTileTable<V> table;
  static_assert(conv_mr_non_increasing<V>(), "tile height grows with group width");
  const int fixed_k = p.pointwise ? conv_fixed_k_index<V>(g.in_c) : -1;
  const float* a[kConvMaxTaps * kConvMaxRows];
  int nseg = 0, seglen = 0, rows = 0;
  int64_t m0 = 0;
  int64_t tile = begin / p.groups;
  int grp = static_cast<int>(begin - tile * p.groups);
  bool new_tile = true;
  for (int64_t item = begin; item < end; ++item) {
    if (new_tile) {
      new_tile = false;
      if (p.pointwise) {
        m0 = tile * p.mr;
        rows = static_cast<int>(m_total - m0 < p.mr ? m_total - m0 : p.mr);
        const float* base = ra.in + m0 * g.in_c;
        for (int r = 0; r < rows; ++r) a[r] = base + static_cast<int64_t>(r) * g.in_c;
        nseg = 1;
        seglen = g.in_c;
      } else {
        const int64_t row = tile / p.tiles_per_row;
        const int ox0 = static_cast<int>(tile - row * p.tiles_per_row) * p.mr;
        rows = g.out_w - ox0 < p.mr ? g.out_w - ox0 : p.mr;
        m0 = row * g.out_w + ox0;
        conv_tile_pointers<V>(p, ra.in, row, ox0, rows, a, &nseg, &seglen);
      }
    }
    const int nb = grp == p.groups - 1 ? p.last_nb : p.nb;
    const int oc0 = grp * p.nb * L;
    const float* w = p.weights + static_cast<int64_t>(grp) * p.nb * L * k_total;
    float* out = ra.out + m0 * g.out_c + oc0;
    const float* res =
        p.ep.has_residual && oc0 < p.ep.res_c ? ra.residual + m0 * p.ep.res_c + oc0 : nullptr;
    const ConvTileFn fn =
        fixed_k >= 0 && rows == V::mr(nb) ? table.fixed_k[nb][fixed_k] : table.fn[nb][rows];
    fn(p, a, nseg, seglen, w, oc0, out, res);
    if (++grp == p.groups) {
      grp = 0;
      ++tile;
      new_tile = true;
    }
  }
}

}  // namespace cpu
}  // namespace fmn
