// Image to tensor crop; see image_to_tensor.h for the contract and the OpenCV semantics kept.
//
// Bit-exactness needs every floating-point expression rounded as written: no contraction of
// a*b + c into a fused multiply-add (OpenCV's baseline build has none on these paths).
#include "util/image_to_tensor.h"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <stdexcept>

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace fmn {
namespace {

constexpr int kInterBits = 5;                    // source coordinates in 1/32 pixel
constexpr int kInterTabSize = 1 << kInterBits;   // 32 sub-pixel positions per axis
constexpr int kCoefBits = 15;                    // bilinear weights sum to 1 << 15
constexpr int kBlockSize = 32;                   // OpenCV's warp block: 32*32 output pixels
constexpr double kPi = 3.14159265358979323846;

// Bilinear weights per sub-pixel position (fy * 32 + fx): {top-left, top-right, bottom-left,
// bottom-right}, each (1 - f or f) products of k/32 scaled by 2^15, which are exact integers.
// OpenCV stores them as int16: position 0 would be {32768, 0, 0, 0}, which saturates to 32767;
// its sum fix-up then adds the missing 1 to the bottom-right tap, giving {32767, 0, 0, 1}.
// Reproduced (it never changes a result: S*32767 + T + 2^14 >> 15 == S for 8-bit S, T).
struct BilinearTable {
  int16_t w[kInterTabSize * kInterTabSize][4];
  BilinearTable() {
    for (int fy = 0; fy < kInterTabSize; ++fy) {
      for (int fx = 0; fx < kInterTabSize; ++fx) {
        int16_t* t = w[fy * kInterTabSize + fx];
        const int scale = (1 << kCoefBits) / (kInterTabSize * kInterTabSize);  // 32
        t[0] = static_cast<int16_t>((kInterTabSize - fy) * (kInterTabSize - fx) * scale);
        t[1] = static_cast<int16_t>((kInterTabSize - fy) * fx * scale);
        t[2] = static_cast<int16_t>(fy * (kInterTabSize - fx) * scale);
        t[3] = static_cast<int16_t>(fy * fx * scale);
      }
    }
    w[0][0] = 32767;
    w[0][3] = 1;
  }
};

const BilinearTable& Bilinear() {
  static const BilinearTable table;
  return table;
}

// cv::saturate_cast<int>(double) of a value already clamped to the int range: round half to
// even (the default rounding mode). Adding and removing 1.5 * 2^52 rounds exactly so for
// |v| < 2^51, and unlike lrint it vectorises.
inline int RoundToInt(double v) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  return static_cast<int>((v + kMagic) - kMagic);
}

inline int SaturateShort(int v) { return std::min(std::max(v, SHRT_MIN), SHRT_MAX); }

// Gaussian elimination with partial pivoting (OpenCV hal::LU64f, eps = 100 * DBL_EPSILON);
// solves a x = b in place for one right-hand side. Returns false for a singular matrix.
bool SolveLu8(double a[8][8], double b[8]) {
  constexpr int n = 8;
  const double eps = DBL_EPSILON * 100;
  for (int i = 0; i < n; ++i) {
    int p = i;
    for (int j = i + 1; j < n; ++j) {
      if (std::abs(a[j][i]) > std::abs(a[p][i])) p = j;
    }
    if (std::abs(a[p][i]) < eps) return false;
    if (p != i) {
      for (int j = i; j < n; ++j) std::swap(a[i][j], a[p][j]);
      std::swap(b[i], b[p]);
    }
    const double d = -1 / a[i][i];
    for (int j = i + 1; j < n; ++j) {
      const double alpha = a[j][i] * d;
      for (int k = i + 1; k < n; ++k) a[j][k] += alpha * a[i][k];
      b[j] += alpha * b[i];
    }
  }
  for (int i = n - 1; i >= 0; --i) {
    double s = b[i];
    for (int k = i + 1; k < n; ++k) s -= a[i][k] * b[k];
    b[i] = s / a[i][i];
  }
  return true;
}

void CheckArgs(const ImageView& img, int out_w, int out_h) {
  if (img.data == nullptr || img.width <= 0 || img.height <= 0)
    throw std::invalid_argument("crop: empty image");
  if (img.channels != 3 && img.channels != 4)
    throw std::invalid_argument("crop: image must have 3 or 4 channels");
  if (out_w <= 0 || out_h <= 0) throw std::invalid_argument("crop: output size must be > 0");
}

inline double Clamp(double v, double lo, double hi) {
  v = v < hi ? v : hi;
  return v > lo ? v : lo;
}

// warpPerspective(INTER_LINEAR) of img (cn channels) through the sampling matrix m (output
// pixel -> source), out_w x out_h RGB. store(i, v) receives output value
// i = (y * out_w + x) * 3 + c as uint8.
template <int cn, typename Store>
void Warp(const ImageView& img, const std::array<double, 9>& m, int out_w, int out_h,
          Border border, Store store, int row_begin = 0, int row_end = -1) {
  const BilinearTable& tab = Bilinear();
  const int sw = img.width, sh = img.height;
  const std::ptrdiff_t stride = img.row_stride_bytes;
  const unsigned width1 = static_cast<unsigned>(std::max(sw - 1, 0));
  const unsigned height1 = static_cast<unsigned>(std::max(sh - 1, 0));
  const bool zero_border = border == Border::kZero;
  constexpr int kHalf = 1 << (kCoefBits - 1);

  // OpenCV evaluates the row's coordinates from the first column of each block of bw0
  // columns (X0 + m0 * x1); the block width decides where that restart happens.
  const int bh0 = std::min(kBlockSize / 2, out_h);
  const int bw0 = std::min(kBlockSize * kBlockSize / bh0, out_w);
  const bool affine_w = m[6] == 0.0;  // W constant along a row: one division per block

  int src_x[kBlockSize * kBlockSize];  // source coordinates of one block, in 1/32 pixel
  int src_y[kBlockSize * kBlockSize];
  if (row_end < 0 || row_end > out_h) row_end = out_h;
  for (int y = std::max(row_begin, 0); y < row_end; ++y) {
    int out_i = y * out_w * 3;
    for (int x = 0; x < out_w; x += bw0) {
      const int bw = std::min(bw0, out_w - x);
      const double X0 = m[0] * x + m[1] * y + m[2];
      const double Y0 = m[3] * x + m[4] * y + m[5];
      const double W0 = m[6] * x + m[7] * y + m[8];
      const double lo = static_cast<double>(INT_MIN), hi = static_cast<double>(INT_MAX);
      if (affine_w) {
        const double w = W0 != 0.0 ? kInterTabSize / W0 : 0.0;
        for (int x1 = 0; x1 < bw; ++x1) {
          src_x[x1] = RoundToInt(Clamp((X0 + m[0] * x1) * w, lo, hi));
          src_y[x1] = RoundToInt(Clamp((Y0 + m[3] * x1) * w, lo, hi));
        }
      } else {
        for (int x1 = 0; x1 < bw; ++x1) {
          double w = W0 + m[6] * x1;
          w = w != 0.0 ? kInterTabSize / w : 0.0;
          src_x[x1] = RoundToInt(Clamp((X0 + m[0] * x1) * w, lo, hi));
          src_y[x1] = RoundToInt(Clamp((Y0 + m[3] * x1) * w, lo, hi));
        }
      }
      for (int x1 = 0; x1 < bw; ++x1, out_i += 3) {
        const int X = src_x[x1], Y = src_y[x1];
        const int sx = SaturateShort(X >> kInterBits);
        const int sy = SaturateShort(Y >> kInterBits);
        const int16_t* wt =
            tab.w[(Y & (kInterTabSize - 1)) * kInterTabSize + (X & (kInterTabSize - 1))];

        if (static_cast<unsigned>(sx) < width1 && static_cast<unsigned>(sy) < height1) {
          const uint8_t* p0 = img.data + sy * stride + sx * cn;
          const uint8_t* p1 = p0 + stride;
          const int w0 = wt[0], w1 = wt[1], w2 = wt[2], w3 = wt[3];
          for (int c = 0; c < 3; ++c) {
            const int v = p0[c] * w0 + p0[c + cn] * w1 + p1[c] * w2 + p1[c + cn] * w3;
            store(out_i + c, static_cast<uint8_t>((v + kHalf) >> kCoefBits));
          }
          continue;
        }
        if (zero_border && (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0)) {
          for (int c = 0; c < 3; ++c) store(out_i + c, uint8_t{0});
          continue;
        }
        // Some taps fall outside: per tap, the nearest edge pixel (replicate) or 0 (zero).
        const int xs[2] = {sx, sx + 1};
        const int ys[2] = {sy, sy + 1};
        const uint8_t* taps[4];
        for (int j = 0; j < 2; ++j) {
          for (int i = 0; i < 2; ++i) {
            int tx = xs[i], ty = ys[j];
            if (!zero_border) {
              tx = std::min(std::max(tx, 0), sw - 1);
              ty = std::min(std::max(ty, 0), sh - 1);
            }
            const bool inside = tx >= 0 && tx < sw && ty >= 0 && ty < sh;
            taps[j * 2 + i] = inside ? img.data + ty * stride + tx * cn : nullptr;
          }
        }
        for (int c = 0; c < 3; ++c) {
          int v = 0;
          for (int t = 0; t < 4; ++t) {
            if (taps[t] != nullptr) v += taps[t][c] * wt[t];
          }
          store(out_i + c, static_cast<uint8_t>((v + kHalf) >> kCoefBits));
        }
      }
    }
  }
}

}  // namespace

