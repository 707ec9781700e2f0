// Image-to-tensor crop (util/image_to_tensor.h): sampling matrix geometry, exact pixel copies
// for integer-aligned crops, border modes, agreement with an independent float bilinear
// sampler, and the letterbox ROI against util/roi.h. Bit-exactness against OpenCV itself is
// checked in tests/python/test_image_to_tensor.py.
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "util/image_to_tensor.h"
#include "util/roi.h"

using namespace fmn;

namespace {

struct TestImage {
  int w, h, cn, stride;
  std::vector<uint8_t> px;
  ImageView view() const { return {px.data(), w, h, stride, cn}; }
  uint8_t at(int x, int y, int c) const { return px[y * stride + x * cn + c]; }
};

// Random pixels; row padding (stride > w * cn) filled with 0xEE so stray reads show.
TestImage RandomImage(int w, int h, int cn, int pad, uint32_t seed) {
  TestImage im{w, h, cn, w * cn + pad, {}};
  im.px.assign(static_cast<size_t>(im.stride) * h, 0xEE);
  std::mt19937 rng(seed);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * cn; ++x) im.px[y * im.stride + x] = static_cast<uint8_t>(rng() & 255);
  return im;
}

// A smooth image (slopes under 1.5 levels per pixel) for comparisons with float sampling.
TestImage SmoothImage(int w, int h) {
  TestImage im{w, h, 3, w * 3, {}};
  im.px.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      im.px[(y * w + x) * 3 + 0] = static_cast<uint8_t>(127.5 + 120 * std::sin(x * 0.011 + y * 0.007));
      im.px[(y * w + x) * 3 + 1] = static_cast<uint8_t>(127.5 + 120 * std::cos(x * 0.006 - y * 0.010));
      im.px[(y * w + x) * 3 + 2] = static_cast<uint8_t>(127.5 + 100 * std::sin((x + y) * 0.004));
    }
  return im;
}

std::vector<uint8_t> Crop(const TestImage& im, RotatedRectPx r, int w, int h, Border b) {
  std::vector<uint8_t> out(static_cast<size_t>(w) * h * 3);
  crop_to_uint8(im.view(), r, w, h, b, out.data());
  return out;
}

void Apply(const std::array<double, 9>& m, double x, double y, double* ox, double* oy) {
  const double w = m[6] * x + m[7] * y + m[8];
  *ox = (m[0] * x + m[1] * y + m[2]) / w;
  *oy = (m[3] * x + m[4] * y + m[5]) / w;
}

}  // namespace

TEST(matrix_maps_tensor_corners_to_rect_corners) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int trial = 0; trial < 200; ++trial) {
    const RotatedRectPx r{-200 + 1400 * u(rng), -200 + 1000 * u(rng), 20 + 1500 * u(rng),
                          20 + 1500 * u(rng), static_cast<float>((2 * u(rng) - 1) * M_PI)};
    const int W = trial % 2 ? 192 : 128, H = trial % 3 ? 192 : 100;
    const std::array<double, 9> m = CropSamplingMatrix(r, W, H);
    // Corners straight from the definition (rotation about the centre, y down).
    const double c = std::cos(r.rotation_rad), s = std::sin(r.rotation_rad);
    auto corner = [&](double u_, double v_) {  // u_, v_ in {-0.5, 0.5}: rect frame
      return std::array<double, 2>{r.cx + c * u_ * r.w - s * v_ * r.h,
                                   r.cy + s * u_ * r.w + c * v_ * r.h};
    };
    const double tensor[4][2] = {{0, 0}, {double(W), 0}, {double(W), double(H)}, {0, double(H)}};
    const std::array<double, 2> expect[4] = {corner(-0.5, -0.5), corner(0.5, -0.5),
                                             corner(0.5, 0.5), corner(-0.5, 0.5)};
    const double tol = 1e-5 * (std::fabs(r.w) + std::fabs(r.h) + std::fabs(r.cx) + std::fabs(r.cy));
    for (int k = 0; k < 4; ++k) {
      double x, y;
      Apply(m, tensor[k][0], tensor[k][1], &x, &y);
      CHECK_NEAR(x, expect[k][0], tol);
      CHECK_NEAR(y, expect[k][1], tol);
    }
    // A rect maps affinely: the projective row is (0, 0, 1) up to the rounding of the 8x8
    // solve (OpenCV's matrix is not exactly affine either), so W varies by < 1e-5 over the crop.
    CHECK(std::fabs(m[6]) * W + std::fabs(m[7]) * H < 1e-5 * std::fabs(m[8]));
    CHECK_NEAR(m[8], 1.0, 1e-4);
  }
}

