// GL frame upload and crop shader; see gl_image.h for the contract and the arithmetic kept.
#include "ops/gl/gl_image.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

// The per-block values X0, Y0, W0 must be rounded as OpenCV rounds them: no contraction.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace fmn {
namespace gl {
namespace {

constexpr int kHeaderWords = 4;   // src width, height, row stride (bytes), channels
constexpr int kBlockWords = 18;   // per (rect, row, block): X c0 c1 c2, Y c0 c1 c2, 3 words each
constexpr long double kCoordLimit = 1073741824.0L;  // 2^30 in 1/32 pixel: |coordinate| < 2^25 px
// Largest |m6 * x1 / W0| kept on the GPU: the dropped third-order term is then below
// 2^30 * 1e-18 ~ 1e-9 of a 1/32 pixel.
constexpr double kMaxProjective = 1e-6;

// OpenCV's warp blocks for an out_w x out_h output: rows of bw0-column blocks.
int block_width(int out_w, int out_h) {
  const int bh0 = std::min(16, out_h);
  return std::min(1024 / bh0, out_w);
}

// v in 32.64 fixed point (words[0] least significant), from a long double: the sum of its
// leading double and the remainder, each rounded to 2^-64.
void to_fixed96_long(long double v, uint32_t words[3]) {
  const double hi = static_cast<double>(v);
  const double lo = static_cast<double>(v - static_cast<long double>(hi));
  uint32_t a[3], b[3];
  to_fixed96(hi, a);
  to_fixed96(lo, b);
  uint64_t carry = 0;
  for (int i = 0; i < 3; ++i) {
    const uint64_t t = static_cast<uint64_t>(a[i]) + b[i] + carry;
    words[i] = static_cast<uint32_t>(t);
    carry = t >> 32;
  }
}

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

// a * k mod 2^96.
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

uvec3 neg96(uvec3 a) { return add96(~a, uvec3(1u, 0u, 0u)); }

// Bit i (0..95) of a.
uint bit96(uvec3 a, int i) { return (a[i >> 5] >> uint(i & 31)) & 1u; }

// True when any bit below i (1..95) of a is set.
bool any_below96(uvec3 a, int i) {
  uvec3 m = uvec3(i >= 32 ? 0xffffffffu : (1u << uint(i)) - 1u,
                  i >= 64 ? 0xffffffffu : (i <= 32 ? 0u : (1u << uint(i - 32)) - 1u),
                  i <= 64 ? 0u : (1u << uint(i - 64)) - 1u);
  return any(notEqual(a & m, uvec3(0u)));
}

// a with the bits below i (1..95) cleared.
uvec3 clear_below96(uvec3 a, int i) {
  uvec3 m = uvec3(i >= 32 ? 0u : ~((1u << uint(i)) - 1u),
                  i >= 64 ? 0u : (i <= 32 ? 0xffffffffu : ~((1u << uint(i - 32)) - 1u)),
                  i <= 64 ? 0xffffffffu : ~((1u << uint(i - 64)) - 1u));
  return a & m;
}

// a + 2^i (0 <= i < 96).
uvec3 add_pow2_96(uvec3 a, int i) {
  uvec3 p = uvec3(0u);
  p[i >> 5] = 1u << uint(i & 31);
  return add96(a, p);
}

// v rounded half to even to 53 significant bits, as a double result would be.
uvec3 round_to_double(uvec3 v) {
  bool negative = (v.z >> 31) != 0u;
  uvec3 m = negative ? neg96(v) : v;
  int msb = m.z != 0u ? 64 + findMSB(m.z) : (m.y != 0u ? 32 + findMSB(m.y) : findMSB(m.x));
  int p = msb - 52;  // the unit in the last place is bit p
  if (p <= 0) return v;
  bool up = bit96(m, p - 1) != 0u && (bit96(m, p) != 0u || (p >= 2 && any_below96(m, p - 1)));
  m = clear_below96(m, p);
  if (up) m = add_pow2_96(m, p);
  return negative ? neg96(m) : m;
}

// c0 + c1 * x1 + c2 * x1^2 rounded to a double, then half to even to an int (32.64 fixed
// point in, int out).
int coord(uint base, uint x1) {
  uvec3 v = add96(add96(load96(base), mul96(load96(base + 3u), x1)), mul96(load96(base + 6u), x1 * x1));
  v = round_to_double(v);
  int ip = int(v.z);
  if (v.y > 0x80000000u || (v.y == 0x80000000u && (v.x != 0u || (ip & 1) != 0))) ip += 1;
  return ip;
}

uint byte_at(int off) { return (src[off >> 2] >> (uint(off & 3) * 8u)) & 255u; }

void main() {
  uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, b = gl_GlobalInvocationID.z;
  if (x >= uint(OUT_W) || y >= uint(OUT_H)) return;
  if (prm[uint(HEADER_WORDS) + b] != 0u) return;
  uint block = x / uint(BLOCK_W), x1 = x - block * uint(BLOCK_W);
  uint base = uint(HEADER_WORDS) + gl_NumWorkGroups.z +
              ((b * uint(OUT_H) + y) * uint(NUM_BLOCKS) + block) * uint(BLOCK_WORDS);
  int sw = int(prm[0]), sh = int(prm[1]), stride = int(prm[2]), cn = int(prm[3]);
  int X = coord(base, x1);
  int Y = coord(base + 9u, x1);
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
  const int bw0 = block_width(out_w, out_h);
  src += "#define HEADER_WORDS " + std::to_string(kHeaderWords) + "\n#define BLOCK_WORDS " +
         std::to_string(kBlockWords) + "\n#define BLOCK_W " + std::to_string(bw0) + "\n#define NUM_BLOCKS " +
         std::to_string((out_w + bw0 - 1) / bw0) + "\n";
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

size_t GlImageCropper::param_words(int n) const {
  const int bw0 = block_width(out_w_, out_h_);
  const size_t blocks = static_cast<size_t>((out_w_ + bw0 - 1) / bw0) * static_cast<size_t>(out_h_);
  return kHeaderWords + static_cast<size_t>(n) * (1 + blocks * kBlockWords);
}

void GlImageCropper::reserve(int n) {
  if (n <= capacity_) return;
  const GlesApi& gl = ctx_->gl();
  const size_t out_bytes = static_cast<size_t>(n) * static_cast<size_t>(floats_per_item()) * sizeof(float);
  const long long limit = ctx_->info().limits.ssbo_block_bytes;
  if (limit > 0 && (static_cast<long long>(out_bytes) > limit || static_cast<long long>(param_words(n) * 4) > limit))
    throw GlError("GlImageCropper: " + std::to_string(n) + " crops need " + std::to_string(out_bytes) +
                  " bytes, above GL_MAX_SHADER_STORAGE_BLOCK_SIZE");
  gl.BindBuffer(gles::kShaderStorageBuffer, out_buffer_);
  gl.BufferData(gles::kShaderStorageBuffer, static_cast<GLsizeiptr>(out_bytes), nullptr, gles::kDynamicCopy);
  gl.BindBuffer(gles::kShaderStorageBuffer, param_buffer_);
  gl.BufferData(gles::kShaderStorageBuffer, static_cast<GLsizeiptr>(param_words(n) * 4), nullptr,
                gles::kDynamicDraw);
  gl.BindBuffer(gles::kShaderStorageBuffer, 0);
  ctx_->check_error("GlImageCropper: allocating buffers");
  capacity_ = n;
  params_.assign(param_words(n), 0u);
}

bool GlImageCropper::block_coefficients(const RotatedRectPx& r, uint32_t* out) const {
  const std::array<double, 9> m = CropSamplingMatrix(r, out_w_, out_h_);
  const int bw0 = block_width(out_w_, out_h_);
  for (int y = 0; y < out_h_; ++y) {
    for (int x = 0; x < out_w_; x += bw0) {
      const int last = std::min(bw0, out_w_ - x) - 1;
      // As warpPerspective computes them, in double.
      const double X0 = m[0] * x + m[1] * y + m[2];
      const double Y0 = m[3] * x + m[4] * y + m[5];
      const double W0 = m[6] * x + m[7] * y + m[8];
      const double W1 = W0 + m[6] * last;
      if (!(W0 != 0.0) || !(W1 != 0.0) || (W0 < 0.0) != (W1 < 0.0) || !std::isfinite(W0)) return false;
      // X(x1) = 32 (X0 + m0 x1) / (W0 (1 + q x1)), q = m6 / W0, to second order in q x1.
      const long double q = static_cast<long double>(m[6]) / W0;
      if (!(std::fabs(q * last) <= kMaxProjective)) return false;
      const long double base[2] = {X0, Y0}, slope[2] = {m[0], m[3]};
      for (int axis = 0; axis < 2; ++axis) {
        const long double a = 32.0L * base[axis] / W0, b = 32.0L * slope[axis] / W0;
        const long double c[3] = {a, b - a * q, (a * q - b) * q};
        const long double end = c[0] + c[1] * last + c[2] * last * last;
        if (!(std::fabs(c[0]) < kCoordLimit) || !(std::fabs(end) < kCoordLimit) ||
            !(std::fabs(c[1]) < kCoordLimit))
          return false;
        for (int k = 0; k < 3; ++k) to_fixed96_long(c[k], out + axis * 9 + k * 3);
      }
      out += kBlockWords;
    }
  }
  return true;
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
  const size_t per_rect = (param_words(1) - kHeaderWords - 1);
  std::vector<int> fallback;
  for (int b = 0; b < n; ++b) {
    uint32_t* coef = &params_[kHeaderWords + static_cast<size_t>(n) + static_cast<size_t>(b) * per_rect];
    const bool gpu = block_coefficients(rects[b], coef);
    params_[kHeaderWords + static_cast<size_t>(b)] = gpu ? 0u : 1u;
    if (!gpu) fallback.push_back(b);
  }
  const size_t words = kHeaderWords + static_cast<size_t>(n) * (1 + per_rect);
  const GlesApi& gl = ctx_->gl();
  gl.BindBuffer(gles::kShaderStorageBuffer, param_buffer_);
  gl.BufferSubData(gles::kShaderStorageBuffer, 0, static_cast<GLsizeiptr>(words * 4), params_.data());
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
