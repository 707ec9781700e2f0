// The GL crop (ops/gl/gl_image.h) against the CPU crop (util/image_to_tensor.h, bit-exact with
// OpenCV): random RGB / RGBA images with padded rows, random rotated rects (inside, partly and
// wholly outside), letterbox rects, both borders, batches of rects in one dispatch. Reports the
// fraction of uint8 values that differ from crop_to_uint8 and the largest difference; requires
// >= 99.9% within 1 level and none above 3. Also: the fixed-point conversion, the CPU fallback
// for rects beyond the fixed-point range, the frame cache, and GlExecutor::run_from_buffer
// against run() on the same crop.
// Without a usable GL device the tests print SKIP and pass, unless FMN_TEST_REQUIRE_GL=1.
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "executors/gl_executor.h"
#include "ops/gl/gl_image.h"
#include "ops/gl/gl_probe.h"
#include "util/image_to_tensor.h"
#include "gl_test_util.h"

using namespace fmn;
using gltest::context;

namespace {

struct TestImage {
  std::vector<uint8_t> bytes;
  ImageView view;
};

// Noise (smooth = false) or a smooth pattern with a few hard edges, rows padded by `pad` bytes.
TestImage make_image(std::mt19937& rng, int w, int h, int channels, int pad, bool smooth) {
  TestImage t;
  const int stride = w * channels + pad;
  t.bytes.assign(static_cast<size_t>(stride) * h, 0);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < channels; ++c) {
        int v = byte(rng);
        if (smooth) {
          v = static_cast<int>(127.5 + 100 * std::sin(0.05 * x + 0.9 * c) * std::cos(0.07 * y)) +
              ((x / 37 + y / 23) % 2 ? 20 : -20);
          v = std::min(255, std::max(0, v));
        }
        t.bytes[static_cast<size_t>(y) * stride + x * channels + c] = static_cast<uint8_t>(v);
      }
    }
  }
  t.view.data = t.bytes.data();
  t.view.width = w;
  t.view.height = h;
  t.view.row_stride_bytes = stride;
  t.view.channels = channels;
  return t;
}

std::vector<float> read_floats(gl::GlContext* ctx, gl::GLuint buffer, size_t count) {
  const gl::GlesApi& gl = ctx->gl();
  std::vector<float> out(count);
  gl.BindBuffer(gl::gles::kShaderStorageBuffer, buffer);
  const void* p = gl.MapBufferRange(gl::gles::kShaderStorageBuffer, 0,
                                    static_cast<gl::GLsizeiptr>(count * sizeof(float)), gl::gles::kMapReadBit);
  CHECK(p != nullptr);
  if (p) std::memcpy(out.data(), p, count * sizeof(float));
  gl.UnmapBuffer(gl::gles::kShaderStorageBuffer);
  gl.BindBuffer(gl::gles::kShaderStorageBuffer, 0);
  ctx->check_error("read_floats");
  return out;
}

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

struct Stats {
  int64_t values = 0, differ = 0, over1 = 0, not_in_lut = 0, float_mismatch = 0;
  int max_diff = 0;
};

// Crops `rects` on the GPU in one batch and compares every value with crop_to_uint8 (through
// the LUT's inverse) and crop_to_tensor (bitwise, where the uint8 agrees).
void compare_batch(gl::GlContext* ctx, const TestImage& img, const std::vector<RotatedRectPx>& rects,
                   int out_w, int out_h, Border border, float scale, float offset, Stats* st) {
  gl::GlFrame frame(ctx);
  frame.upload(img.view);
  gl::GlImageCropper cropper(ctx, out_w, out_h, border, scale, offset, 1);
  cropper.crop(frame, rects.data(), static_cast<int>(rects.size()));
  const int64_t item = cropper.floats_per_item();
  const std::vector<float> got = read_floats(ctx, cropper.output_buffer(), static_cast<size_t>(item * rects.size()));
  std::map<uint32_t, int> inverse;
  for (int v = 0; v < 256; ++v) inverse[float_bits(std::fma(static_cast<float>(v), scale, offset))] = v;
  std::vector<uint8_t> want_u8(static_cast<size_t>(item));
  std::vector<float> want_f(static_cast<size_t>(item));
  for (size_t b = 0; b < rects.size(); ++b) {
    crop_to_uint8(img.view, rects[b], out_w, out_h, border, want_u8.data());
    crop_to_tensor(img.view, rects[b], out_w, out_h, border, scale, offset, want_f.data());
    for (int64_t i = 0; i < item; ++i) {
      const float g = got[static_cast<size_t>(b * item + i)];
      ++st->values;
      auto it = inverse.find(float_bits(g));
      if (it == inverse.end()) {
        ++st->not_in_lut;
        continue;
      }
      const int d = std::abs(it->second - want_u8[static_cast<size_t>(i)]);
      if (d != 0) ++st->differ;
      if (d > 1) ++st->over1;
      st->max_diff = std::max(st->max_diff, d);
      if (d == 0 && float_bits(g) != float_bits(want_f[static_cast<size_t>(i)])) ++st->float_mismatch;
    }
  }
}

}  // namespace