TEST(perspective_transform_and_inverse_are_consistent) {
  const std::array<Point2f, 4> src = {Point2f{10.5f, 300.25f}, Point2f{40.f, 20.f},
                                      Point2f{400.f, 60.5f}, Point2f{350.f, 330.f}};
  const std::array<Point2f, 4> dst = {Point2f{0, 192}, Point2f{0, 0}, Point2f{192, 0},
                                      Point2f{192, 192}};
  const std::array<double, 9> m = PerspectiveTransform(src, dst);
  for (int k = 0; k < 4; ++k) {
    double x, y;
    Apply(m, src[k].x, src[k].y, &x, &y);
    CHECK_NEAR(x, dst[k].x, 1e-9);
    CHECK_NEAR(y, dst[k].y, 1e-9);
  }
  const std::array<double, 9> inv = Invert3x3(m);
  for (int k = 0; k < 4; ++k) {
    double x, y;
    Apply(inv, dst[k].x, dst[k].y, &x, &y);
    CHECK_NEAR(x, src[k].x, 1e-9);
    CHECK_NEAR(y, src[k].y, 1e-9);
  }
  // Degenerate input: OpenCV's conventions (zeros, then m[8] = 1; inverse of singular = 0).
  const std::array<Point2f, 4> line = {Point2f{0, 0}, Point2f{1, 1}, Point2f{2, 2}, Point2f{3, 3}};
  const std::array<double, 9> z = PerspectiveTransform(line, dst);
  for (int i = 0; i < 8; ++i) CHECK(z[i] == 0.0);
  CHECK(z[8] == 1.0);
  const std::array<double, 9> zi = Invert3x3(z);
  for (double v : zi) CHECK(v == 0.0);
}

TEST(integer_aligned_crop_copies_pixels_exactly) {
  for (int cn : {3, 4}) {
    const TestImage im = RandomImage(61, 47, cn, 5, 11 + cn);
    for (Border b : {Border::kZero, Border::kReplicate}) {
      const int x0 = 7, y0 = 3, W = 40, H = 30;
      const RotatedRectPx r{x0 + W / 2.0f, y0 + H / 2.0f, float(W), float(H), 0.0f};
      const std::vector<uint8_t> out = Crop(im, r, W, H, b);
      int mismatches = 0;
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
          for (int c = 0; c < 3; ++c)
            mismatches += out[(y * W + x) * 3 + c] != im.at(x0 + x, y0 + y, c);
      CHECK(mismatches == 0);
    }
  }
  // The whole image, including the last row and column (sampled through the border path).
  const TestImage im = RandomImage(33, 21, 3, 0, 5);
  for (Border b : {Border::kZero, Border::kReplicate}) {
    const std::vector<uint8_t> out = Crop(im, {16.5f, 10.5f, 33.f, 21.f, 0.f}, 33, 21, b);
    CHECK(std::equal(out.begin(), out.end(), im.px.begin()));
  }
}

