// GL frame upload and crop shader; see gl_image.h for the contract and the arithmetic kept.
#include "ops/gl/gl_image.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fmn {
namespace gl {
namespace {

constexpr int kHeaderWords = 4;   // src width, height, row stride (bytes), channels
constexpr int kRectWords = 20;    // flag, X: c ax ay, Y: c ax ay (3 words each), pad
constexpr double kCoordLimit = 1073741824.0;  // 2^30 in 1/32 pixel: |coordinate| < 2^25 px

// Makes ctx current for a destructor's cleanup; false when it cannot be.
bool make_current_quietly(GlContext* ctx) {
  try {
    if (!ctx->is_current()) ctx->make_current();
    return true;
  } catch (...) {
    return false;
  }
}

// Per output pixel (x, y) of rect z: 96-bit fixed-point source coordinates, the 4 taps with
// OpenCV's border rules and 15-bit weights, the uint8 result through the LUT.
const char* const kCropShader = R"(
layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;
layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) readonly buffer Params { uint prm[]; };
layout(std430, binding = 2) readonly buffer Lut { float lut[]; };
layout(std430, binding = 3) writeonly buffer Dst { float dst[]; };

// a + b mod 2^96 (words little-endian).
uvec3 add96(uvec3 a, uvec3 b) {
  uint c0, c1, c2;
  uvec3 r;
  r.x = uaddCarry(a.x, b.x, c0);
  uint t = uaddCarry(a.y, b.y, c1);
  r.y = uaddCarry(t, c0, c2);
  r.z = a.z + b.z + c1 + c2;
  return r;
}

// a * k mod 2^96 for 0 <= k < 2^16.
uvec3 mul96(uvec3 a, uint k) {
  uint h0, l0, h1, l1, c;
  umulExtended(a.x, k, h0, l0);
  umulExtended(a.y, k, h1, l1);
  uvec3 r;
  r.x = l0;
  r.y = uaddCarry(l1, h0, c);
  r.z = a.z * k + h1 + c;
  return r;
}

uvec3 load96(uint i) { return uvec3(prm[i], prm[i + 1u], prm[i + 2u]); }

// c + ax * x + ay * y rounded half to even (32.64 fixed point in, int out).
int coord(uint base, uint x, uint y) {
  uvec3 v = add96(add96(load96(base), mul96(load96(base + 3u), x)), mul96(load96(base + 6u), y));
  int ip = int(v.z);
  if (v.y > 0x80000000u || (v.y == 0x80000000u && (v.x != 0u || (ip & 1) != 0))) ip += 1;
  return ip;
}

uint byte_at(int off) { return (src[off >> 2] >> (uint(off & 3) * 8u)) & 255u; }

void main() {
  uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, b = gl_GlobalInvocationID.z;
  if (x >= uint(OUT_W) || y >= uint(OUT_H)) return;
  uint base = uint(HEADER_WORDS) + b * uint(RECT_WORDS);
  if (prm[base] != 0u) return;
  int sw = int(prm[0]), sh = int(prm[1]), stride = int(prm[2]), cn = int(prm[3]);
  int X = coord(base + 1u, x, y);
  int Y = coord(base + 10u, x, y);
  int sx = clamp(X >> 5, -32768, 32767);
  int sy = clamp(Y >> 5, -32768, 32767);
  int fx = X & 31, fy = Y & 31;
  int w0 = (32 - fy) * (32 - fx) * 32, w1 = (32 - fy) * fx * 32;
  int w2 = fy * (32 - fx) * 32, w3 = fy * fx * 32;
  if (fx == 0 && fy == 0) { w0 = 32767; w3 = 1; }
  int s0 = 0, s1 = 0, s2 = 0;
  if (uint(sx) < uint(max(sw - 1, 0)) && uint(sy) < uint(max(sh - 1, 0))) {
    int p0 = sy * stride + sx * cn, p1 = p0 + stride;
    s0 = int(byte_at(p0)) * w0 + int(byte_at(p0 + cn)) * w1 + int(byte_at(p1)) * w2 + int(byte_at(p1 + cn)) * w3;
    s1 = int(byte_at(p0 + 1)) * w0 + int(byte_at(p0 + cn + 1)) * w1 + int(byte_at(p1 + 1)) * w2 + int(byte_at(p1 + cn + 1)) * w3;
    s2 = int(byte_at(p0 + 2)) * w0 + int(byte_at(p0 + cn + 2)) * w1 + int(byte_at(p1 + 2)) * w2 + int(byte_at(p1 + cn + 2)) * w3;
  } else {
#ifdef ZERO_BORDER
    bool all_out = sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0;
#else
    bool all_out = false;
#endif
    if (!all_out) {
      int wt[4] = int[4](w0, w1, w2, w3);
      for (int t = 0; t < 4; ++t) {
        int tx = sx + (t & 1), ty = sy + (t >> 1);
#ifndef ZERO_BORDER
        tx = clamp(tx, 0, sw - 1);
        ty = clamp(ty, 0, sh - 1);
#endif
        if (tx >= 0 && tx < sw && ty >= 0 && ty < sh) {
          int p = ty * stride + tx * cn;
          s0 += int(byte_at(p)) * wt[t];
          s1 += int(byte_at(p + 1)) * wt[t];
          s2 += int(byte_at(p + 2)) * wt[t];
        }
      }
    }
  }
  uint o = ((b * uint(OUT_H) + y) * uint(OUT_W) + x) * 3u;
  dst[o] = lut[(s0 + 16384) >> 15];
  dst[o + 1u] = lut[(s1 + 16384) >> 15];
  dst[o + 2u] = lut[(s2 + 16384) >> 15];
}
)";

}  // namespace