const int16_t* WarpBilinearWeights() { return &Bilinear().w[0][0]; }

int WarpBlockWidth(int out_w, int out_h) {
  const int bh0 = std::min(kBlockSize / 2, out_h);
  return std::min(kBlockSize * kBlockSize / bh0, out_w);
}

std::array<Point2f, 4> BoxCorners(const RotatedRectPx& r) {
  // MediaPipe: cv::RotatedRect(..., roi.rotation * 180.f / M_PI), the angle stored as float.
  const float degrees = static_cast<float>(r.rotation_rad * 180.f / kPi);
  // RotatedRect::points: back to radians in double, half sine and cosine in float.
  const double angle = degrees * kPi / 180.;
  const float b = static_cast<float>(std::cos(angle)) * 0.5f;
  const float a = static_cast<float>(std::sin(angle)) * 0.5f;
  std::array<Point2f, 4> p;
  p[0].x = r.cx - a * r.h - b * r.w;
  p[0].y = r.cy + b * r.h - a * r.w;
  p[1].x = r.cx + a * r.h - b * r.w;
  p[1].y = r.cy - b * r.h - a * r.w;
  p[2].x = 2 * r.cx - p[0].x;
  p[2].y = 2 * r.cy - p[0].y;
  p[3].x = 2 * r.cx - p[1].x;
  p[3].y = 2 * r.cy - p[1].y;
  return p;
}

