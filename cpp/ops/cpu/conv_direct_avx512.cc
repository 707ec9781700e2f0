// CONV_2D with few input channels (the models' first layers: 3-channel images) for AVX-512,
// vectorised over 16 adjacent output pixels instead of over output channels.
//
// Each input row is first split per channel and per column residue modulo stride_w into
// zero-padded planes: plane[ic][par][j] = input(x = j * stride_w + par - pad_left), so the
// tap (kh, kw) of 16 adjacent output pixels is one contiguous load at j = ox + kw / stride_w
// of plane par = kw % stride_w. Every output channel's accumulator stays in a register
// (OC <= 24), so no lane is wasted on channel padding. The 16 x OC results are transposed to
// NHWC through a small buffer and finished with the shared epilogue.
#include "ops/cpu/cpu_kernels.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include <cstdint>

#include "ops/cpu/vec_avx512.h"
#include "ops/cpu/epilogue_impl.h"

namespace fmn {
namespace cpu {
namespace {

constexpr int kRing = kConvDirectMaxKh + 1;  // cached input rows (slot = iy % kRing)

// Output rows [begin, end) (row = n * out_h + oy). OC: accumulators per pixel block, >= out_c.
template <int OC>
void conv_direct_rows(const ConvPlan& p, const RunArgs& ra, int64_t begin, int64_t end) {
  using V = VecAvx512;
  using Reg = V::Reg;
  const ConvGeometry& g = p.g;
  const int ic_n = g.in_c, s = g.stride_w, wp = p.direct_plane_w;
  const int out_c = g.out_c;
  const EpilogueParams ep = p.ep;
  const EpilogueRegs<V> er(ep);
  // Split input rows: [kRing][ic][stride][wp].
  alignas(64) float planes[kRing * kConvDirectMaxIc * 2 * kConvDirectMaxPlaneW];
  int64_t slot_row[kRing];  // n * in_h + iy held by each slot, or -1
  for (int i = 0; i < kRing; ++i) slot_row[i] = -1;
  alignas(64) float tmp[OC * 16];
  const int plane_floats = ic_n * s * wp;
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i tr_idx = _mm512_mullo_epi32(lane, _mm512_set1_epi32(16));

  auto fill = [&](int64_t n, int iy) -> const float* {
    const int64_t key = n * g.in_h + iy;
    float* dst = planes + (iy % kRing) * plane_floats;
    if (slot_row[iy % kRing] == key) return dst;
    slot_row[iy % kRing] = key;
    const float* src = ra.in + key * g.in_w * ic_n;
    for (int par = 0; par < s; ++par) {
      for (int j0 = 0; j0 < wp; j0 += 16) {
        // x = (j0 + lane) * s + par - pad_left; lanes outside [0, in_w) read as zero.
        const __m512i x = _mm512_add_epi32(
            _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(j0)), _mm512_set1_epi32(s)),
            _mm512_set1_epi32(par - g.pad_left));
        const __mmask16 ok = _mm512_cmpge_epi32_mask(x, _mm512_setzero_si512()) &
                             _mm512_cmplt_epi32_mask(x, _mm512_set1_epi32(g.in_w));
        const __m512i off = _mm512_mullo_epi32(x, _mm512_set1_epi32(ic_n));
        for (int c = 0; c < ic_n; ++c) {
          const Reg v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), ok, off, src + c, 4);
          _mm512_store_ps(dst + (c * s + par) * wp + j0, v);
        }
      }
    }
    return dst;
  };

  for (int64_t row = begin; row < end; ++row) {
    const int64_t n = row / g.out_h;
    const int oy = static_cast<int>(row - n * g.out_h);
    const int iy0 = oy * g.stride_h - g.pad_top;
    const float* rows_at[kConvDirectMaxKh];
    int kh_lo = 0, kh_hi = g.k_h;
    while (kh_lo < kh_hi && iy0 + kh_lo < 0) ++kh_lo;
    while (kh_hi > kh_lo && iy0 + kh_hi - 1 >= g.in_h) --kh_hi;
    for (int kh = kh_lo; kh < kh_hi; ++kh) rows_at[kh] = fill(n, iy0 + kh);
    float* orow = ra.out + row * g.out_w * out_c;
    const float* rrow = ep.has_residual ? ra.residual + row * g.out_w * out_c : nullptr;

    for (int ox0 = 0; ox0 < g.out_w; ox0 += 16) {
      Reg acc[OC];
      FMN_UNROLL for (int o = 0; o < OC; ++o) acc[o] = V::set1(p.bias[o]);
      for (int kh = kh_lo; kh < kh_hi; ++kh) {
        const float* rp = rows_at[kh];
        const float* wk = p.direct_weights + static_cast<int64_t>(kh) * g.k_w * ic_n * OC;
        for (int kw = 0; kw < g.k_w; ++kw) {
          const float* src = rp + (kw % s) * wp + ox0 + kw / s;
          for (int c = 0; c < ic_n; ++c, wk += OC) {
            const Reg x = V::load(src + c * s * wp);
            FMN_UNROLL for (int o = 0; o < OC; ++o) acc[o] = V::fma(x, V::set1(wk[o]), acc[o]);
          }
        }
      }
      FMN_UNROLL for (int o = 0; o < OC; ++o) _mm512_store_ps(tmp + o * 16, acc[o]);
      const int nq = g.out_w - ox0 < 16 ? g.out_w - ox0 : 16;
      for (int q = 0; q < nq; ++q) {
        const int64_t o = static_cast<int64_t>(ox0 + q) * out_c;
        for (int c0 = 0; c0 < out_c; c0 += 16) {
          const int nc = out_c - c0 < 16 ? out_c - c0 : 16;
          const Reg v = _mm512_mask_i32gather_ps(
              _mm512_setzero_ps(), V::mask(nc),
              _mm512_add_epi32(tr_idx, _mm512_set1_epi32(c0 * 16 + q)), tmp, 4);
          finish_store<V>(v, ep, er, rrow ? rrow + o + c0 : nullptr, c0, nc, orow + o + c0);
        }
      }
    }
  }
}

}  // namespace

void conv_direct_avx512(const ConvPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  switch (p.direct_oc) {
    case 8: conv_direct_rows<8>(p, a, begin, end); break;
    case 16: conv_direct_rows<16>(p, a, begin, end); break;
    default: conv_direct_rows<24>(p, a, begin, end); break;
  }
}

}  // namespace cpu
}  // namespace fmn
#endif