TEST(border_modes_at_image_edges) {
  const TestImage im = RandomImage(50, 40, 3, 3, 3);
  // Integer-aligned crop starting 6 px left of and 4 px above the image.
  const int x0 = -6, y0 = -4, W = 30, H = 20;
  const RotatedRectPx r{x0 + W / 2.0f, y0 + H / 2.0f, float(W), float(H), 0.0f};
  const std::vector<uint8_t> zero = Crop(im, r, W, H, Border::kZero);
  const std::vector<uint8_t> rep = Crop(im, r, W, H, Border::kReplicate);
  int bad_zero = 0, bad_rep = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) {
        const int sx = x0 + x, sy = y0 + y;
        const bool inside = sx >= 0 && sy >= 0;
        const int z = zero[(y * W + x) * 3 + c], p = rep[(y * W + x) * 3 + c];
        bad_zero += z != (inside ? im.at(sx, sy, c) : 0);
        bad_rep += p != im.at(std::max(sx, 0), std::max(sy, 0), c);
      }
  CHECK(bad_zero == 0);
  CHECK(bad_rep == 0);

  // A rect entirely outside: zero gives 0 everywhere; replicate gives the corner pixel's
  // nearest edge values (here the bottom-right corner, as every tap clamps to it).
  const RotatedRectPx far{500.f, 400.f, 20.f, 10.f, 0.3f};
  const std::vector<uint8_t> z2 = Crop(im, far, 16, 8, Border::kZero);
  const std::vector<uint8_t> r2 = Crop(im, far, 16, 8, Border::kReplicate);
  CHECK(std::all_of(z2.begin(), z2.end(), [](uint8_t v) { return v == 0; }));
  for (int i = 0; i < 16 * 8; ++i)
    for (int c = 0; c < 3; ++c) CHECK(r2[i * 3 + c] == im.at(49, 39, c));

  // Half a pixel past the right edge, zero border: the sample blends the edge pixel with 0.
  const TestImage flat = [] {
    TestImage t{10, 10, 3, 30, std::vector<uint8_t>(300, 200)};
    return t;
  }();
  const RotatedRectPx edge{9.5f + 0.5f, 5.0f, 1.0f, 1.0f, 0.0f};  // samples x = 9.5, y = 4.5
  uint8_t px[3];
  crop_to_uint8(flat.view(), edge, 1, 1, Border::kZero, px);
  CHECK(px[0] == 100 && px[1] == 100 && px[2] == 100);
  crop_to_uint8(flat.view(), edge, 1, 1, Border::kReplicate, px);
  CHECK(px[0] == 200 && px[1] == 200 && px[2] == 200);
}

TEST(rotated_crops_agree_with_float_bilinear_sampling) {
  // Independent sampler: exact float coordinates from the rect's definition, float bilinear
  // with replicate border. The fixed-point crop may differ by 1/64 px in position and by
  // rounding, so on a smooth image (slope < 1.5/px) values agree within 1.
  const TestImage im = SmoothImage(300, 220);
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  int worst = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const RotatedRectPx r{40 + 220 * u(rng), 40 + 140 * u(rng), 30 + 200 * u(rng),
                          30 + 200 * u(rng), static_cast<float>((2 * u(rng) - 1) * M_PI)};
    const int W = 64, H = 48;
    const std::vector<uint8_t> out = Crop(im, r, W, H, Border::kReplicate);
    const double c = std::cos(r.rotation_rad), s = std::sin(r.rotation_rad);
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const double u_ = (double(x) / W - 0.5) * r.w, v_ = (double(y) / H - 0.5) * r.h;
        const double sx = r.cx + c * u_ - s * v_, sy = r.cy + s * u_ + c * v_;
        const int ix = int(std::floor(sx)), iy = int(std::floor(sy));
        const double fx = sx - ix, fy = sy - iy;
        for (int ch = 0; ch < 3; ++ch) {
          auto P = [&](int px_, int py_) {
            return double(im.at(std::clamp(px_, 0, im.w - 1), std::clamp(py_, 0, im.h - 1), ch));
          };
          const double v = (1 - fy) * ((1 - fx) * P(ix, iy) + fx * P(ix + 1, iy)) +
                           fy * ((1 - fx) * P(ix, iy + 1) + fx * P(ix + 1, iy + 1));
          const int d = std::abs(int(out[(y * W + x) * 3 + ch]) - int(std::lround(v)));
          worst = std::max(worst, d);
        }
      }
  }
  CHECK(worst <= 1);
}

