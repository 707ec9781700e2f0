// Image to tensor: the CPU crop of MediaPipe's ImageToTensorCalculator
// (calculators/tensor/image_to_tensor_converter_opencv.cc, MediaPipe 0.10.21 with its bundled
// OpenCV 4.10), reproduced without OpenCV.
//
// MediaPipe builds cv::RotatedRect(centre, size, rotation in degrees) from the ROI in image
// pixels, takes its corners with cv::boxPoints, computes
// cv::getPerspectiveTransform(corners -> (0,H), (0,0), (W,0), (W,H)) and calls
// cv::warpPerspective(uint8 image, W x H, INTER_LINEAR, BORDER_CONSTANT 0 or BORDER_REPLICATE),
// then converts the uint8 crop to float with v * scale + offset. This file repeats each step
// with the same arithmetic:
//   - corners in float, the 8x8 system solved by Gaussian elimination with partial pivoting in
//     double, the 3x3 inverse by cofactors in double (what warpPerspective applies);
//   - per output pixel (x, y): W = m6*x + m7*y + m8, source coordinates
//     (m0*x + m1*y + m2) * 32/W rounded half-to-even to 1/32 pixel (OpenCV INTER_BITS 5), with
//     x counted from the start of OpenCV's 64-pixel column block as OpenCV does;
//   - bilinear weights of 15-bit fixed point (products of k/32: exact integers), the 4-tap sum
//     rounded with (sum + 2^14) >> 15 to uint8;
//   - taps outside the image read 0 (kZero) or the nearest edge pixel (kReplicate);
//   - the float conversion is a fused multiply-add in float (OpenCV's AVX2 convertTo).
// Results are bit-identical to cv2.getPerspectiveTransform + cv2.warpPerspective (4.10, 4.11)
// for finite ROIs; tests/python/test_image_to_tensor.py checks this.
//
// Frames: image pixels with pixel i's centre at integer coordinate i; output tensor pixels
// likewise. Output pixel (x, y) samples the source at the rect's top-left corner plus
// x * width/W along the rect's x axis and y * height/H along its y axis (no half-pixel offset).
#pragma once

#include <array>
#include <cstdint>

#include "util/geometry.h"

namespace fmn {

// An 8-bit interleaved image read in place. channels is 3 (RGB) or 4 (RGBA; the 4th channel is
// ignored). Pixels of a row are contiguous (pixel stride = channels bytes); rows start
// row_stride_bytes apart (may exceed width * channels, or be negative for a bottom-up view).
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int row_stride_bytes = 0;
  int channels = 3;
};

// A rotated rectangle in image pixels: centre, size, rotation in radians about the centre
// (positive turns clockwise on screen, y down), as MediaPipe's RotatedRect.
struct RotatedRectPx {
  float cx = 0.0f;
  float cy = 0.0f;
  float w = 0.0f;
  float h = 0.0f;
  float rotation_rad = 0.0f;
};

inline RotatedRectPx ToRotatedRectPx(const RotatedRect& r) {
  return {r.center_x, r.center_y, r.width, r.height, r.rotation};
}

enum class Border {
  kZero,       // taps outside the image read 0 (BORDER_CONSTANT, value 0)
  kReplicate,  // taps outside the image read the nearest edge pixel (BORDER_REPLICATE)
};

// The rect's corners in image pixels in cv::boxPoints order (in the rect's own frame:
// bottom-left, top-left, top-right, bottom-right), float arithmetic as OpenCV's
// RotatedRect::points, with the angle passed through degrees as MediaPipe does.
std::array<Point2f, 4> BoxCorners(const RotatedRectPx& r);

// cv::getPerspectiveTransform (DECOMP_LU): the row-major 3x3 matrix mapping src[i] to dst[i].
// A singular system yields all zeros except m[8] = 1, as OpenCV.
std::array<double, 9> PerspectiveTransform(const std::array<Point2f, 4>& src,
                                           const std::array<Point2f, 4>& dst);

// cv::invert of a 3x3 double matrix (DECOMP_LU, cofactor formula). A zero determinant yields
// all zeros, as OpenCV.
std::array<double, 9> Invert3x3(const std::array<double, 9>& m);

// The row-major 3x3 matrix mapping output tensor pixel (x, y, 1) to homogeneous source pixel
// coordinates, exactly as warpPerspective applies it: the inverse of getPerspectiveTransform
// (rect corners -> tensor corners (0,H), (0,0), (W,0), (W,H)). out_w, out_h > 0.
std::array<double, 9> CropSamplingMatrix(const RotatedRectPx& r, int out_w, int out_h);

// What a GPU port of the warp needs to give the same bytes (ops/cuda/image.cu): the bilinear
// weight table (1024 sub-pixel positions fy * 32 + fx, 4 int16 taps each: top-left, top-right,
// bottom-left, bottom-right, summing to 2^15), and the width of OpenCV's column blocks, from
// whose first column each row's source coordinates are evaluated (x0 + m0 * (x - x0)).
const int16_t* WarpBilinearWeights();
int WarpBlockWidth(int out_w, int out_h);

// The crop rounded to uint8: out receives out_h rows of out_w RGB pixels (HWC, 3 bytes each,
// tightly packed). Throws std::invalid_argument on an empty image, channels not 3 or 4, or a
// non-positive output size.
void crop_to_uint8(const ImageView& img, const RotatedRectPx& r, int out_w, int out_h, Border b,
                   uint8_t* out);

// The model input: the uint8 crop converted to float as fma(v, scale, offset) per value
// (scale 2/255, offset -1 for [-1, 1]; scale 1/255, offset 0 for [0, 1]). out receives
// out_h * out_w * 3 floats, HWC. Same preconditions as crop_to_uint8.
void crop_to_tensor(const ImageView& img, const RotatedRectPx& r, int out_w, int out_h, Border b,
                    float scale, float offset, float* out);

// scale and offset mapping [0, 255] to [range_min, range_max] as MediaPipe's
// GetValueRangeTransformation computes them in float.
// crop_to_tensor restricted to output rows [row_begin, row_end): writes exactly the values
// crop_to_tensor writes for those rows (each row is computed independently), so disjoint row
// ranges can run on different threads. `out` points at the whole out_h x out_w x 3 tensor.
void crop_to_tensor_rows(const ImageView& img, const RotatedRectPx& r, int out_w, int out_h,
                         Border b, float scale, float offset, float* out, int row_begin,
                         int row_end);

struct ValueTransform {
  float scale;
  float offset;
};
ValueTransform ValueRangeTransform(float range_min, float range_max);

// The detector's input ROI (keep_aspect_ratio over the whole image, image_to_tensor_utils
// GetRoi + PadRoi): the image rect grown along one axis to the tensor's aspect ratio, centred;
// for a square tensor, the centred square of the long side. padding is {left, top, right,
// bottom} as fractions of the tensor, as the detection letterbox removal needs.
struct LetterboxRoi {
  RotatedRectPx rect;
  std::array<float, 4> padding;
};
LetterboxRoi LetterboxImageRoi(int image_w, int image_h, int tensor_w, int tensor_h);

}  // namespace fmn
