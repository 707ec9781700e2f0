// The CUDA kernels' launchers: one function per op family, implemented in the .cu file of that
// family (conv.cu, pool.cu, elementwise.cu, gather.cu, reduce.cu, resize.cu, custom.cu) and
// compiled twice (see cuda_compat.h): by nvcc into namespace fmn::cuda, and for the host
// emulation into fmn::cuda_emu. This header needs nothing from CUDA, so that the executor
// (host C++) can call either.
//
// Batches: the executor runs `batch` independent invocations of the model at once. Every
// activation holds batch samples back to back; a sample of tensor t has sample_elems(t)
// elements, and a constant has sample stride 0 (every sample reads the same data). 4-D
// kernels see batch * N images of [H, W, C] (N the model's own leading dimension).
// Launchers only enqueue on `stream` (asynchronous on a GPU); they never allocate.
#pragma once

#include <cstdint>
#include <limits>

#ifndef FMN_CUDA_NS
#error "define FMN_CUDA_NS (cuda or cuda_emu) before including ops/cuda/cuda_kernels.h"
#endif

namespace fmn {
namespace FMN_CUDA_NS {

using Stream = void*;
constexpr int kMaxRank = 6;
constexpr int kMaxGatherInputs = 8;
constexpr float kInf = std::numeric_limits<float>::infinity();

// runtime/kernel.h's Epilogue with device pointers.
struct EpilogueArgs {
  const float* residual = nullptr;  // [images, oh, ow, residual_channels or oc] or null
  int residual_channels = 0;        // channels of the residual (oc when it has oc)
  int64_t residual_pixels = 0;      // a constant residual: pixels of one sample (else 0)
  const float* prelu = nullptr;     // [oc] or null
  float post_lo = -kInf, post_hi = kInf;
};

struct ConvArgs {
  const float* in = nullptr;      // [images, ih, iw, ic]
  const float* filter = nullptr;  // CONV_2D: [kh, kw, ic, oc] (repacked); depthwise: [kh, kw, oc]
  const float* bias = nullptr;    // [oc] or null
  float* out = nullptr;           // [images, oh, ow, oc]
  int images = 0;
  int ih = 0, iw = 0, ic = 0, oh = 0, ow = 0, oc = 0;
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0;
  int depth_multiplier = 1;       // depthwise only
  float act_lo = -kInf, act_hi = kInf;
  EpilogueArgs ep;
};
void conv2d(const ConvArgs& a, Stream s);
void depthwise_conv2d(const ConvArgs& a, Stream s);

struct PoolArgs {
  const float* in = nullptr;
  float* out = nullptr;
  int images = 0, ih = 0, iw = 0, c = 0, oh = 0, ow = 0;
  int kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0;
  float act_lo = -kInf, act_hi = kInf;
};
void max_pool2d(const PoolArgs& a, Stream s);

enum class Binary : int { kAdd, kMul, kSub, kDiv, kSquaredDifference, kPrelu };
// out[s, i] = op(a[s, ai], b[s, bi]) over the broadcast shape (right-aligned, rank <= 6);
// PRELU: a >= 0 ? a : b * a.
struct BinaryArgs {
  const float* a = nullptr;
  const float* b = nullptr;
  float* out = nullptr;
  int64_t a_sample = 0, b_sample = 0;  // sample strides (0 for constants)
  int64_t out_sample = 0;              // elements of one output sample
  int64_t dims[kMaxRank] = {1, 1, 1, 1, 1, 1};
  int64_t a_strides[kMaxRank] = {}, b_strides[kMaxRank] = {};  // 0 on broadcast dimensions
  int batch = 0;
  Binary op = Binary::kAdd;
  float act_lo = -kInf, act_hi = kInf;
};
void binary(const BinaryArgs& a, Stream s);

enum class Unary : int { kRelu, kRelu6, kLogistic, kNeg, kSqrt, kRsqrt };
struct UnaryArgs {
  const float* in = nullptr;
  float* out = nullptr;
  int64_t count = 0;  // batch * sample elements
  Unary op = Unary::kRelu;
};
void unary(const UnaryArgs& a, Stream s);

// Data movement (PAD, PADV2, CONCATENATION, STRIDED_SLICE, TRANSPOSE, DEPTH_TO_SPACE, RESHAPE):
// out[s, j] = which[j] < 0 ? pad_value : src[which[j]][s * src_sample[which[j]] + offset[j]],
// then clamped to [act_lo, act_hi]. The maps are built at load from the reference kernel.
struct GatherArgs {
  const float* src[kMaxGatherInputs] = {};
  int64_t src_sample[kMaxGatherInputs] = {};
  const int32_t* which = nullptr;   // [out_sample]
  const int32_t* offset = nullptr;  // [out_sample]
  float* out = nullptr;
  int64_t out_sample = 0;
  int batch = 0;
  float pad_value = 0.0f;
  float act_lo = -kInf, act_hi = kInf;
};
void gather(const GatherArgs& a, Stream s);

// MEAN / SUM: out[s, o] = scale * sum_r in[s * in_sample + base[o] + rel[r]]; one block per
// output element, warp shuffles and shared memory for the sum.
struct ReduceArgs {
  const float* in = nullptr;
  float* out = nullptr;
  const int32_t* base = nullptr;  // [out_sample]
  const int32_t* rel = nullptr;   // [reduced]
  int64_t in_sample = 0;
  int out_sample = 0, reduced = 0, batch = 0;
  float scale = 1.0f;
};
void reduce(const ReduceArgs& a, Stream s);

// RESIZE_BILINEAR with the reference's taps, computed at load: rows y0/y1 with weight dy,
// columns x0/x1 with weight dx.
struct ResizeArgs {
  const float* in = nullptr;
  float* out = nullptr;
  const int32_t* y0 = nullptr; const int32_t* y1 = nullptr; const float* dy = nullptr;  // [oh]
  const int32_t* x0 = nullptr; const int32_t* x1 = nullptr; const float* dx = nullptr;  // [ow]
  int images = 0, ih = 0, iw = 0, c = 0, oh = 0, ow = 0;
};
void resize_bilinear(const ResizeArgs& a, Stream s);

// MediaPipe's custom ops (ops/reference/custom_ops.h has their semantics).
struct LandmarksToMatrixArgs {
  const float* in = nullptr;  // [samples, L, 3]
  float* out = nullptr;       // [samples, 16]
  const int32_t* subset = nullptr;
  int subset_count = 0, num_landmarks = 0, samples = 0;
  int left = 0, right = 0, output_width = 0, output_height = 0;
  float target_rotation = 0.0f, scale_x = 1.0f, scale_y = 1.0f;
};
void landmarks_to_transform_matrix(const LandmarksToMatrixArgs& a, Stream s);

// Matrix of image n: mat + (n / images_per_sample) * mat_sample + (per-image ? (n % ips) * 16 : 0).
struct MatrixRef {
  const float* mat = nullptr;
  int64_t mat_sample = 0;
  int images_per_sample = 1;
  bool per_image = false;
};
struct TransformTensorArgs {
  const float* in = nullptr;  // [images, ih, iw, c]
  float* out = nullptr;       // [images, oh, ow, c]
  MatrixRef m;
  int images = 0, ih = 0, iw = 0, c = 0, oh = 0, ow = 0;
};
void transform_tensor_bilinear(const TransformTensorArgs& a, Stream s);

struct TransformLandmarksArgs {
  const float* in = nullptr;  // [images, num, dims]
  float* out = nullptr;
  MatrixRef m;
  int images = 0, num = 0, dims = 3;
};
void transform_landmarks(const TransformLandmarksArgs& a, Stream s);

// The model-input crop of util/image_to_tensor.h (OpenCV's warpPerspective INTER_LINEAR, then
// fma(v, scale, offset)), bit for bit: one thread per output pixel of each crop. frame: uint8
// rows of width * channels bytes (channels 3 or 4), stride bytes apart; matrices: 9 doubles
// per crop (CropSamplingMatrix); weights: WarpBilinearWeights() on the device.
struct CropArgs {
  const uint8_t* frame = nullptr;
  int width = 0, height = 0, stride = 0, channels = 3;
  const double* matrices = nullptr;
  const int16_t* weights = nullptr;
  float* out = nullptr;  // [batch, out_h, out_w, 3]
  int out_w = 0, out_h = 0, block_width = 1, batch = 0;
  bool zero_border = false;
  float scale = 1.0f, offset = 0.0f;
};
void crop_image(const CropArgs& a, Stream s);

}  // namespace FMN_CUDA_NS
}  // namespace fmn