void to_fixed96(double v, uint32_t words[3]) {
  if (!(std::abs(v) < 2147483648.0)) throw std::invalid_argument("to_fixed96: |v| >= 2^31");
  uint64_t lo = 0, hi = 0;  // |v| * 2^64 as a 128-bit magnitude
  if (v != 0.0) {
    int e = 0;
    const double fr = std::frexp(std::abs(v), &e);  // |v| = fr * 2^e, fr in [0.5, 1)
    const uint64_t mag = static_cast<uint64_t>(std::ldexp(fr, 53));  // exact, < 2^53
    const int shift = e - 53 + 64;  // |v| * 2^64 = mag * 2^shift
    if (shift >= 64) {
      hi = mag << (shift - 64);
    } else if (shift > 0) {
      lo = mag << shift;
      hi = mag >> (64 - shift);
    } else if (shift == 0) {
      lo = mag;
    } else if (shift > -54) {
      const int r = -shift;
      lo = (mag >> r) + ((mag >> (r - 1)) & 1u);
    }
  }
  if (v < 0.0) {
    lo = ~lo + 1u;
    hi = ~hi + (lo == 0 ? 1u : 0u);
  }
  words[0] = static_cast<uint32_t>(lo);
  words[1] = static_cast<uint32_t>(lo >> 32);
  words[2] = static_cast<uint32_t>(hi);
}

// ---- GlFrame ----

GlFrame::GlFrame(GlContext* ctx) : ctx_(ctx) {
  if (ctx == nullptr) throw GlError("GlFrame: no GL context");
  if (!ctx->is_current()) ctx->make_current();
  ctx->gl().GenBuffers(1, &buffer_);
  ctx->check_error("GlFrame: glGenBuffers");
}

GlFrame::~GlFrame() {
  if (buffer_ && make_current_quietly(ctx_)) {
    ctx_->gl().DeleteBuffers(1, &buffer_);
    ctx_->gl().GetError();
  }
}

void GlFrame::upload(const ImageView& img) {
  if (img.data == nullptr || img.width <= 0 || img.height <= 0)
    throw std::invalid_argument("GlFrame: empty image");
  if (img.channels != 3 && img.channels != 4)
    throw std::invalid_argument("GlFrame: image must have 3 or 4 channels");
  if (img.row_stride_bytes < img.width * img.channels)
    throw std::invalid_argument("GlFrame: row stride must be >= width * channels");
  const size_t bytes = static_cast<size_t>(img.height - 1) * static_cast<size_t>(img.row_stride_bytes) +
                       static_cast<size_t>(img.width) * static_cast<size_t>(img.channels);
  const size_t padded = (bytes + 3) / 4 * 4;
  const long long limit = ctx_->info().limits.ssbo_block_bytes;
  if (padded >= (size_t{1} << 31) || (limit > 0 && static_cast<long long>(padded) > limit))
    throw GlError("GlFrame: a " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                  " frame needs " + std::to_string(padded) + " bytes, above the SSBO limit");
  const GlesApi& gl = ctx_->gl();
  gl.BindBuffer(gles::kShaderStorageBuffer, buffer_);
  if (padded > capacity_) {
    gl.BufferData(gles::kShaderStorageBuffer, static_cast<GLsizeiptr>(padded), nullptr, gles::kDynamicDraw);
    capacity_ = padded;
  }
  gl.BufferSubData(gles::kShaderStorageBuffer, 0, static_cast<GLsizeiptr>(bytes), img.data);
  gl.BindBuffer(gles::kShaderStorageBuffer, 0);
  ctx_->check_error("GlFrame: uploading the frame");
  view_ = img;
  ++uploads_;
}

// ---- GlFrameCache ----