TEST(rgba_and_strided_views_match_rgb) {
  const TestImage rgba = RandomImage(70, 50, 4, 12, 99);
  TestImage rgb{70, 50, 3, 70 * 3, std::vector<uint8_t>(70 * 50 * 3)};
  for (int y = 0; y < 50; ++y)
    for (int x = 0; x < 70; ++x)
      for (int c = 0; c < 3; ++c) rgb.px[(y * 70 + x) * 3 + c] = rgba.at(x, y, c);
  const RotatedRectPx r{30.3f, 22.7f, 80.f, 55.f, 0.7f};
  for (Border b : {Border::kZero, Border::kReplicate})
    CHECK(Crop(rgba, r, 32, 24, b) == Crop(rgb, r, 32, 24, b));
  // A bottom-up view (negative row stride) of the flipped image crops like the original.
  std::vector<uint8_t> flipped(rgb.px.size());
  for (int y = 0; y < 50; ++y)
    std::copy_n(&rgb.px[y * 210], 210, &flipped[(49 - y) * 210]);
  const ImageView up{flipped.data() + 49 * 210, 70, 50, -210, 3};
  std::vector<uint8_t> a(32 * 24 * 3);
  crop_to_uint8(up, r, 32, 24, Border::kZero, a.data());
  CHECK(a == Crop(rgb, r, 32, 24, Border::kZero));
}

TEST(tensor_values_are_the_converted_uint8_crop) {
  const TestImage im = RandomImage(90, 60, 3, 0, 1);
  const RotatedRectPx r{45.f, 30.f, 120.f, 120.f, -0.4f};
  const std::vector<uint8_t> u8 = Crop(im, r, 20, 20, Border::kZero);
  const ValueTransform signed_range = ValueRangeTransform(-1.0f, 1.0f);
  const ValueTransform unit_range = ValueRangeTransform(0.0f, 1.0f);
  CHECK(signed_range.scale == 2.0f / 255.0f && signed_range.offset == -1.0f);
  CHECK(unit_range.scale == 1.0f / 255.0f && unit_range.offset == 0.0f);
  std::vector<float> t(20 * 20 * 3);
  crop_to_tensor(im.view(), r, 20, 20, Border::kZero, signed_range.scale, signed_range.offset,
                 t.data());
  bool saw_zero = false;
  for (size_t i = 0; i < t.size(); ++i) {
    // fma in float equals the exact double value rounded once (the product is exact).
    const float expect = static_cast<float>(double(u8[i]) * double(signed_range.scale) - 1.0);
    CHECK(t[i] == expect);
    saw_zero |= u8[i] == 0;
  }
  CHECK(saw_zero);  // the rect leaves the image: zero border gives -1
  // 0 maps to -1 exactly; 255 maps to 1 + 2^-23 (2/255 rounds up in float and the fused
  // multiply-add keeps the excess, as MediaPipe's AVX2 convertTo does).
  CHECK(std::fma(0.0f, signed_range.scale, -1.0f) == -1.0f);
  CHECK(std::fma(255.0f, signed_range.scale, -1.0f) == std::nextafter(1.0f, 2.0f));
}

