// 16-lane float vector operations for the AVX-512 compute files (include only from *_avx512.cc).
#pragma once

#include <immintrin.h>

namespace fmn {
namespace cpu {

#define FMN_VEC_INLINE inline __attribute__((always_inline))

struct VecAvx512 {
  using Reg = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kMaxNb = 4;  // conv group width in panels
  // Tile rows per group width: nb * mr accumulators stay within the 32 vector registers.
  static constexpr int mr(int nb) { return nb <= 2 ? 12 : nb == 3 ? 8 : 6; }

  static FMN_VEC_INLINE __mmask16 mask(int n) {
    return static_cast<__mmask16>((1u << n) - 1u);
  }
  static FMN_VEC_INLINE Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static FMN_VEC_INLINE Reg load_n(const float* p, int n) {
    return _mm512_maskz_loadu_ps(mask(n), p);
  }
  static FMN_VEC_INLINE void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static FMN_VEC_INLINE void store_n(float* p, Reg v, int n) {
    _mm512_mask_storeu_ps(p, mask(n), v);
  }
  static FMN_VEC_INLINE Reg bcast(const float* p) { return _mm512_set1_ps(*p); }
  static FMN_VEC_INLINE Reg set1(float x) { return _mm512_set1_ps(x); }
  static FMN_VEC_INLINE Reg zero() { return _mm512_setzero_ps(); }
  static FMN_VEC_INLINE Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static FMN_VEC_INLINE Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  // Full-mask forms: same instruction, and GCC 12 does not warn about an undefined pass-through.
  static FMN_VEC_INLINE Reg max(Reg a, Reg b) { return _mm512_mask_max_ps(a, 0xFFFF, a, b); }
  static FMN_VEC_INLINE Reg min(Reg a, Reg b) { return _mm512_mask_min_ps(a, 0xFFFF, a, b); }
  // v >= 0 ? v : alpha * v
  static FMN_VEC_INLINE Reg prelu(Reg v, Reg alpha) {
    const __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(v, neg, v, alpha);
  }
};

}  // namespace cpu
}  // namespace fmn
