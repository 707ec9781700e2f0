// CONV_2D with few input channels (the models' first layers: 3-channel images) for AVX-512,
// vectorised over 16 adjacent output pixels instead of over output channels.
//
// Each input row is first split per channel and per column residue modulo stride_w into
// zero-padded planes: plane[ic][par][j] = input(x = j * stride_w + par - pad_left), so the
// tap (kh, kw) of 16 adjacent output pixels is one contiguous load at j = ox + kw / stride_w
// of plane par = kw % stride_w. Every output channel's accumulator stays in a register
// (OC <= 24), so no lane is wasted on channel padding. The 16 x OC results are transposed to
// NHWC in registers and finished with the shared epilogue.
#include "ops/cpu/cpu_kernels.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include <cstdint>

#include "ops/cpu/vec_avx512.h"
#include "ops/cpu/epilogue_impl.h"

namespace fmn {
namespace cpu {
namespace {

constexpr int kRing = kConvDirectMaxKh + 1;  // cached input rows (slot = iy % kRing)

// Full-mask forms of the shuffles: the same instructions, and GCC 12 does not warn about an
// undefined pass-through operand.
FMN_VEC_INLINE __m512 unpacklo(__m512 a, __m512 b) {
  return _mm512_mask_unpacklo_ps(a, 0xFFFF, a, b);
}
FMN_VEC_INLINE __m512 unpackhi(__m512 a, __m512 b) {
  return _mm512_mask_unpackhi_ps(a, 0xFFFF, a, b);
}
#define FMN_SHUF_PS(a, b, imm) _mm512_mask_shuffle_ps((a), 0xFFFF, (a), (b), (imm))
#define FMN_SHUF_F32X4(a, b, imm) _mm512_mask_shuffle_f32x4((a), 0xFFFF, (a), (b), (imm))

// In-place 16 x 16 transpose: afterwards r[i] holds lane i of the original r[0..15].
FMN_VEC_INLINE void transpose16(__m512* r) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = unpacklo(r[i], r[i + 1]);
    t[i + 1] = unpackhi(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = FMN_SHUF_PS(t[i], t[i + 2], 0x44);
    r[i + 1] = FMN_SHUF_PS(t[i], t[i + 2], 0xEE);
    r[i + 2] = FMN_SHUF_PS(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = FMN_SHUF_PS(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = FMN_SHUF_F32X4(r[i], r[i + 4], 0x88);
    t[i + 4] = FMN_SHUF_F32X4(r[i], r[i + 4], 0xDD);
    t[i + 8] = FMN_SHUF_F32X4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = FMN_SHUF_F32X4(r[i + 8], r[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = FMN_SHUF_F32X4(t[i], t[i + 8], 0x88);
    r[i + 8] = FMN_SHUF_F32X4(t[i], t[i + 8], 0xDD);
  }
}

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
  alignas(64) float tmp[(OC + 15) / 16 * 16 * 16];
  const int plane_floats = ic_n * s * wp;
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);

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
    const int res_c = ep.res_c;  // residual floats per pixel
    const float* rrow = ep.has_residual ? ra.residual + row * g.out_w * res_c : nullptr;

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
      // Channel blocks of 16 (the last zero-padded), transposed to one vector per pixel.
      constexpr int kBlocks = (OC + 15) / 16;
      FMN_UNROLL for (int b = 0; b < kBlocks; ++b) {
        FMN_UNROLL for (int i = 0; i < 16; ++i)
          _mm512_store_ps(tmp + (b * 16 + i) * 16, b * 16 + i < OC ? acc[b * 16 + i] : V::zero());
      }
      const int nq = g.out_w - ox0 < 16 ? g.out_w - ox0 : 16;
      FMN_UNROLL for (int b = 0; b < kBlocks; ++b) {
        const int c0 = b * 16;
        if (c0 >= out_c) break;
        const int nc = out_c - c0 < 16 ? out_c - c0 : 16;
        Reg r[16];
        FMN_UNROLL for (int i = 0; i < 16; ++i) r[i] = _mm512_load_ps(tmp + (c0 + i) * 16);
        transpose16(r);
        FMN_UNROLL for (int q = 0; q < 16; ++q) {
          if (q >= nq) break;
          const int64_t o = static_cast<int64_t>(ox0 + q) * out_c + c0;
          const float* rq = rrow && c0 < res_c
                                ? rrow + static_cast<int64_t>(ox0 + q) * res_c + c0
                                : nullptr;
          finish_store<V>(r[q], ep, er, rq, c0, nc, orow + o);
        }
      }
    }
  }
}

}  // namespace

#undef FMN_SHUF_PS
#undef FMN_SHUF_F32X4

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