TEST(letterbox_roi_matches_pad_roi) {
  for (auto [iw, ih] : {std::pair{640, 480}, std::pair{480, 640}, std::pair{512, 512},
                        std::pair{1920, 1080}, std::pair{101, 37}}) {
    const LetterboxRoi lb = LetterboxImageRoi(iw, ih, 128, 128);
    RotatedRect roi = ImageRoiPixels(iw, ih, nullptr);
    const std::array<float, 4> pad = PadRoi(128, 128, true, &roi);
    CHECK(lb.rect.cx == roi.center_x && lb.rect.cy == roi.center_y);
    CHECK(lb.rect.w == roi.width && lb.rect.h == roi.height && lb.rect.rotation_rad == 0.0f);
    CHECK(lb.padding == pad);
    // Square of the long side, centred; padding splits the short side's shortfall evenly.
    const float lng = float(std::max(iw, ih));
    CHECK(lb.rect.w == lng && lb.rect.h == lng);
    CHECK_NEAR(lb.padding[0] + lb.padding[2], 1.0 - double(iw) / lng, 1e-6);
    CHECK_NEAR(lb.padding[1] + lb.padding[3], 1.0 - double(ih) / lng, 1e-6);
  }
}

TEST(rejects_bad_arguments) {
  const TestImage im = RandomImage(8, 8, 3, 0, 2);
  uint8_t out[3 * 4];
  const RotatedRectPx r{4, 4, 4, 4, 0};
  CHECK_THROWS(crop_to_uint8(im.view(), r, 0, 2, Border::kZero, out),
               std::invalid_argument);
  ImageView bad = im.view();
  bad.channels = 2;
  CHECK_THROWS(crop_to_uint8(bad, r, 2, 2, Border::kZero, out),
               std::invalid_argument);
  bad = im.view();
  bad.data = nullptr;
  CHECK_THROWS(crop_to_uint8(bad, r, 2, 2, Border::kZero, out),
               std::invalid_argument);
}

TEST(timing_192_crop_of_1080p) {
  const TestImage im = RandomImage(1920, 1080, 3, 0, 4);
  std::vector<float> t(192 * 192 * 3);
  const RotatedRectPx r{960.f, 540.f, 500.f, 500.f, 0.35f};
  const ValueTransform unit = ValueRangeTransform(0.0f, 1.0f);
  const int reps = 200;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i)
    crop_to_tensor(im.view(), r, 192, 192, Border::kReplicate, unit.scale, unit.offset, t.data());
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
      reps;
  std::printf("crop_to_tensor 1920x1080 -> 192x192 rotated: %.1f us\n", us);
  const LetterboxRoi lb = LetterboxImageRoi(1920, 1080, 128, 128);
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i)
    crop_to_tensor(im.view(), lb.rect, 128, 128, Border::kZero, 2.0f / 255.0f, -1.0f, t.data());
  const double us2 =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t1).count() /
      reps;
  std::printf("crop_to_tensor 1920x1080 -> 128x128 letterbox: %.1f us\n", us2);
  CHECK(us > 0 && us2 > 0);
}

// Row ranges reproduce the whole crop exactly, whatever the split (the threaded path's basis).
TEST(row_ranges_compose_to_the_whole_crop) {
  const TestImage im = RandomImage(301, 257, 3, 5, 77);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (int trial = 0; trial < 20; ++trial) {
    const RotatedRectPx r{u(rng) * 301, u(rng) * 257, 20 + u(rng) * 400, 20 + u(rng) * 400,
                          (u(rng) - 0.5f) * 6.28f};
    const int ow = 37 + trial * 9, oh = 23 + trial * 8;
    const Border b = trial % 2 ? Border::kZero : Border::kReplicate;
    std::vector<float> whole(static_cast<size_t>(ow) * oh * 3), parts(whole.size(), -7.f);
    crop_to_tensor(im.view(), r, ow, oh, b, 2.f / 255.f, -1.f, whole.data());
    int y = 0;
    while (y < oh) {
      const int next = std::min(oh, y + 1 + static_cast<int>(rng() % 17));
      crop_to_tensor_rows(im.view(), r, ow, oh, b, 2.f / 255.f, -1.f, parts.data(), y, next);
      y = next;
    }
    CHECK(whole == parts);
  }
}
