// MAX_POOL_2D: one thread per output element; padded taps are skipped, as TFLite does.
#include "ops/cuda/cuda_common.cuh"

namespace fmn {
namespace FMN_CUDA_NS {

FMN_GLOBAL void max_pool_kernel(PoolArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int c = static_cast<int>(i % a.c);
    const int64_t p = i / a.c;
    const int ox = static_cast<int>(p % a.ow);
    const int oy = static_cast<int>((p / a.ow) % a.oh);
    const int64_t img = p / (static_cast<int64_t>(a.ow) * a.oh);
    float best = -INFINITY;
    for (int ky = 0; ky < a.kh; ++ky) {
      const int iy = oy * a.sh - a.pt + ky;
      if (iy < 0 || iy >= a.ih) continue;
      for (int kx = 0; kx < a.kw; ++kx) {
        const int ix = ox * a.sw - a.pl + kx;
        if (ix < 0 || ix >= a.iw) continue;
        best = fmaxf(best, a.in[((img * a.ih + iy) * a.iw + ix) * a.c + c]);
      }
    }
    a.out[i] = clamp_to(best, a.act_lo, a.act_hi);
  }
}

void max_pool2d(const PoolArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.images) * a.oh * a.ow * a.c;
  if (count == 0) return;
  FMN_LAUNCH(max_pool_kernel, grid_blocks(count), kThreads, s)(a, count);
}

}  // namespace FMN_CUDA_NS
}  // namespace fmn
