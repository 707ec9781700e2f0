// Internal interface between the tuned CPU backend (cpu_backend.cc: validation, weight packing,
// threading) and its per-instruction-set compute files (*_avx512.cc, *_avx2.cc, *_generic.cc).
//
// Every compute file instantiates the same templates (conv_impl.h, depthwise_impl.h) over its
// own vector type (vec_*.h) and exports one table of plain function pointers. Plans are built
// once in prepare(); the functions below only read them.
//
// Layouts (all float32):
//   activations   NHWC, dense.
//   conv weights  packed per group of `nb` panels of `lanes` output channels:
//                 group g holds [K][nb_g * lanes] with K = kh * kw * ic in TFLite's filter order
//                 (kh, kw, ic); channels past out_c are zero. nb_g = nb except for the last group.
//   dw weights    [kh * kw][c_pad] with c_pad = out_c rounded up to `lanes`, zero-filled.
//   bias, alpha   padded to the same rounded channel count, zero-filled.
#pragma once

#include <cstdint>

namespace fmn {
namespace cpu {

constexpr int kConvMaxTaps = 64;  // k_h * k_w limit; the backend declines larger filters
constexpr int kConvMaxRows = 12;  // largest conv tile height over all instruction sets
// Limits of the pixel-vectorised direct conv (IsaKernels::conv_direct): input channels, output
// channels, filter height, stride_w (1 or 2, dilation 1) and split-plane width in floats.
constexpr int kConvDirectMaxIc = 4;
constexpr int kConvDirectMaxOc = 24;
constexpr int kConvDirectMaxKh = 7;
constexpr int kConvDirectMaxPlaneW = 256;

// Geometry of one conv / depthwise node; pad_* is the zero padding before (TFLite's implicit
// SAME padding, or a folded PAD's explicit padding); taps past in_h / in_w read zero too, so
// out_h / out_w may imply any padding after.
struct ConvGeometry {
  int batch = 1;
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int k_h = 1, k_w = 1;
  int stride_h = 1, stride_w = 1;
  int dil_h = 1, dil_w = 1;
  int pad_top = 0, pad_left = 0;
};

// The fused per-element tail (runtime/kernel.h Epilogue), resolved to plain values.
struct EpilogueParams {
  float act_lo, act_hi;          // conv's own activation clamp
  bool has_residual = false;     // add residual[same NHWC index]
  int res_c = 0;                 // residual channels per pixel (its row stride), <= out_c;
                                 // channels >= res_c add nothing
  const float* alpha = nullptr;  // padded per-channel PReLU slopes, or null
  float post_lo, post_hi;        // clamp after the residual / PReLU
  bool act_clamp = true;         // false when [act_lo, act_hi] is [-inf, inf]
  bool post_clamp = true;        // false when [post_lo, post_hi] is [-inf, inf]
};

struct ConvPlan {
  ConvGeometry g;
  EpilogueParams ep;
  int lanes = 0;              // panel width: the instruction set's float lanes
  int nb = 1;                 // panels per group (all groups but the last)
  int last_nb = 1;            // panels in the last group
  int groups = 1;             // ceil(panels / nb)
  int mr = 1;                 // output pixels per tile
  bool pointwise = false;     // 1x1, stride 1, no padding: pixel m reads in + m * in_c
  int tiles_per_row = 1;      // non-pointwise: ceil(out_w / mr); tiles never span two rows
  const float* weights = nullptr;  // packed, see above; group g starts at g * nb * lanes * K
  const float* bias = nullptr;     // padded
  const float* zeros = nullptr;    // >= in_c zero floats, stands in for padded taps
  // Direct conv (IsaKernels::conv_direct; items are output rows, n * out_h + oy):
  bool direct = false;
  int direct_oc = 0;       // accumulators per pixel: 8, 16 or 24 (>= out_c)
  int direct_plane_w = 0;  // floats per split input plane, a multiple of 16
  const float* direct_weights = nullptr;  // [kh][kw][ic][direct_oc], zero past out_c
  int64_t pixels() const { return static_cast<int64_t>(g.batch) * g.out_h * g.out_w; }
  int64_t tiles() const {
    return pointwise ? (pixels() + mr - 1) / mr
                     : static_cast<int64_t>(g.batch) * g.out_h * tiles_per_row;
  }
  int64_t items() const {  // item = tile * groups + group (direct: output row)
    return direct ? static_cast<int64_t>(g.batch) * g.out_h : tiles() * groups;
  }
};

struct DwPlan {
  ConvGeometry g;  // in_c == out_c (depth multiplier 1)
  EpilogueParams ep;
  const float* weights = nullptr;  // [kh * kw][c_pad]
  const float* bias = nullptr;     // padded
  int64_t rows() const { return static_cast<int64_t>(g.batch) * g.out_h; }  // item = n * out_h + oy
};

// MAX_POOL_2D: g.k_* is the window, g.in_c == g.out_c; [lo, hi] the fused activation.
struct PoolPlan {
  ConvGeometry g;
  float lo, hi;
  int64_t rows() const { return static_cast<int64_t>(g.batch) * g.out_h; }  // n * out_h + oy
};

// Per-run operands (one execution arena).
struct RunArgs {
  const float* in = nullptr;
  float* out = nullptr;
  const float* residual = nullptr;  // [n, out_h, out_w, ep.res_c], when ep.has_residual
};

struct IsaKernels {
  const char* name;  // impl_name(): "cpu.avx512", ...
  int lanes;         // conv panel width
  int max_nb;        // widest group the conv microkernel takes
  int (*conv_mr)(int nb);  // tile rows for a group width
  // Computes conv work items [begin, end) (see ConvPlan::items).
  void (*conv)(const ConvPlan& p, const RunArgs& a, int64_t begin, int64_t end);
  // Null, or computes direct-conv output rows [begin, end) of a plan with `direct` set.
  void (*conv_direct)(const ConvPlan& p, const RunArgs& a, int64_t begin, int64_t end);
  // Computes depthwise output rows [begin, end) (see DwPlan::rows).
  void (*depthwise)(const DwPlan& p, const RunArgs& a, int64_t begin, int64_t end);
  // Computes max-pool output rows [begin, end) (see PoolPlan::rows).
  void (*max_pool)(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end);
  // Copies `pixels` consecutive pixels of in_c floats to pixels of out_c >= in_c floats,
  // zero-filling channels [in_c, out_c) (PAD of the channel axis, nothing before).
  void (*pad_channels)(const float* in, float* out, int64_t pixels, int in_c, int out_c);
};

// Each returns null when this build lacks the instruction set (the caller checks the CPU).
// Defined in conv_<isa>.cc.
const IsaKernels* isa_kernels_avx512();
const IsaKernels* isa_kernels_avx2();
const IsaKernels* isa_kernels_generic();

// Direct conv, defined in conv_direct_avx512.cc (only where AVX-512 is compiled in).
void conv_direct_avx512(const ConvPlan& p, const RunArgs& a, int64_t begin, int64_t end);
// Depthwise entry points, defined in depthwise_<isa>.cc (only where the ISA is compiled in).
void depthwise_avx512(const DwPlan& p, const RunArgs& a, int64_t begin, int64_t end);
void depthwise_avx2(const DwPlan& p, const RunArgs& a, int64_t begin, int64_t end);
void depthwise_generic(const DwPlan& p, const RunArgs& a, int64_t begin, int64_t end);
// Max-pool entry points, defined in pool_<isa>.cc.
void max_pool_avx512(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end);
void max_pool_avx2(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end);
void max_pool_generic(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end);
// Channel-pad entry points (IsaKernels::pad_channels), defined in pool_<isa>.cc.
void pad_channels_avx512(const float* in, float* out, int64_t pixels, int in_c, int out_c);
void pad_channels_avx2(const float* in, float* out, int64_t pixels, int in_c, int out_c);
void pad_channels_generic(const float* in, float* out, int64_t pixels, int in_c, int out_c);

}  // namespace cpu
}  // namespace fmn