TEST(fixed96_matches_double) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> values = {0.0, 1.0, -1.0, 1.5, -1.5, 0.5, -0.5, 1024.25, -3.0e-9,
                                std::ldexp(1.0, -64), -std::ldexp(1.0, -64), 2147483647.0, -2147483647.0};
  for (int i = 0; i < 2000; ++i) values.push_back(std::ldexp(u(rng), static_cast<int>(rng() % 60) - 28));
  for (double v : values) {
    uint32_t w[3];
    gl::to_fixed96(v, w);
    // The value the words encode: signed high word + fraction words, in long double pieces.
    const long double back = static_cast<long double>(static_cast<int32_t>(w[2])) +
                             std::ldexp(static_cast<long double>(w[1]), -32) +
                             std::ldexp(static_cast<long double>(w[0]), -64);
    const long double err = std::fabs(back - static_cast<long double>(v));
    // The rounding step is 2^-64; long double's 64-bit mantissa adds at most 2^-63 * |v|.
    CHECK(err <= std::ldexp(1.0L, -64) + std::fabs(static_cast<long double>(v)) * std::ldexp(1.0L, -62));
  }
  uint32_t w[3];
  gl::to_fixed96(-1.0, w);
  CHECK(w[0] == 0u && w[1] == 0u && w[2] == 0xffffffffu);
  gl::to_fixed96(0.75, w);
  CHECK(w[0] == 0u && w[1] == 0xc0000000u && w[2] == 0u);
  CHECK_THROWS(gl::to_fixed96(2147483648.0, w), std::invalid_argument);
}

TEST(gl_crop_matches_cpu_crop) {
  gl::GlContext* ctx = context();
  if (!ctx) return;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u01(0.f, 1.f);
  Stats total[2];  // noise images, smooth images
  int configs = 0;
  const int sizes[][2] = {{128, 128}, {192, 192}, {61, 47}};
  for (int image = 0; image < 8; ++image) {
    const int w = 80 + static_cast<int>(rng() % 500), h = 80 + static_cast<int>(rng() % 400);
    const int channels = image % 2 ? 4 : 3;
    const bool smooth = (image / 2) % 2 == 1;
    const TestImage img = make_image(rng, w, h, channels, static_cast<int>(rng() % 7), smooth);
    for (int border = 0; border < 2; ++border) {
      for (const auto& size : sizes) {
        std::vector<RotatedRectPx> rects;
        // The letterbox of the whole image, an axis-aligned integer rect, then random rotated
        // rects: mostly overlapping the image, some partly or wholly outside.
        rects.push_back(LetterboxImageRoi(w, h, size[0], size[1]).rect);
        rects.push_back(RotatedRectPx{w * 0.5f, h * 0.5f, static_cast<float>(w / 2), static_cast<float>(h / 2), 0.f});
        for (int k = 0; k < 6; ++k) {
          const float side = std::min(w, h) * (0.1f + 1.4f * u01(rng));
          RotatedRectPx r;
          r.cx = w * (-0.3f + 1.6f * u01(rng));
          r.cy = h * (-0.3f + 1.6f * u01(rng));
          r.w = side * (0.7f + 0.6f * u01(rng));
          r.h = side * (0.7f + 0.6f * u01(rng));
          r.rotation_rad = (k == 0) ? 0.f : 6.2831853f * (u01(rng) - 0.5f);
          rects.push_back(r);
        }
        const bool signed_range = (configs % 2) == 0;
        const ValueTransform vt = ValueRangeTransform(signed_range ? -1.f : 0.f, 1.f);
        Stats st;
        compare_batch(ctx, img, rects, size[0], size[1], border ? Border::kReplicate : Border::kZero,
                      vt.scale, vt.offset, &st);
        if (std::getenv("FMN_GL_IMAGE_DEBUG"))
          std::printf("batch %d: %dx%dx%d %s border %d size %dx%d: %lld differ, max %d\n", configs, w, h,
                      channels, smooth ? "smooth" : "noise", border, size[0], size[1],
                      static_cast<long long>(st.differ), st.max_diff);
        Stats& t = total[smooth ? 1 : 0];
        t.values += st.values;
        t.differ += st.differ;
        t.over1 += st.over1;
        t.not_in_lut += st.not_in_lut;
        t.float_mismatch += st.float_mismatch;
        t.max_diff = std::max(t.max_diff, st.max_diff);
        ++configs;
      }
    }
  }
  for (int kind = 0; kind < 2; ++kind) {
    const Stats& t = total[kind];
    std::printf("GL crop vs crop_to_uint8, %s images: %lld values, %lld differ (%.2e), %lld by more than 1 "
                "level (%.2e), max difference %d levels; %lld not a table value; %lld float mismatches\n",
                kind ? "smooth" : "noise", static_cast<long long>(t.values), static_cast<long long>(t.differ),
                static_cast<double>(t.differ) / static_cast<double>(t.values), static_cast<long long>(t.over1),
                static_cast<double>(t.over1) / static_cast<double>(t.values), t.max_diff,
                static_cast<long long>(t.not_in_lut), static_cast<long long>(t.float_mismatch));
    CHECK(t.values > 1000000);
    CHECK(t.not_in_lut == 0);
    CHECK(t.float_mismatch == 0);
    CHECK(static_cast<double>(t.over1) <= 1e-3 * static_cast<double>(t.values));
  }
  // A coordinate off by one 1/32-pixel step moves a value by at most |tap difference| / 32:
  // at most 8 levels on noise (neighbours up to 255 apart), a few on a natural image.
  CHECK(total[0].max_diff <= 8);
  CHECK(total[1].max_diff <= 3);
}

