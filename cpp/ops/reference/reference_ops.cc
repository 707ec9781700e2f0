// Reference math: see reference_ops.h for the contracts.
#include "ops/reference/reference_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace fmn {
namespace ref {

static inline float clampf(float v, float lo, float hi) { return std::min(std::max(v, lo), hi); }

void conv2d(const float* in, int n, int ih, int iw, int ic, const float* filter, int oc, int kh,
            int kw, const float* bias, const Conv2DParams& p, float* out, int oh, int ow) {
  for (int b = 0; b < n; ++b) {
    for (int oy = 0; oy < oh; ++oy) {
      for (int ox = 0; ox < ow; ++ox) {
        float* o = out + ((static_cast<int64_t>(b) * oh + oy) * ow + ox) * oc;
        for (int co = 0; co < oc; ++co) {
          double acc = bias ? bias[co] : 0.0;
          for (int ky = 0; ky < kh; ++ky) {
            const int y = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
            if (y < 0 || y >= ih) continue;
            for (int kx = 0; kx < kw; ++kx) {
              const int x = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
              if (x < 0 || x >= iw) continue;
              const float* src = in + ((static_cast<int64_t>(b) * ih + y) * iw + x) * ic;
              const float* w = filter + ((static_cast<int64_t>(co) * kh + ky) * kw + kx) * ic;
              for (int ci = 0; ci < ic; ++ci) acc += static_cast<double>(src[ci]) * w[ci];
            }
          }
          o[co] = clampf(static_cast<float>(acc), p.act_lo, p.act_hi);
        }
      }
    }
  }
}

void depthwise_conv2d(const float* in, int n, int ih, int iw, int ic, const float* filter, int kh,
                      int kw, int depth_multiplier, const float* bias, const Conv2DParams& p,
                      float* out, int oh, int ow) {
  const int oc = ic * depth_multiplier;
  for (int b = 0; b < n; ++b) {
    for (int oy = 0; oy < oh; ++oy) {
      for (int ox = 0; ox < ow; ++ox) {
        float* o = out + ((static_cast<int64_t>(b) * oh + oy) * ow + ox) * oc;
        for (int co = 0; co < oc; ++co) {
          const int ci = co / depth_multiplier;
          double acc = bias ? bias[co] : 0.0;
          for (int ky = 0; ky < kh; ++ky) {
            const int y = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
            if (y < 0 || y >= ih) continue;
            for (int kx = 0; kx < kw; ++kx) {
              const int x = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
              if (x < 0 || x >= iw) continue;
              acc += static_cast<double>(in[((static_cast<int64_t>(b) * ih + y) * iw + x) * ic + ci]) *
                     filter[(static_cast<int64_t>(ky) * kw + kx) * oc + co];
            }
          }
          o[co] = clampf(static_cast<float>(acc), p.act_lo, p.act_hi);
        }
      }
    }
  }
}

void apply_epilogue(float* out, int64_t count, int channels, const Epilogue& e,
                    const float* residual) {
  const int rc = e.residual_channels > 0 ? e.residual_channels : channels;
  for (int64_t i = 0; i < count; ++i) {
    float v = out[i];
    if (e.has_residual && rc == channels) {
      v += residual[i];
    } else if (e.has_residual) {
      const int64_t px = i / channels;
      const int c = static_cast<int>(i - px * channels);
      if (c < rc) v += residual[px * rc + c];
    }
    if (e.prelu_alpha && v < 0.f) v *= e.prelu_alpha[i % channels];
    out[i] = clampf(v, e.post_lo, e.post_hi);
  }
}

void max_pool2d(const float* in, int n, int ih, int iw, int c, int kh, int kw,
                const Conv2DParams& p, float* out, int oh, int ow) {
  for (int b = 0; b < n; ++b) {
    for (int oy = 0; oy < oh; ++oy) {
      for (int ox = 0; ox < ow; ++ox) {
        float* o = out + ((static_cast<int64_t>(b) * oh + oy) * ow + ox) * c;
        for (int ch = 0; ch < c; ++ch) {
          float m = -std::numeric_limits<float>::infinity();
          for (int ky = 0; ky < kh; ++ky) {
            const int y = oy * p.stride_h - p.pad_top + ky;
            if (y < 0 || y >= ih) continue;
            for (int kx = 0; kx < kw; ++kx) {
              const int x = ox * p.stride_w - p.pad_left + kx;
              if (x < 0 || x >= iw) continue;
              m = std::max(m, in[((static_cast<int64_t>(b) * ih + y) * iw + x) * c + ch]);
            }
          }
          o[ch] = clampf(m, p.act_lo, p.act_hi);
        }
      }
    }
  }
}

std::vector<int32_t> broadcast_shape(const std::vector<int32_t>& a,
                                     const std::vector<int32_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int32_t> out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ModelError("shapes cannot be broadcast: dimension " + std::to_string(i) + " is " +
                       std::to_string(da) + " vs " + std::to_string(db));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

void binary_broadcast(BinaryOp op, const float* a, const std::vector<int32_t>& a_shape,
                      const float* b, const std::vector<int32_t>& b_shape, float* out,
                      const std::vector<int32_t>& out_shape, float act_lo, float act_hi) {
  const int rank = static_cast<int>(out_shape.size());
  // Strides of a and b in the output's index space (0 along broadcast dimensions).
  std::vector<int64_t> sa(rank, 0), sb(rank, 0);
  int64_t stride_a = 1, stride_b = 1;
  for (int i = rank - 1; i >= 0; --i) {
    const int ia = i - (rank - static_cast<int>(a_shape.size()));
    const int ib = i - (rank - static_cast<int>(b_shape.size()));
    const int32_t da = ia >= 0 ? a_shape[ia] : 1;
    const int32_t db = ib >= 0 ? b_shape[ib] : 1;
    sa[i] = da == 1 ? 0 : stride_a;
    sb[i] = db == 1 ? 0 : stride_b;
    stride_a *= da;
    stride_b *= db;
  }
  int64_t total = 1;
  for (int32_t d : out_shape) total *= d;
  std::vector<int32_t> idx(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t oa = 0, ob = 0;
    for (int d = 0; d < rank; ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    out[i] = clampf(binary_apply(op, a[oa], b[ob]), act_lo, act_hi);
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < out_shape[d]) break;
      idx[d] = 0;
    }
  }
}

void reduce(bool mean, const float* in, const std::vector<int32_t>& in_shape,
            const std::vector<bool>& reduce_axis, float* out) {
  const int rank = static_cast<int>(in_shape.size());
  // Output strides in the input's index space (0 along reduced dimensions).
  std::vector<int64_t> so(rank, 0);
  int64_t out_count = 1, stride = 1, total = 1;
  for (int d = rank - 1; d >= 0; --d) {
    total *= in_shape[d];
    if (!reduce_axis[d]) {
      so[d] = stride;
      stride *= in_shape[d];
      out_count *= in_shape[d];
    }
  }
  std::vector<double> acc(static_cast<size_t>(out_count), 0.0);
  std::vector<int32_t> idx(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t o = 0;
    for (int d = 0; d < rank; ++d) o += idx[d] * so[d];
    acc[o] += in[i];
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < in_shape[d]) break;
      idx[d] = 0;
    }
  }
  const double n = out_count > 0 ? static_cast<double>(total) / out_count : 1.0;
  for (int64_t o = 0; o < out_count; ++o) out[o] = static_cast<float>(mean ? acc[o] / n : acc[o]);
}

