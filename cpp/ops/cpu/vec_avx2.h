// 8-lane float vector operations for the AVX2 + FMA compute files (include only from *_avx2.cc).
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace fmn {
namespace cpu {

#define FMN_VEC_INLINE inline __attribute__((always_inline))

struct VecAvx2 {
  using Reg = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kMaxNb = 3;
  // Tile rows per group width: nb * mr accumulators leave room in the 16 vector registers.
  static constexpr int mr(int nb) { return nb == 1 ? 8 : nb == 2 ? 6 : 4; }

  static constexpr int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                             0,  0,  0,  0,  0,  0,  0,  0};
  static FMN_VEC_INLINE __m256i mask(int n) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - n));
  }
  static FMN_VEC_INLINE Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static FMN_VEC_INLINE Reg load_n(const float* p, int n) {
    return _mm256_maskload_ps(p, mask(n));
  }
  static FMN_VEC_INLINE void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static FMN_VEC_INLINE void store_n(float* p, Reg v, int n) {
    _mm256_maskstore_ps(p, mask(n), v);
  }
  static FMN_VEC_INLINE Reg bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static FMN_VEC_INLINE Reg set1(float x) { return _mm256_set1_ps(x); }
  static FMN_VEC_INLINE Reg zero() { return _mm256_setzero_ps(); }
  static FMN_VEC_INLINE Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static FMN_VEC_INLINE Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static FMN_VEC_INLINE Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static FMN_VEC_INLINE Reg min(Reg a, Reg b) { return _mm256_min_ps(a, b); }
  // v >= 0 ? v : alpha * v
  static FMN_VEC_INLINE Reg prelu(Reg v, Reg alpha) {
    const Reg neg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, alpha), neg);
  }
};

}  // namespace cpu
}  // namespace fmn
