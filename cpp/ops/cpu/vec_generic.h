// Portable 4-lane float vector for the baseline instruction set (SSE2 on x86-64, NEON on
// aarch64). Include only from *_generic.cc.
//
// With GCC and Clang, Reg is one 128-bit vector register (the vector extension), so the
// kernels' compile-time unrolling over taps and pixels unrolls register operations, as it does
// for the AVX2/AVX-512 types. It used to be an 8-float array with per-lane loops: every
// unrolled tap then became 8 scalar statements for the SLP vectoriser to put back together,
// and the depthwise kernel alone took about 110 s to compile. Other compilers get the plain
// 4-float array.
#pragma once

namespace fmn {
namespace cpu {

struct VecGeneric {
  static constexpr int kLanes = 4;
  static constexpr int kMaxNb = 2;
  // Rows of the conv microkernel: mr x nb accumulators, nb weight vectors and one broadcast
  // stay within the 16 vector registers of SSE2 (NEON has 32).
  static constexpr int mr(int nb) { return nb == 1 ? 6 : 4; }

#if defined(__GNUC__) || defined(__clang__)
  typedef float F4 __attribute__((vector_size(16), aligned(4)));
  struct Reg {
    F4 v;
  };
  static inline Reg load(const float* p) {
    Reg r;
    __builtin_memcpy(&r.v, p, sizeof(F4));
    return r;
  }
  static inline void store(float* p, const Reg& v) { __builtin_memcpy(p, &v.v, sizeof(F4)); }
  static inline Reg set1(float x) { return Reg{F4{x, x, x, x}}; }
  static inline Reg fma(const Reg& a, const Reg& b, const Reg& c) { return Reg{a.v * b.v + c.v}; }
  static inline Reg add(const Reg& a, const Reg& b) { return Reg{a.v + b.v}; }
  static inline Reg max(const Reg& a, const Reg& b) { return Reg{a.v > b.v ? a.v : b.v}; }
  static inline Reg min(const Reg& a, const Reg& b) { return Reg{a.v < b.v ? a.v : b.v}; }
  static inline Reg prelu(const Reg& v, const Reg& alpha) {
    return Reg{v.v >= 0.f ? v.v : alpha.v * v.v};
  }
#else
  struct Reg {
    float v[kLanes];
  };
  static inline Reg load(const float* p) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = p[i];
    return r;
  }
  static inline void store(float* p, const Reg& v) {
    for (int i = 0; i < kLanes; ++i) p[i] = v.v[i];
  }
  static inline Reg set1(float x) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = x;
    return r;
  }
  static inline Reg fma(const Reg& a, const Reg& b, const Reg& c) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = a.v[i] * b.v[i] + c.v[i];
    return r;
  }
  static inline Reg add(const Reg& a, const Reg& b) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = a.v[i] + b.v[i];
    return r;
  }
  static inline Reg max(const Reg& a, const Reg& b) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];
    return r;
  }
  static inline Reg min(const Reg& a, const Reg& b) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i];
    return r;
  }
  static inline Reg prelu(const Reg& v, const Reg& alpha) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = v.v[i] >= 0.f ? v.v[i] : alpha.v[i] * v.v[i];
    return r;
  }
#endif

  // Partial loads and stores touch only the first n floats.
  static inline Reg load_n(const float* p, int n) {
    float t[kLanes] = {0.f, 0.f, 0.f, 0.f};
    for (int i = 0; i < n && i < kLanes; ++i) t[i] = p[i];
    return load(t);
  }
  static inline void store_n(float* p, const Reg& v, int n) {
    float t[kLanes];
    store(t, v);
    for (int i = 0; i < n && i < kLanes; ++i) p[i] = t[i];
  }
  static inline Reg bcast(const float* p) { return set1(*p); }
  static inline Reg zero() { return set1(0.f); }
};

}  // namespace cpu
}  // namespace fmn