void transpose(const float* in, const std::vector<int32_t>& in_shape,
               const std::vector<int32_t>& perm, float* out) {
  const int rank = static_cast<int>(in_shape.size());
  std::vector<int64_t> in_stride(rank, 1);
  for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * in_shape[d + 1];
  std::vector<int32_t> out_shape(rank);
  std::vector<int64_t> step(rank);  // input stride of each output dimension
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    out_shape[d] = in_shape[perm[d]];
    step[d] = in_stride[perm[d]];
    total *= out_shape[d];
  }
  std::vector<int32_t> idx(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t off = 0;
    for (int d = 0; d < rank; ++d) off += idx[d] * step[d];
    out[i] = in[off];
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < out_shape[d]) break;
      idx[d] = 0;
    }
  }
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // zero or subnormal
  } else if (exponent == 31) {
    magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN()
                         : std::numeric_limits<float>::infinity();
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &magnitude, sizeof(bits));
  bits |= sign;
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

namespace {

struct Densifier {
  const SparsityDef& sp;
  const std::vector<int32_t>& shape;
  const uint8_t* values;
  size_t esize;
  uint8_t* out;
  size_t n;
  int64_t next = 0;       // next stored value
  int32_t idx[16] = {0};  // per level: the coordinate at that level

  void leaf() {
    int64_t orig[16];
    for (size_t l = 0; l < n; ++l) orig[sp.traversal_order[l]] = idx[l];
    for (size_t l = n; l < sp.dims.size(); ++l) {
      const int32_t d = sp.block_map[l - n];
      orig[d] = orig[d] * sp.dims[l].dense_size + idx[l];
    }
    int64_t flat = 0;
    for (size_t d = 0; d < n; ++d) flat = flat * shape[d] + orig[d];
    std::memcpy(out + static_cast<size_t>(flat) * esize, values + static_cast<size_t>(next) * esize, esize);
    ++next;
  }
  // Visits level `l` below position `pos` of the level above.
  void visit(size_t l, int64_t pos) {
    if (l == sp.dims.size()) return leaf();
    const SparseDimension& d = sp.dims[l];
    if (!d.csr) {
      for (int32_t i = 0; i < d.dense_size; ++i) {
        idx[l] = i;
        visit(l + 1, pos * d.dense_size + i);
      }
      return;
    }
    for (int32_t i = d.segments[static_cast<size_t>(pos)]; i < d.segments[static_cast<size_t>(pos) + 1]; ++i) {
      idx[l] = d.indices[static_cast<size_t>(i)];
      visit(l + 1, i);
    }
  }
};

// TFLite's ComputeInterpolationValues.
void interpolation(int v, float scale, bool half_pixel, int size, float* scaled, int* lo, int* hi) {
  *scaled = half_pixel ? (static_cast<float>(v) + 0.5f) * scale - 0.5f : static_cast<float>(v) * scale;
  *lo = std::max(static_cast<int>(std::floor(*scaled)), 0);
  *hi = std::min(static_cast<int>(std::ceil(*scaled)), size - 1);
}

}  // namespace

