// The fused store tail shared by the conv and depthwise templates, over a vector type V
// (vec_*.h). Include only from the per-ISA compute files, after their vec_*.h.
#pragma once

#include "ops/cpu/cpu_kernels.h"

#ifndef FMN_VEC_INLINE
#define FMN_VEC_INLINE inline
#endif

// Full unrolling of the short register-blocking loops (trip counts known at compile time).
#if defined(__GNUC__)
#define FMN_UNROLL _Pragma("GCC unroll 32")
#else
#define FMN_UNROLL
#endif

namespace fmn {
namespace cpu {

// Loads n valid floats (n == V::kLanes: a full vector), zero-filling the rest.
template <class V>
FMN_VEC_INLINE typename V::Reg load_part(const float* p, int n) {
  return n == V::kLanes ? V::load(p) : V::load_n(p, n);
}

template <class V>
FMN_VEC_INLINE void store_part(float* p, const typename V::Reg& v, int n) {
  if (n == V::kLanes)
    V::store(p, v);
  else
    V::store_n(p, v, n);
}

// Clamp bounds of an EpilogueParams, broadcast once per tile.
template <class V>
struct EpilogueRegs {
  typename V::Reg lo, hi, post_lo, post_hi;
  explicit EpilogueRegs(const EpilogueParams& ep)
      : lo(V::set1(ep.act_lo)),
        hi(V::set1(ep.act_hi)),
        post_lo(V::set1(ep.post_lo)),
        post_hi(V::set1(ep.post_hi)) {}
};

// Applies runtime/kernel.h's Epilogue order to conv + bias values `v` of n channels starting
// at channel c, then stores them at out. res: the residual pixel's channel c (or null).
// Only the residual's channels below ep.res_c are read (a narrower residual adds zero to the
// rest): one comparison per store, instead of a second instantiation of every kernel.
template <class V>
FMN_VEC_INLINE void finish_store(typename V::Reg v, const EpilogueParams& ep,
                                 const EpilogueRegs<V>& er, const float* res, int c, int n,
                                 float* out) {
  if (ep.act_clamp) v = V::min(V::max(v, er.lo), er.hi);
  if (res) {
    const int rn = ep.res_c - c < n ? ep.res_c - c : n;
    if (rn > 0) v = V::add(v, load_part<V>(res, rn));
  }
  if (ep.alpha) v = V::prelu(v, V::load(ep.alpha + c));
  if (ep.post_clamp) v = V::min(V::max(v, er.post_lo), er.post_hi);
  store_part<V>(out, v, n);
}

}  // namespace cpu
}  // namespace fmn