std::array<double, 9> PerspectiveTransform(const std::array<Point2f, 4>& src,
                                           const std::array<Point2f, 4>& dst) {
  double a[8][8];
  double b[8];
  for (int i = 0; i < 4; ++i) {
    a[i][0] = a[i + 4][3] = src[i].x;
    a[i][1] = a[i + 4][4] = src[i].y;
    a[i][2] = a[i + 4][5] = 1;
    a[i][3] = a[i][4] = a[i][5] = 0;
    a[i + 4][0] = a[i + 4][1] = a[i + 4][2] = 0;
    // The products are float products, widened afterwards.
    a[i][6] = -src[i].x * dst[i].x;
    a[i][7] = -src[i].y * dst[i].x;
    a[i + 4][6] = -src[i].x * dst[i].y;
    a[i + 4][7] = -src[i].y * dst[i].y;
    b[i] = dst[i].x;
    b[i + 4] = dst[i].y;
  }
  std::array<double, 9> m{};
  if (SolveLu8(a, b)) {
    for (int i = 0; i < 8; ++i) m[i] = b[i];
  }
  m[8] = 1.0;
  return m;
}

std::array<double, 9> Invert3x3(const std::array<double, 9>& s) {
  auto S = [&s](int r, int c) { return s[r * 3 + c]; };
  double d = S(0, 0) * (S(1, 1) * S(2, 2) - S(1, 2) * S(2, 1)) -
             S(0, 1) * (S(1, 0) * S(2, 2) - S(1, 2) * S(2, 0)) +
             S(0, 2) * (S(1, 0) * S(2, 1) - S(1, 1) * S(2, 0));
  std::array<double, 9> t{};
  if (d == 0.0) return t;
  d = 1. / d;
  t[0] = (S(1, 1) * S(2, 2) - S(1, 2) * S(2, 1)) * d;
  t[1] = (S(0, 2) * S(2, 1) - S(0, 1) * S(2, 2)) * d;
  t[2] = (S(0, 1) * S(1, 2) - S(0, 2) * S(1, 1)) * d;
  t[3] = (S(1, 2) * S(2, 0) - S(1, 0) * S(2, 2)) * d;
  t[4] = (S(0, 0) * S(2, 2) - S(0, 2) * S(2, 0)) * d;
  t[5] = (S(0, 2) * S(1, 0) - S(0, 0) * S(1, 2)) * d;
  t[6] = (S(1, 0) * S(2, 1) - S(1, 1) * S(2, 0)) * d;
  t[7] = (S(0, 1) * S(2, 0) - S(0, 0) * S(2, 1)) * d;
  t[8] = (S(0, 0) * S(1, 1) - S(0, 1) * S(1, 0)) * d;
  return t;
}