void densify(const SparsityDef& sp, const std::vector<int32_t>& shape, const void* values,
             size_t esize, void* out) {
  int64_t total = 1;
  for (int32_t d : shape) total *= d;
  std::memset(out, 0, static_cast<size_t>(total) * esize);
  if (total == 0 || sp.dims.size() > 16) return;
  Densifier z{sp, shape, static_cast<const uint8_t*>(values), esize, static_cast<uint8_t*>(out), shape.size()};
  z.visit(0, 0);
}

void resize_bilinear(const float* in, int n, int ih, int iw, int c, float* out, int oh, int ow,
                     bool align_corners, bool half_pixel_centers) {
  float hs = static_cast<float>(ih) / static_cast<float>(oh);
  float ws = static_cast<float>(iw) / static_cast<float>(ow);
  if (align_corners && oh > 1) hs = static_cast<float>(ih - 1) / static_cast<float>(oh - 1);
  if (align_corners && ow > 1) ws = static_cast<float>(iw - 1) / static_cast<float>(ow - 1);
  for (int b = 0; b < n; ++b) {
    for (int y = 0; y < oh; ++y) {
      float sy;
      int y0, y1;
      interpolation(y, hs, half_pixel_centers, ih, &sy, &y0, &y1);
      const float dy = sy - static_cast<float>(y0);
      for (int x = 0; x < ow; ++x) {
        float sx;
        int x0, x1;
        interpolation(x, ws, half_pixel_centers, iw, &sx, &x0, &x1);
        const float dx = sx - static_cast<float>(x0);
        const float* p00 = in + ((static_cast<int64_t>(b) * ih + y0) * iw + x0) * c;
        const float* p10 = in + ((static_cast<int64_t>(b) * ih + y1) * iw + x0) * c;
        const float* p01 = in + ((static_cast<int64_t>(b) * ih + y0) * iw + x1) * c;
        const float* p11 = in + ((static_cast<int64_t>(b) * ih + y1) * iw + x1) * c;
        float* o = out + ((static_cast<int64_t>(b) * oh + y) * ow + x) * c;
        for (int k = 0; k < c; ++k)
          o[k] = p00[k] * (1 - dy) * (1 - dx) + p10[k] * dy * (1 - dx) + p01[k] * (1 - dy) * dx +
                 p11[k] * dy * dx;
      }
    }
  }
}

void resize_bilinear_taps(int in_size, int out_size, bool align_corners, bool half_pixel_centers,
                          std::vector<int32_t>* lo, std::vector<int32_t>* hi,
                          std::vector<float>* frac) {
  float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  if (align_corners && out_size > 1)
    scale = static_cast<float>(in_size - 1) / static_cast<float>(out_size - 1);
  lo->resize(static_cast<size_t>(out_size));
  hi->resize(static_cast<size_t>(out_size));
  frac->resize(static_cast<size_t>(out_size));
  for (int o = 0; o < out_size; ++o) {
    float s;
    int a, b;
    interpolation(o, scale, half_pixel_centers, in_size, &s, &a, &b);
    (*lo)[static_cast<size_t>(o)] = a;
    (*hi)[static_cast<size_t>(o)] = b;
    (*frac)[static_cast<size_t>(o)] = s - static_cast<float>(a);
  }
}

void depth_to_space(const float* in, int n, int h, int w, int c, int bs, float* out) {
  const int oh = h * bs, ow = w * bs, ic = c * bs * bs;
  for (int b = 0; b < n; ++b)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x) {
        const float* src = in + ((static_cast<int64_t>(b) * h + y / bs) * w + x / bs) * ic +
                           ((y % bs) * bs + x % bs) * c;
        std::memcpy(out + ((static_cast<int64_t>(b) * oh + y) * ow + x) * c, src, sizeof(float) * c);
      }
}

}  // namespace ref
}  // namespace fmn
