// The model-input crop (util/image_to_tensor.h: OpenCV's warpPerspective, INTER_LINEAR, then
// the float conversion) as one thread per output pixel, with the CPU's arithmetic: source
// coordinates in double evaluated from the first column of OpenCV's column block, rounded half
// to even to 1/32 pixel, 15-bit fixed-point bilinear taps, edge replicate or zero, then
// fmaf(v, scale, offset). The results equal crop_to_tensor's bit for bit (test_cuda_image).
#include "ops/cuda/cuda_common.cuh"

namespace fmn {
namespace FMN_CUDA_NS {

FMN_DEVICE int crop_saturate_short(int v) { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }

FMN_DEVICE double crop_clamp_int(double v) {
  v = v < 2147483647.0 ? v : 2147483647.0;
  return v > -2147483648.0 ? v : -2147483648.0;
}

FMN_GLOBAL void crop_image_kernel(CropArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int x = static_cast<int>(i % a.out_w);
    const int y = static_cast<int>((i / a.out_w) % a.out_h);
    const int64_t item = i / (static_cast<int64_t>(a.out_w) * a.out_h);
    const double* m = a.matrices + item * 9;
    const int xb = x / a.block_width * a.block_width, x1 = x - xb;
    const double X0 = fmn_dadd(fmn_dadd(fmn_dmul(m[0], xb), fmn_dmul(m[1], y)), m[2]);
    const double Y0 = fmn_dadd(fmn_dadd(fmn_dmul(m[3], xb), fmn_dmul(m[4], y)), m[5]);
    const double W0 = fmn_dadd(fmn_dadd(fmn_dmul(m[6], xb), fmn_dmul(m[7], y)), m[8]);
    double w;
    if (m[6] == 0.0) {
      w = W0 != 0.0 ? 32.0 / W0 : 0.0;
    } else {
      w = fmn_dadd(W0, fmn_dmul(m[6], x1));
      w = w != 0.0 ? 32.0 / w : 0.0;
    }
    const int X = fmn_round_even(crop_clamp_int(fmn_dmul(fmn_dadd(X0, fmn_dmul(m[0], x1)), w)));
    const int Y = fmn_round_even(crop_clamp_int(fmn_dmul(fmn_dadd(Y0, fmn_dmul(m[3], x1)), w)));
    const int sx = crop_saturate_short(X >> 5), sy = crop_saturate_short(Y >> 5);
    const int16_t* wt = a.weights + ((Y & 31) * 32 + (X & 31)) * 4;
    int v[3] = {0, 0, 0};
    const int cn = a.channels;
    if (sx >= 0 && sx < a.width - 1 && sy >= 0 && sy < a.height - 1) {
      const uint8_t* p0 = a.frame + static_cast<int64_t>(sy) * a.stride + static_cast<int64_t>(sx) * cn;
      const uint8_t* p1 = p0 + a.stride;
      for (int c = 0; c < 3; ++c)
        v[c] = p0[c] * wt[0] + p0[c + cn] * wt[1] + p1[c] * wt[2] + p1[c + cn] * wt[3];
    } else if (!(a.zero_border && (sx >= a.width || sx + 1 < 0 || sy >= a.height || sy + 1 < 0))) {
      // Some taps fall outside: per tap the nearest edge pixel (replicate) or 0 (zero).
      for (int t = 0; t < 4; ++t) {
        int tx = sx + (t & 1), ty = sy + (t >> 1);
        if (!a.zero_border) {
          tx = tx < 0 ? 0 : tx > a.width - 1 ? a.width - 1 : tx;
          ty = ty < 0 ? 0 : ty > a.height - 1 ? a.height - 1 : ty;
        }
        if (tx < 0 || tx >= a.width || ty < 0 || ty >= a.height) continue;
        const uint8_t* p = a.frame + static_cast<int64_t>(ty) * a.stride + static_cast<int64_t>(tx) * cn;
        for (int c = 0; c < 3; ++c) v[c] += p[c] * wt[t];
      }
    }
    float* o = a.out + i * 3;
    for (int c = 0; c < 3; ++c)
      o[c] = fmaf(static_cast<float>(static_cast<uint8_t>((v[c] + (1 << 14)) >> 15)), a.scale, a.offset);
  }
}

void crop_image(const CropArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.batch) * a.out_w * a.out_h;
  if (count == 0) return;
  FMN_LAUNCH(crop_image_kernel, grid_blocks(count), kThreads, s)(a, count);
}

}  // namespace FMN_CUDA_NS
}  // namespace fmn