std::array<double, 9> CropSamplingMatrix(const RotatedRectPx& r, int out_w, int out_h) {
  if (out_w <= 0 || out_h <= 0)
    throw std::invalid_argument("CropSamplingMatrix: output size must be > 0");
  const float fw = static_cast<float>(out_w);
  const float fh = static_cast<float>(out_h);
  const std::array<Point2f, 4> dst = {Point2f{0.0f, fh}, Point2f{0.0f, 0.0f}, Point2f{fw, 0.0f},
                                      Point2f{fw, fh}};
  return Invert3x3(PerspectiveTransform(BoxCorners(r), dst));
}

void crop_to_uint8(const ImageView& img, const RotatedRectPx& r, int out_w, int out_h, Border b,
                   uint8_t* out) {
  CheckArgs(img, out_w, out_h);
  const std::array<double, 9> m = CropSamplingMatrix(r, out_w, out_h);
  const auto store = [out](int i, uint8_t v) { out[i] = v; };
  if (img.channels == 3) {
    Warp<3>(img, m, out_w, out_h, b, store);
  } else {
    Warp<4>(img, m, out_w, out_h, b, store);
  }
}

void crop_to_tensor(const ImageView& img, const RotatedRectPx& r, int out_w, int out_h, Border b,
                    float scale, float offset, float* out) {
  crop_to_tensor_rows(img, r, out_w, out_h, b, scale, offset, out, 0, out_h);
}

void crop_to_tensor_rows(const ImageView& img, const RotatedRectPx& r, int out_w, int out_h,
                         Border b, float scale, float offset, float* out, int row_begin,
                         int row_end) {
  CheckArgs(img, out_w, out_h);
  float lut[256];
  for (int v = 0; v < 256; ++v) lut[v] = std::fma(static_cast<float>(v), scale, offset);
  const std::array<double, 9> m = CropSamplingMatrix(r, out_w, out_h);
  const auto store = [out, &lut](int i, uint8_t v) { out[i] = lut[v]; };
  if (img.channels == 3) {
    Warp<3>(img, m, out_w, out_h, b, store, row_begin, row_end);
  } else {
    Warp<4>(img, m, out_w, out_h, b, store, row_begin, row_end);
  }
}

ValueTransform ValueRangeTransform(float range_min, float range_max) {
  const float from_min = 0.0f, from_max = 255.0f;
  const float scale = (range_max - range_min) / (from_max - from_min);
  return {scale, range_min - from_min * scale};
}

LetterboxRoi LetterboxImageRoi(int image_w, int image_h, int tensor_w, int tensor_h) {
  if (image_w <= 0 || image_h <= 0 || tensor_w <= 0 || tensor_h <= 0)
    throw std::invalid_argument("LetterboxImageRoi: sizes must be > 0");
  LetterboxRoi out;
  out.rect = {0.5f * image_w, 0.5f * image_h, static_cast<float>(image_w),
              static_cast<float>(image_h), 0.0f};
  const float tensor_aspect = static_cast<float>(tensor_h) / tensor_w;
  const float roi_aspect = out.rect.h / out.rect.w;
  float pad_v = 0.0f, pad_h = 0.0f;
  if (tensor_aspect > roi_aspect) {
    out.rect.h = out.rect.w * tensor_aspect;
    pad_v = (1.0f - roi_aspect / tensor_aspect) / 2.0f;
  } else {
    out.rect.w = out.rect.h / tensor_aspect;
    pad_h = (1.0f - tensor_aspect / roi_aspect) / 2.0f;
  }
  out.padding = {pad_h, pad_v, pad_h, pad_v};
  return out;
}

}  // namespace fmn