GlFrameCache::GlFrameCache(std::shared_ptr<GlContext> ctx) : ctx_(std::move(ctx)) {
  frame_.reset(new GlFrame(ctx_.get()));
}

GlFrameCache::~GlFrameCache() = default;

const GlFrame& GlFrameCache::get(const ImageView& img, int64_t frame_index) {
  const ImageView& v = frame_->view();
  const bool same = valid_ && frame_index > 0 && frame_index == frame_index_ && v.data == img.data &&
                    v.width == img.width && v.height == img.height &&
                    v.row_stride_bytes == img.row_stride_bytes && v.channels == img.channels;
  if (!same) {
    valid_ = false;
    frame_->upload(img);
    frame_index_ = frame_index;
    valid_ = true;
  }
  return *frame_;
}

// ---- GlImageCropper ----

GlImageCropper::GlImageCropper(GlContext* ctx, int out_w, int out_h, Border border, float scale,
                               float offset, int max_batch)
    : ctx_(ctx), out_w_(out_w), out_h_(out_h), border_(border), scale_(scale), offset_(offset) {
  if (ctx == nullptr) throw GlError("GlImageCropper: no GL context");
  if (out_w < 1 || out_h < 1 || out_w > 4096 || out_h > 4096)
    throw std::invalid_argument("GlImageCropper: output size must be in 1..4096");
  if (max_batch < 1 || max_batch > 65535)
    throw std::invalid_argument("GlImageCropper: max_batch must be in 1..65535");
  if (!ctx->is_current()) ctx->make_current();
  std::string src = "#version 310 es\nprecision highp float;\nprecision highp int;\n";
  src += "#define OUT_W " + std::to_string(out_w) + "\n#define OUT_H " + std::to_string(out_h) + "\n";
  src += "#define HEADER_WORDS " + std::to_string(kHeaderWords) + "\n#define RECT_WORDS " +
         std::to_string(kRectWords) + "\n";
  if (border == Border::kZero) src += "#define ZERO_BORDER 1\n";
  src += kCropShader;
  const GlesApi& gl = ctx->gl();
  try {
    program_ = ctx->compile_compute_program(src, "image crop");
    float lut[256];
    for (int v = 0; v < 256; ++v) lut[v] = std::fma(static_cast<float>(v), scale, offset);
    GLuint bufs[3] = {0, 0, 0};
    gl.GenBuffers(3, bufs);
    lut_buffer_ = bufs[0];
    param_buffer_ = bufs[1];
    out_buffer_ = bufs[2];
    gl.BindBuffer(gles::kShaderStorageBuffer, lut_buffer_);
    gl.BufferData(gles::kShaderStorageBuffer, sizeof(lut), lut, gles::kStaticDraw);
    gl.BindBuffer(gles::kShaderStorageBuffer, 0);
    ctx->check_error("GlImageCropper: creating buffers");
    reserve(max_batch);
  } catch (...) {
    if (program_) gl.DeleteProgram(program_);
    const GLuint bufs[3] = {lut_buffer_, param_buffer_, out_buffer_};
    gl.DeleteBuffers(3, bufs);
    throw;
  }
}

GlImageCropper::~GlImageCropper() {
  if (!make_current_quietly(ctx_)) return;
  const GlesApi& gl = ctx_->gl();
  if (program_) gl.DeleteProgram(program_);
  const GLuint bufs[3] = {lut_buffer_, param_buffer_, out_buffer_};
  gl.DeleteBuffers(3, bufs);
  gl.GetError();
}

void GlImageCropper::reserve(int n) {
  if (n <= capacity_) return;
  const GlesApi& gl = ctx_->gl();
  const size_t out_bytes = static_cast<size_t>(n) * static_cast<size_t>(floats_per_item()) * sizeof(float);
  const long long limit = ctx_->info().limits.ssbo_block_bytes;
  if (limit > 0 && static_cast<long long>(out_bytes) > limit)
    throw GlError("GlImageCropper: " + std::to_string(n) + " crops need " + std::to_string(out_bytes) +
                  " bytes, above GL_MAX_SHADER_STORAGE_BLOCK_SIZE");
  gl.BindBuffer(gles::kShaderStorageBuffer, out_buffer_);
  gl.BufferData(gles::kShaderStorageBuffer, static_cast<GLsizeiptr>(out_bytes), nullptr, gles::kDynamicCopy);
  gl.BindBuffer(gles::kShaderStorageBuffer, param_buffer_);
  gl.BufferData(gles::kShaderStorageBuffer,
                static_cast<GLsizeiptr>((kHeaderWords + static_cast<size_t>(n) * kRectWords) * 4), nullptr,
                gles::kDynamicDraw);
  gl.BindBuffer(gles::kShaderStorageBuffer, 0);
  ctx_->check_error("GlImageCropper: allocating buffers");
  capacity_ = n;
  params_.assign(kHeaderWords + static_cast<size_t>(n) * kRectWords, 0u);
}

