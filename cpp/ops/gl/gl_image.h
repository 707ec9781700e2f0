// Image work on an OpenGL ES 3.1 context: a caller's 8-bit frame uploaded once into an SSBO
// (GlFrame), and the model-input crop of util/image_to_tensor.h as a compute shader
// (GlImageCropper): N rotated rects in, N x H x W x 3 floats out, in an SSBO that the GL
// executor consumes directly (GlExecutor::run_from_buffer).
//
// Arithmetic kept from the CPU crop (crop_to_tensor, bit-exact with OpenCV's warpPerspective):
//   - the sampling matrix is CropSamplingMatrix, computed on the CPU in double per rect;
//   - source coordinates are in 1/32 pixel, rounded half-to-even; bilinear weights are the
//     same 15-bit integers (including OpenCV's {32767, 0, 0, 1} at sub-pixel position 0);
//     the 4-tap sum is rounded with (sum + 2^14) >> 15; the border rules (zero / replicate,
//     the "all four taps inside" test on width-1 / height-1, short saturation) are the same;
//   - the float conversion reads a 256-entry table filled with std::fma(v, scale, offset).
// What differs: GLSL ES 3.10 has no double. OpenCV computes, per output row y and block of
// bw0 columns starting at x0 (bw0 = min(1024 / min(16, H), W)), X0 = m0*x0 + m1*y + m2 and
// W0 = m6*x0 + m7*y + m8 in double, then per pixel x0 + x1
//   X = (X0 + m0*x1) * (32 / (W0 + m6*x1))        (Y likewise; 1/32 pixel units)
// rounding each double operation. Here the CPU computes X0, Y0, W0 exactly as OpenCV does and
// expands X in x1 to second order in q = m6 / W0 (long double):
//   X(x1) = c0 + c1*x1 + c2*x1^2,  c0 = 32 X0 / W0,  c1 = b - c0 q,  c2 = (c0 q - b) q,
//   b = 32 m0 / W0
// (the dropped term is below 1e-9 of a 1/32 pixel: rects with |q x1| > 1e-6 go to the CPU).
// The shader evaluates the polynomial exactly in 96-bit two's-complement fixed point (32
// integer, 64 fraction bits, integer instructions only: umulExtended / uaddCarry), rounds it
// to 53 significant bits as the final double product would be, then half-to-even to an int.
// What remains: OpenCV also rounds m0*x1, the sum X0 + m0*x1 and 32/W to double before the
// product. Where the exact value lies within about one double ulp of a half-integer, those
// roundings can settle the tie the other way, and one coordinate moves by 1/32 pixel: the
// value then differs by at most |tap difference| / 32 levels (<= 8 on noise). This happens at
// ties of dyadic scales (e.g. a letterbox of width 491 into 128: source step 3.8359375 px).
// Measured by tests/cpp/test_gl_image.cc over ~21.5M values (random rects, both borders, RGB
// and RGBA, letterboxes): on uniform noise images 0.11% of uint8 values differ from
// crop_to_uint8, 0.076% by more than 1 level, at most 8; on smooth images 0.03% differ,
// 0.003% by more than 1 level, at most 2. A differing value is still one of the 256 table
// values, and equal values are bitwise equal floats.
//
// Rects that this form cannot represent (a coordinate beyond 2^25 pixels, W0 zero or W
// changing sign within a block, |q x1| above 1e-6) are cropped on
// the CPU by crop_to_tensor and uploaded into their slot instead: the result is exact either
// way. GlImageCropper::cpu_fallbacks() counts them.
//
// Threading: as GlExecutor. Every call needs the context current on the calling thread; the
// constructors and destructors make it current when it is not (destructors swallow failures:
// the objects then go with the context). The GlContext must outlive these objects.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ops/gl/gl_context.h"
#include "util/image_to_tensor.h"

namespace fmn {
namespace gl {

// An 8-bit RGB or RGBA frame in one SSBO: the bytes of rows 0..height-1, row r at byte
// r * row_stride_bytes (the caller's stride), read by shaders as packed little-endian uint
// words. Storage grows to the largest frame seen and is kept.
class GlFrame {
 public:
  explicit GlFrame(GlContext* ctx);
  ~GlFrame();
  GlFrame(const GlFrame&) = delete;
  GlFrame& operator=(const GlFrame&) = delete;