TEST(gl_crop_falls_back_to_cpu_beyond_fixed_point_range) {
  gl::GlContext* ctx = context();
  if (!ctx) return;
  std::mt19937 rng(9);
  const TestImage img = make_image(rng, 120, 90, 3, 0, false);
  // The second rect's corners lie ~1e8 px away: its coordinates exceed the fixed-point range.
  std::vector<RotatedRectPx> rects = {RotatedRectPx{60.f, 45.f, 50.f, 40.f, 0.3f},
                                      RotatedRectPx{1.0e8f, -3.0e7f, 4.0e8f, 2.0e8f, 0.7f},
                                      RotatedRectPx{-5.f, 80.f, 30.f, 70.f, -1.2f}};
  gl::GlFrame frame(ctx);
  frame.upload(img.view);
  for (Border border : {Border::kZero, Border::kReplicate}) {
    gl::GlImageCropper cropper(ctx, 32, 24, border, 2.f / 255.f, -1.f, 3);
    cropper.crop(frame, rects.data(), 3);
    CHECK(cropper.cpu_fallbacks() == 1);
    const int64_t item = cropper.floats_per_item();
    const std::vector<float> got = read_floats(ctx, cropper.output_buffer(), static_cast<size_t>(3 * item));
    std::vector<float> want(static_cast<size_t>(item));
    for (int b = 0; b < 3; ++b) {
      crop_to_tensor(img.view, rects[b], 32, 24, border, 2.f / 255.f, -1.f, want.data());
      int64_t mismatches = 0;
      for (int64_t i = 0; i < item; ++i)
        if (float_bits(got[static_cast<size_t>(b * item + i)]) != float_bits(want[static_cast<size_t>(i)])) ++mismatches;
      CHECK(mismatches == 0);
    }
  }
}

TEST(frame_cache_uploads_once_per_numbered_frame) {
  gl::GlContext* ctx = context();
  if (!ctx) return;
  std::mt19937 rng(3);
  const TestImage a = make_image(rng, 64, 48, 3, 0, false);
  const TestImage b = make_image(rng, 64, 48, 4, 4, false);
  // A shared_ptr that does not own the test's context.
  std::shared_ptr<gl::GlContext> shared(ctx, [](gl::GlContext*) {});
  gl::GlFrameCache cache(shared);
  cache.get(a.view, 1);
  cache.get(a.view, 1);
  CHECK(cache.frame().uploads() == 1);
  cache.get(b.view, 1);  // another image in the same frame number
  CHECK(cache.frame().uploads() == 2);
  cache.get(b.view, 2);  // the same pointer in the next frame: its pixels may have changed
  CHECK(cache.frame().uploads() == 3);
  cache.get(b.view, 0);  // frames not numbered: always uploads
  cache.get(b.view, 0);
  CHECK(cache.frame().uploads() == 5);
  CHECK(cache.frame().view().data == b.view.data);
}