void GlImageCropper::crop(const GlFrame& frame, const RotatedRectPx* rects, int n) {
  if (n < 1 || n > 65535) throw std::invalid_argument("GlImageCropper: batch must be in 1..65535");
  const ImageView& img = frame.view();
  if (img.data == nullptr) throw std::invalid_argument("GlImageCropper: the frame was never uploaded");
  reserve(n);
  params_[0] = static_cast<uint32_t>(img.width);
  params_[1] = static_cast<uint32_t>(img.height);
  params_[2] = static_cast<uint32_t>(img.row_stride_bytes);
  params_[3] = static_cast<uint32_t>(img.channels);
  std::vector<int> fallback;
  for (int b = 0; b < n; ++b) {
    uint32_t* p = &params_[kHeaderWords + static_cast<size_t>(b) * kRectWords];
    const std::array<double, 9> m = CropSamplingMatrix(rects[b], out_w_, out_h_);
    // Affine form in 1/32 pixel: X = m2*s + m0*s * x + m1*s * y (Y likewise), s = 32 / m8.
    bool gpu = m[8] != 0.0 && std::isfinite(m[8]);
    double coef[6] = {0, 0, 0, 0, 0, 0};
    if (gpu) {
      const double proj = std::abs(m[6]) * (out_w_ - 1) + std::abs(m[7]) * (out_h_ - 1);
      const double s = 32.0 / m[8];
      coef[0] = m[2] * s;
      coef[1] = m[0] * s;
      coef[2] = m[1] * s;
      coef[3] = m[5] * s;
      coef[4] = m[3] * s;
      coef[5] = m[4] * s;
      gpu = proj <= 1e-12 * std::abs(m[8]);
      for (int axis = 0; axis < 2 && gpu; ++axis) {
        const double* c = coef + axis * 3;
        for (int corner = 0; corner < 4; ++corner) {
          const double x = (corner & 1) ? out_w_ - 1 : 0, y = (corner & 2) ? out_h_ - 1 : 0;
          const double v = c[0] + c[1] * x + c[2] * y;
          if (!(std::abs(v) < kCoordLimit) || !(std::abs(c[0]) < kCoordLimit) ||
              !(std::abs(c[1]) < kCoordLimit) || !(std::abs(c[2]) < kCoordLimit))
            gpu = false;
        }
      }
    }
    p[0] = gpu ? 0u : 1u;
    if (gpu) {
      for (int k = 0; k < 6; ++k) to_fixed96(coef[k], p + 1 + 3 * k);
    } else {
      fallback.push_back(b);
    }
  }
  const GlesApi& gl = ctx_->gl();
  gl.BindBuffer(gles::kShaderStorageBuffer, param_buffer_);
  gl.BufferSubData(gles::kShaderStorageBuffer, 0,
                   static_cast<GLsizeiptr>((kHeaderWords + static_cast<size_t>(n) * kRectWords) * 4),
                   params_.data());
  gl.BindBuffer(gles::kShaderStorageBuffer, 0);
  gl.UseProgram(program_);
  gl.BindBufferBase(gles::kShaderStorageBuffer, 0, frame.buffer());
  gl.BindBufferBase(gles::kShaderStorageBuffer, 1, param_buffer_);
  gl.BindBufferBase(gles::kShaderStorageBuffer, 2, lut_buffer_);
  gl.BindBufferBase(gles::kShaderStorageBuffer, 3, out_buffer_);
  gl.DispatchCompute(static_cast<GLuint>((out_w_ + 7) / 8), static_cast<GLuint>((out_h_ + 7) / 8),
                     static_cast<GLuint>(n));
  if (!fallback.empty()) {
    const int64_t item = floats_per_item();
    staging_.resize(static_cast<size_t>(item));
    gl.BindBuffer(gles::kShaderStorageBuffer, out_buffer_);
    for (int b : fallback) {
      crop_to_tensor(img, rects[b], out_w_, out_h_, border_, scale_, offset_, staging_.data());
      gl.BufferSubData(gles::kShaderStorageBuffer, static_cast<GLintptr>(b * item * sizeof(float)),
                       static_cast<GLsizeiptr>(item * sizeof(float)), staging_.data());
      ++cpu_fallbacks_;
    }
    gl.BindBuffer(gles::kShaderStorageBuffer, 0);
  }
  gl.MemoryBarrier(gles::kShaderStorageBarrierBit | gles::kBufferUpdateBarrierBit);
  ctx_->check_error("GlImageCropper: dispatching the crop");
}

}  // namespace gl
}  // namespace fmn
