// DEPTHWISE_CONV_2D (depth multiplier 1) over a vector type V (vec_*.h), vectorised over
// channels. Include only from depthwise_<isa>.cc, after its vec_*.h.
//
// Per output row and channel block the filter taps stay in registers (KH, KW known at compile
// time; 0 means runtime sizes). Columns whose taps are all inside the input row run in blocks
// of adjacent pixels that share input loads (compile-time stride, dilation 1) or, otherwise,
// in a fully unrolled per-pixel path; the few border columns check each tap.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/epilogue_impl.h"

namespace fmn {
namespace cpu {

// kPx adjacent interior output pixels (horizontal stride SW, dilation 1) of one channel block:
// each input column is loaded once and feeds every (pixel, tap) pair that reads it.
// ip: input at the first pixel's top-left tap and channel c0 (kernel row 0, which may lie
// outside the input: only rows [kh_lo, kh_hi) are read); pix: floats between pixels; row:
// floats between kernel rows (input row stride times dilation). kFull: nc == lanes.
template <class V, int KH, int KW, int SW, int kPx, bool kFull>
FMN_VEC_INLINE void depthwise_block(const float* ip, int64_t pix, int64_t row, int kh_lo,
                                    int kh_hi, const typename V::Reg* wr, typename V::Reg bias,
                                    int nc, typename V::Reg* acc) {
  using Reg = typename V::Reg;
  constexpr int kCols = (kPx - 1) * SW + KW;
  FMN_UNROLL for (int q = 0; q < kPx; ++q) acc[q] = bias;
  FMN_UNROLL for (int kh = 0; kh < KH; ++kh) {
    if (kh < kh_lo || kh >= kh_hi) continue;
    const float* src = ip + kh * row;
    FMN_UNROLL for (int j = 0; j < kCols; ++j) {
      const Reg x = kFull ? V::load(src) : V::load_n(src, nc);
      src += pix;
      FMN_UNROLL for (int q = 0; q < kPx; ++q) {
        const int kw = j - q * SW;
        if (kw >= 0 && kw < KW) acc[q] = V::fma(x, wr[kh * KW + kw], acc[q]);
      }
    }
  }
}

// Output rows [begin, end). KH, KW: filter size (0: runtime); SW: horizontal stride with
// dilation 1 (0: runtime stride and dilation).
template <class V, int KH, int KW, int SW>
void depthwise_rows(const DwPlan& p, const RunArgs& ra, int64_t begin, int64_t end) {
  using Reg = typename V::Reg;
  constexpr int L = V::kLanes;
  constexpr bool kFixed = KH > 0 && KW > 0;
  constexpr int kTaps = kFixed ? KH * KW : 1;
  constexpr int kPx = kFixed ? (kTaps <= 9 ? 4 : 2) : 1;
  constexpr int kParts = kFixed && KH <= 3 ? KH : 2;
  const ConvGeometry& g = p.g;
  const int kh_n = kFixed ? KH : g.k_h;
  const int kw_n = kFixed ? KW : g.k_w;
  const int c_total = g.out_c;
  const int c_pad = (c_total + L - 1) / L * L;
  const int64_t pix_stride = c_total;
  const int64_t row_stride = static_cast<int64_t>(g.in_w) * c_total;
  // Stores through `out` may alias the plan as far as the compiler knows: read it first.
  const EpilogueParams ep = p.ep;
  const EpilogueRegs<V> er(ep);

  // Output columns whose taps are all inside the row: [ox_lo, ox_hi).
  int ox_lo = (g.pad_left + g.stride_w - 1) / g.stride_w;
  const int last_ok = g.in_w - 1 - (kw_n - 1) * g.dil_w + g.pad_left;
  int ox_hi = last_ok < 0 ? 0 : last_ok / g.stride_w + 1;
  if (ox_hi > g.out_w) ox_hi = g.out_w;
  if (ox_lo > ox_hi) ox_lo = ox_hi;

  for (int64_t row = begin; row < end; ++row) {
    const int64_t n = row / g.out_h;
    const int oy = static_cast<int>(row - n * g.out_h);
    const int iy0 = oy * g.stride_h - g.pad_top;
    int kh_lo = 0, kh_hi = kh_n;
    while (kh_lo < kh_hi && iy0 + kh_lo * g.dil_h < 0) ++kh_lo;
    while (kh_hi > kh_lo && iy0 + (kh_hi - 1) * g.dil_h >= g.in_h) --kh_hi;
    const bool full_rows = kh_lo == 0 && kh_hi == kh_n;
    const float* img = ra.in + n * g.in_h * row_stride;
    float* orow = ra.out + row * g.out_w * pix_stride;
    const int64_t res_px = ep.res_c;  // residual floats per pixel
    const float* rrow = ep.has_residual ? ra.residual + row * g.out_w * res_px : nullptr;

    for (int c0 = 0; c0 < c_total; c0 += L) {
      const int nc = c_total - c0 < L ? c_total - c0 : L;
      const float* wbase = p.weights + c0;
      Reg wr[kTaps];
      if constexpr (kFixed) {
        FMN_UNROLL for (int t = 0; t < kTaps; ++t) wr[t] = V::load(wbase + t * c_pad);
      }
      const Reg bias = V::load(p.bias + c0);
      const float* ibase = img + c0;
      // The residual at this block's first channel (null: none, or past a narrow one's width).
      const float* rblk = rrow && c0 < ep.res_c ? rrow + c0 : nullptr;

      // One output pixel with per-tap bounds checks.
      auto border = [&](int ox) {
        const int ix0 = ox * g.stride_w - g.pad_left;
        Reg acc = bias;
        if constexpr (kFixed) {
          // Compile-time taps, so the filter stays in registers.
          FMN_UNROLL for (int kh = 0; kh < KH; ++kh) {
            if (kh < kh_lo || kh >= kh_hi) continue;
            const float* irow = ibase + (iy0 + kh * g.dil_h) * row_stride;
            FMN_UNROLL for (int kw = 0; kw < KW; ++kw) {
              const int ix = ix0 + kw * g.dil_w;
              if (ix < 0 || ix >= g.in_w) continue;
              acc = V::fma(load_part<V>(irow + ix * pix_stride, nc), wr[kh * KW + kw], acc);
            }
          }
          finish_store<V>(acc, ep, er, rblk ? rblk + ox * res_px : nullptr, c0, nc,
                                   orow + ox * pix_stride + c0);
          return;
        }
        for (int kh = kh_lo; kh < kh_hi; ++kh) {
          const float* irow = ibase + (iy0 + kh * g.dil_h) * row_stride;
          for (int kw = 0; kw < kw_n; ++kw) {
            const int ix = ix0 + kw * g.dil_w;
            if (ix < 0 || ix >= g.in_w) continue;
            const int t = kh * kw_n + kw;
            Reg wt;
            if constexpr (kFixed) wt = wr[t]; else wt = V::load(wbase + t * c_pad);
            acc = V::fma(load_part<V>(irow + ix * pix_stride, nc), wt, acc);
          }
        }
        finish_store<V>(acc, ep, er, rblk ? rblk + ox * res_px : nullptr, c0, nc,
                                 orow + ox * pix_stride + c0);
      };

      for (int ox = 0; ox < ox_lo; ++ox) border(ox);
      if constexpr (kFixed && SW > 0) {
        // Interior columns in blocks of 8, 4, 2, 1 pixels; kernel rows outside the input are
        // skipped per block.
        const float* iy_base = ibase + static_cast<int64_t>(iy0) * row_stride;
        const int64_t kh_step = g.dil_h * row_stride;
        int ox = ox_lo;
        auto blocks = [&](auto px_tag) {
          constexpr int kB = decltype(px_tag)::value;
          for (; ox + kB <= ox_hi; ox += kB) {
            const float* ip = iy_base + (ox * SW - g.pad_left) * pix_stride;
            Reg acc[kB];
            if (nc == L)
              depthwise_block<V, KH, KW, SW, kB, true>(ip, pix_stride, kh_step, kh_lo, kh_hi, wr,
                                                       bias, nc, acc);
            else
              depthwise_block<V, KH, KW, SW, kB, false>(ip, pix_stride, kh_step, kh_lo, kh_hi, wr,
                                                        bias, nc, acc);
            FMN_UNROLL for (int q = 0; q < kB; ++q) {
              const int64_t o = (ox + q) * pix_stride + c0;
              const float* rq = rblk ? rblk + (ox + q) * res_px : nullptr;
              finish_store<V>(acc[q], ep, er, rq, c0, nc, orow + o);
            }
          }
        };
        blocks(std::integral_constant<int, KW <= 3 ? 8 : 4>());
        blocks(std::integral_constant<int, 2>());
        blocks(std::integral_constant<int, 1>());
      } else if (full_rows) {
        const float* iy_base = ibase + iy0 * row_stride;
        const int64_t px_step = static_cast<int64_t>(g.stride_w) * pix_stride;
        int ox = ox_lo;
        // kPx pixels at once, each summed in kParts partial chains (by kernel row), so that
        // enough independent FMAs are in flight to hide their latency.
        for (; ox + kPx <= ox_hi; ox += kPx) {
          const float* ip = iy_base + (ox * g.stride_w - g.pad_left) * pix_stride;
          Reg acc[kPx][kParts];
          FMN_UNROLL for (int q = 0; q < kPx; ++q) {
            acc[q][0] = bias;
            for (int part = 1; part < kParts; ++part) acc[q][part] = V::zero();
          }
          FMN_UNROLL for (int kh = 0; kh < kh_n; ++kh) {
            const float* irow = ip + kh * g.dil_h * row_stride;
            const int part = kh % kParts;
            FMN_UNROLL for (int kw = 0; kw < kw_n; ++kw) {
              const int t = kh * kw_n + kw;
              Reg wt;
              if constexpr (kFixed) wt = wr[t]; else wt = V::load(wbase + t * c_pad);
              const float* src = irow + kw * g.dil_w * pix_stride;
              FMN_UNROLL for (int q = 0; q < kPx; ++q) {
                const float* sq = src + q * px_step;
                acc[q][part] = V::fma(nc == L ? V::load(sq) : V::load_n(sq, nc), wt, acc[q][part]);
              }
            }
          }
          FMN_UNROLL for (int q = 0; q < kPx; ++q) {
            Reg sum = acc[q][0];
            for (int part = 1; part < kParts; ++part) sum = V::add(sum, acc[q][part]);
            const int64_t o = (ox + q) * pix_stride + c0;
            const float* rq = rblk ? rblk + (ox + q) * res_px : nullptr;
            finish_store<V>(sum, ep, er, rq, c0, nc, orow + o);
          }
        }
        for (; ox < ox_hi; ++ox) border(ox);
      } else {
        for (int ox = ox_lo; ox < ox_hi; ++ox) border(ox);
      }
      for (int ox = ox_hi; ox < g.out_w; ++ox) border(ox);
    }
  }
}

// Dispatches on the filter size and stride.
template <class V>
void depthwise_dispatch(const DwPlan& p, const RunArgs& ra, int64_t begin, int64_t end) {
  const ConvGeometry& g = p.g;
  const int sw = g.dil_w == 1 && (g.stride_w == 1 || g.stride_w == 2) ? g.stride_w : 0;
  if (g.k_h == 3 && g.k_w == 3) {
    if (sw == 1)
      depthwise_rows<V, 3, 3, 1>(p, ra, begin, end);
    else if (sw == 2)
      depthwise_rows<V, 3, 3, 2>(p, ra, begin, end);
    else
      depthwise_rows<V, 3, 3, 0>(p, ra, begin, end);
  } else if (g.k_h == 5 && g.k_w == 5) {
    if (sw == 1)
      depthwise_rows<V, 5, 5, 1>(p, ra, begin, end);
    else if (sw == 2)
      depthwise_rows<V, 5, 5, 2>(p, ra, begin, end);
    else
      depthwise_rows<V, 5, 5, 0>(p, ra, begin, end);
  } else {
    depthwise_rows<V, 0, 0, 0>(p, ra, begin, end);
  }
}

}  // namespace cpu
}  // namespace fmn
