// Portable 8-lane float "vector": plain arrays and loops the compiler may vectorise for the
// baseline instruction set. Include only from *_generic.cc.
#pragma once

namespace fmn {
namespace cpu {

struct VecGeneric {
  static constexpr int kLanes = 8;
  static constexpr int kMaxNb = 2;
  static constexpr int mr(int nb) { return nb == 1 ? 4 : 3; }
  struct Reg {
    float v[kLanes];
  };

  static inline Reg load(const float* p) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = p[i];
    return r;
  }
  static inline Reg load_n(const float* p, int n) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = i < n ? p[i] : 0.f;
    return r;
  }
  static inline void store(float* p, const Reg& v) {
    for (int i = 0; i < kLanes; ++i) p[i] = v.v[i];
  }
  static inline void store_n(float* p, const Reg& v, int n) {
    for (int i = 0; i < n; ++i) p[i] = v.v[i];
  }
  static inline Reg set1(float x) {
    Reg r;
    for (int i = 0; i < kLanes; ++i) r.v[i] = x;
    return r;
  }
  static inline Reg bcast(const float* p) { return set1(*p); }
  static inline Reg zero() { return set1(0.f); }
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
};

}  // namespace cpu
}  // namespace fmn
