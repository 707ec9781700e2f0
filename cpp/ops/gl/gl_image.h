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
// What differs: GLSL ES 3.10 has no double. The shader evaluates the coordinate
//   X(x, y) = c + ax * x + ay * y   (1/32 pixel units, ax = m0 * 32 / m8, ...)
// exactly in 96-bit two's-complement fixed point (32 integer bits, 64 fraction bits, integer
// instructions only: umulExtended / uaddCarry), from coefficients that the CPU rounds from
// double to 2^-64. OpenCV instead rounds each double operation of
// ((m0*x0 + m1*y + m2) + m0*x1) * (32 / W0) (x0 = start of its 64-column block), an error of a
// few units in 2^-52 of |X|. The rounded 1/32-pixel coordinate therefore differs only when X
// lies within about 1e-11 of a half-integer and OpenCV's rounding falls the other way
// (exact ties from dyadic matrices are computed exactly by both and agree). Then one
// coordinate moves by 1/32 pixel and the pixel by at most |neighbour difference| / 32 levels.
// The projective terms m6, m7 are treated as zero: a rotated rect's sampling matrix is affine
// up to rounding. tests/cpp/test_gl_image.cc measures the agreement with crop_to_uint8 on
// random images and rects (in practice every value equal).
//
// Rects that the fixed-point form cannot represent (a coordinate beyond 2^25 pixels, m8 == 0,
// or projective terms changing W by more than 1e-12 relative over the output) are cropped on
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