TEST(executor_runs_from_the_gpu_crop) {
  gl::GlContext* ctx = context();
  if (!ctx) return;
  std::mt19937 rng(21);
  const TestImage img = make_image(rng, 300, 220, 3, 0, true);
  const std::string path = std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/face_detection_short_range.tflite";
  gl::GlExecutor ex(load_tflite_file(path), ctx, 2);
  const ValueTransform vt = ValueRangeTransform(-1.f, 1.f);
  // Three crops with max_batch 2: run_from_buffer splits them into two passes.
  std::vector<RotatedRectPx> rects = {LetterboxImageRoi(300, 220, 128, 128).rect,
                                      RotatedRectPx{150.f, 100.f, 120.f, 120.f, 0.4f},
                                      RotatedRectPx{80.f, 60.f, 90.f, 100.f, -0.8f}};
  gl::GlFrame frame(ctx);
  frame.upload(img.view);
  gl::GlImageCropper cropper(ctx, 128, 128, Border::kZero, vt.scale, vt.offset, 3);
  cropper.crop(frame, rects.data(), 3);
  const int64_t item = cropper.floats_per_item();
  std::vector<float> cpu_in(static_cast<size_t>(3 * item));
  for (int b = 0; b < 3; ++b)
    crop_to_tensor(img.view, rects[b], 128, 128, Border::kZero, vt.scale, vt.offset, cpu_in.data() + b * item);
  std::vector<std::vector<float>> from_gpu(ex.outputs().size()), from_cpu(ex.outputs().size());
  std::vector<float*> gpu_ptrs, cpu_ptrs;
  for (size_t j = 0; j < ex.outputs().size(); ++j) {
    from_gpu[j].assign(static_cast<size_t>(3 * ex.outputs()[j].num_elements()), -7.f);
    from_cpu[j].assign(static_cast<size_t>(3 * ex.outputs()[j].num_elements()), -9.f);
    gpu_ptrs.push_back(from_gpu[j].data());
    cpu_ptrs.push_back(from_cpu[j].data());
  }
  ex.run_from_buffer(3, cropper.output_buffer(), 0, gpu_ptrs.data());
  const float* in_ptr = cpu_in.data();
  ex.run(3, &in_ptr, cpu_ptrs.data());
  for (size_t j = 0; j < from_gpu.size(); ++j) {
    float err = 0.f, scale = 0.f;
    for (size_t i = 0; i < from_gpu[j].size(); ++i) {
      err = std::max(err, std::abs(from_gpu[j][i] - from_cpu[j][i]));
      scale = std::max(scale, std::abs(from_cpu[j][i]));
    }
    std::printf("run_from_buffer vs run, output %zu: max |diff| %g (scale %g)\n", j, err, scale);
    CHECK(err <= 1e-5f * std::max(scale, 1.f));
  }
  // An offset into the buffer: item 1 alone equals the batch's item 1.
  std::vector<std::vector<float>> one(ex.outputs().size());
  std::vector<float*> one_ptrs;
  for (size_t j = 0; j < one.size(); ++j) {
    one[j].assign(static_cast<size_t>(ex.outputs()[j].num_elements()), 0.f);
    one_ptrs.push_back(one[j].data());
  }
  ex.run_from_buffer(1, cropper.output_buffer(), static_cast<size_t>(item) * sizeof(float), one_ptrs.data());
  for (size_t j = 0; j < one.size(); ++j) {
    const int64_t n = ex.outputs()[j].num_elements();
    float err = 0.f;
    for (int64_t i = 0; i < n; ++i) err = std::max(err, std::abs(one[j][static_cast<size_t>(i)] - from_gpu[j][static_cast<size_t>(n + i)]));
    CHECK(err <= 1e-5f);
  }
  CHECK_THROWS(ex.run_from_buffer(1, cropper.output_buffer(), 2, one_ptrs.data()), ModelError);
}
