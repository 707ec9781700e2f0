// Reference kernels: plain loops over raw float pointers, NHWC, written for clarity.
// They are the oracle every tuned and GPU kernel is tested against.
//
// Conventions: tensors are dense row-major (NHWC for 4-D). `pad_top`/`pad_left` are the
// implicit zero padding before the first row/column (TFLite SAME/VALID resolved by the caller).
// Activation bounds are [act_lo, act_hi]; +-inf for none.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/conv_geometry.h"
#include "runtime/kernel.h"

namespace fmn {
namespace ref {

struct Conv2DParams {
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;
  float act_lo, act_hi;
};

// Output sizes of a conv / pool window (runtime/conv_geometry.h), shared with the plan.
using fmn::conv_output_size;
using fmn::conv_output_size_explicit;

// in [n, ih, iw, ic], filter [oc, kh, kw, ic], bias [oc] or null, out [n, oh, ow, oc].
void conv2d(const float* in, int n, int ih, int iw, int ic, const float* filter, int oc, int kh,
            int kw, const float* bias, const Conv2DParams& p, float* out, int oh, int ow);

// in [n, ih, iw, ic], filter [1, kh, kw, ic * depth_multiplier], out [n, oh, ow, ic * dm].
void depthwise_conv2d(const float* in, int n, int ih, int iw, int ic, const float* filter, int kh,
                      int kw, int depth_multiplier, const float* bias, const Conv2DParams& p,
                      float* out, int oh, int ow);

// Applies an Epilogue (see runtime/kernel.h) in place over out [count / channels, channels].
void apply_epilogue(float* out, int64_t count, int channels, const Epilogue& e,
                    const float* residual);

// Max pool; padded taps are skipped (not counted as zeros), as TFLite does.
void max_pool2d(const float* in, int n, int ih, int iw, int c, int kh, int kw,
                const Conv2DParams& p, float* out, int oh, int ow);

// Broadcasting binary op over shapes of equal rank (<= 6); out_shape is the broadcast shape.
enum class BinaryOp { kAdd, kMul, kSub, kDiv, kSquaredDifference };
inline float binary_apply(BinaryOp op, float x, float y) {
  switch (op) {
    case BinaryOp::kAdd: return x + y;
    case BinaryOp::kMul: return x * y;
    case BinaryOp::kSub: return x - y;
    case BinaryOp::kDiv: return x / y;
    case BinaryOp::kSquaredDifference: return (x - y) * (x - y);
  }
  return 0.f;
}
void binary_broadcast(BinaryOp op, const float* a, const std::vector<int32_t>& a_shape,
                      const float* b, const std::vector<int32_t>& b_shape, float* out,
                      const std::vector<int32_t>& out_shape, float act_lo, float act_hi);

// Shape of a broadcast between a and b (numpy rules, right-aligned). Throws ModelError.
std::vector<int32_t> broadcast_shape(const std::vector<int32_t>& a, const std::vector<int32_t>& b);

// MEAN or SUM of in (shape in_shape, rank <= 6) over the dimensions flagged in reduce_axis;
// out holds the kept dimensions in order (keep_dims only changes the shape, not the data).
// Accumulates in double.
void reduce(bool mean, const float* in, const std::vector<int32_t>& in_shape,
            const std::vector<bool>& reduce_axis, float* out);

// out[i_perm[0], ..., i_perm[r-1]] = in[i_0, ..., i_{r-1}] with out dim d = in dim perm[d]
// (TFLite TRANSPOSE); rank <= 6, perm a permutation.
void transpose(const float* in, const std::vector<int32_t>& in_shape,
               const std::vector<int32_t>& perm, float* out);

float half_to_float(uint16_t h);

// Expands a sparse constant of `shape` (validated by the model reader, see SparsityDef) whose
// elements are `esize` bytes into dense row-major `out`; unstored elements become zero bytes.
void densify(const SparsityDef& sp, const std::vector<int32_t>& shape, const void* values,
             size_t esize, void* out);

// TFLite RESIZE_BILINEAR (float): in [n, ih, iw, c] -> out [n, oh, ow, c]. Source coordinate
// y = oy * scale, or (oy + 0.5) * scale - 0.5 with half_pixel_centers, scale = ih / oh, or
// (ih - 1) / (oh - 1) with align_corners (and oh > 1); rows floor(y) clamped to >= 0 and
// ceil(y) clamped to <= ih - 1, weighted by y - floor-row as TFLite's reference does.
void resize_bilinear(const float* in, int n, int ih, int iw, int c, float* out, int oh, int ow,
                     bool align_corners, bool half_pixel_centers);
// The taps resize_bilinear uses along one axis of in_size -> out_size: for output index o,
// the source indices lo[o] and hi[o] and the weight frac[o] of hi (the GPU kernels read these).
void resize_bilinear_taps(int in_size, int out_size, bool align_corners, bool half_pixel_centers,
                          std::vector<int32_t>* lo, std::vector<int32_t>* hi,
                          std::vector<float>* frac);

// TFLite DEPTH_TO_SPACE: in [n, h, w, c * bs * bs] -> out [n, h * bs, w * bs, c] with
// out[b, y, x, d] = in[b, y / bs, x / bs, ((y % bs) * bs + x % bs) * c + d].
void depth_to_space(const float* in, int n, int h, int w, int c, int bs, float* out);

}  // namespace ref
}  // namespace fmn