  // Copies img into the buffer (one glBufferSubData when the rows are contiguous, i.e.
  // always for a non-negative stride). Throws std::invalid_argument for an empty image,
  // channels not 3 or 4 or a negative stride; GlError when the frame exceeds 2^31 bytes or
  // GL_MAX_SHADER_STORAGE_BLOCK_SIZE. Keeps `img` (the caller's pixels, not a copy) as view().
  void upload(const ImageView& img);

  GLuint buffer() const { return buffer_; }
  // The last uploaded image (its pixels belong to the caller; valid while they are).
  const ImageView& view() const { return view_; }
  // Number of upload() calls so far.
  int64_t uploads() const { return uploads_; }

 private:
  GlContext* ctx_;
  GLuint buffer_ = 0;
  size_t capacity_ = 0;
  ImageView view_;
  int64_t uploads_ = 0;
};

// Shares one upload of a frame between the calculators of one graph frame. frame_index
// numbers graph frames (1, 2, ...); 0 means "not numbered", in which case every get()
// uploads. A frame is reused when frame_index, data pointer, size, stride and channels all
// match the previous get().
class GlFrameCache {
 public:
  explicit GlFrameCache(std::shared_ptr<GlContext> ctx);
  ~GlFrameCache();
  // The uploaded frame for img; needs the context current.
  const GlFrame& get(const ImageView& img, int64_t frame_index);
  const GlFrame& frame() const { return *frame_; }

 private:
  std::shared_ptr<GlContext> ctx_;
  std::unique_ptr<GlFrame> frame_;
  int64_t frame_index_ = 0;
  bool valid_ = false;
};

// The crop of N rotated rects of a GlFrame into model input floats. Output layout: rect b's
// out_h x out_w x 3 floats (HWC) start at float b * out_h * out_w * 3 of output_buffer().
class GlImageCropper {
 public:
  // max_batch >= 1 sizes the output buffer (it grows when a larger batch comes). scale and
  // offset as crop_to_tensor. Compiles the shader. out_w, out_h in 1..4096.
  GlImageCropper(GlContext* ctx, int out_w, int out_h, Border border, float scale, float offset,
                 int max_batch);
  ~GlImageCropper();
  GlImageCropper(const GlImageCropper&) = delete;
  GlImageCropper& operator=(const GlImageCropper&) = delete;

  // Writes the crops of rects[0..n-1] (n >= 1) of `frame` into output_buffer() and issues the
  // memory barrier that makes them visible to later shader reads and buffer copies. Nothing
  // is read back.
  void crop(const GlFrame& frame, const RotatedRectPx* rects, int n);

  GLuint output_buffer() const { return out_buffer_; }
  int64_t floats_per_item() const { return static_cast<int64_t>(out_w_) * out_h_ * 3; }
  // Rects cropped on the CPU so far (see the header comment).
  int64_t cpu_fallbacks() const { return cpu_fallbacks_; }

 private:
  void reserve(int n);
  // 32-bit words of the parameter buffer for n rects.
  size_t param_words(int n) const;
  // Writes rect r's per-(row, block) coordinate polynomials; false when the rect must be
  // cropped on the CPU.
  bool block_coefficients(const RotatedRectPx& r, uint32_t* out) const;

  GlContext* ctx_;
  int out_w_, out_h_;
  Border border_;
  float scale_, offset_;
  GLuint program_ = 0, lut_buffer_ = 0, param_buffer_ = 0, out_buffer_ = 0;
  int capacity_ = 0;
  std::vector<uint32_t> params_;
  std::vector<float> staging_;
  int64_t cpu_fallbacks_ = 0;
};

// Exposed for tests: v rounded to the nearest multiple of 2^-64 (ties away from zero) in
// 96-bit two's complement, words[0] least significant. |v| < 2^31.
void to_fixed96(double v, uint32_t words[3]);

}  // namespace gl
}  // namespace fmn
