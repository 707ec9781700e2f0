// CONV_2D and DEPTHWISE_CONV_2D with the plan's fused epilogue (runtime/kernel.h): one thread
// per output element, output channels fastest so that a warp reads consecutive filter columns
// (the CONV_2D filter is repacked to [kh, kw, ic, oc] at load) and shares its input reads.
#include "ops/cuda/cuda_common.cuh"

namespace fmn {
namespace FMN_CUDA_NS {

// The Epilogue in runtime/kernel.h's order, for output channel o of output pixel p.
FMN_DEVICE float conv_epilogue(float y, int64_t p, int o, const ConvArgs& a) {
  y = clamp_to(y, a.act_lo, a.act_hi);
  if (a.ep.residual != nullptr && o < a.ep.residual_channels) {
    const int64_t rp = a.ep.residual_pixels > 0 ? p % a.ep.residual_pixels : p;
    y += a.ep.residual[rp * a.ep.residual_channels + o];
  }
  if (a.ep.prelu != nullptr && y < 0.0f) y *= a.ep.prelu[o];
  return clamp_to(y, a.ep.post_lo, a.ep.post_hi);
}

FMN_GLOBAL void conv2d_kernel(ConvArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int o = static_cast<int>(i % a.oc);
    const int64_t p = i / a.oc;
    const int ox = static_cast<int>(p % a.ow);
    const int oy = static_cast<int>((p / a.ow) % a.oh);
    const int64_t img = p / (static_cast<int64_t>(a.ow) * a.oh);
    float acc = a.bias != nullptr ? a.bias[o] : 0.0f;
    for (int ky = 0; ky < a.kh; ++ky) {
      const int iy = oy * a.sh - a.pt + ky * a.dh;
      if (iy < 0 || iy >= a.ih) continue;
      for (int kx = 0; kx < a.kw; ++kx) {
        const int ix = ox * a.sw - a.pl + kx * a.dw;
        if (ix < 0 || ix >= a.iw) continue;
        const float* src = a.in + ((img * a.ih + iy) * a.iw + ix) * a.ic;
        const float* w = a.filter + (static_cast<int64_t>(ky * a.kw + kx) * a.ic) * a.oc + o;
        for (int c = 0; c < a.ic; ++c) acc += src[c] * w[static_cast<int64_t>(c) * a.oc];
      }
    }
    a.out[i] = conv_epilogue(acc, p, o, a);
  }
}

FMN_GLOBAL void depthwise_kernel(ConvArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int o = static_cast<int>(i % a.oc);
    const int ci = o / a.depth_multiplier;
    const int64_t p = i / a.oc;
    const int ox = static_cast<int>(p % a.ow);
    const int oy = static_cast<int>((p / a.ow) % a.oh);
    const int64_t img = p / (static_cast<int64_t>(a.ow) * a.oh);
    float acc = a.bias != nullptr ? a.bias[o] : 0.0f;
    for (int ky = 0; ky < a.kh; ++ky) {
      const int iy = oy * a.sh - a.pt + ky * a.dh;
      if (iy < 0 || iy >= a.ih) continue;
      for (int kx = 0; kx < a.kw; ++kx) {
        const int ix = ox * a.sw - a.pl + kx * a.dw;
        if (ix < 0 || ix >= a.iw) continue;
        acc += a.in[((img * a.ih + iy) * a.iw + ix) * a.ic + ci] *
               a.filter[static_cast<int64_t>(ky * a.kw + kx) * a.oc + o];
      }
    }
    a.out[i] = conv_epilogue(acc, p, o, a);
  }
}

void conv2d(const ConvArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.images) * a.oh * a.ow * a.oc;
  if (count == 0) return;
  FMN_LAUNCH(conv2d_kernel, grid_blocks(count), kThreads, s)(a, count);
}

void depthwise_conv2d(const ConvArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.images) * a.oh * a.ow * a.oc;
  if (count == 0) return;
  FMN_LAUNCH(depthwise_kernel, grid_blocks(count), kThreads, s)(a, count);
}

}  // namespace FMN_CUDA_NS
}  // namespace fmn
