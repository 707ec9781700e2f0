// RESIZE_BILINEAR: one thread per output element, with the source rows, columns and weights
// the reference computes (tables built at load), blended in the reference's order.
#include "ops/cuda/cuda_common.cuh"

namespace fmn {
namespace FMN_CUDA_NS {

FMN_GLOBAL void resize_bilinear_kernel(ResizeArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int k = static_cast<int>(i % a.c);
    const int64_t p = i / a.c;
    const int x = static_cast<int>(p % a.ow);
    const int y = static_cast<int>((p / a.ow) % a.oh);
    const int64_t img = p / (static_cast<int64_t>(a.ow) * a.oh);
    const float dy = a.dy[y], dx = a.dx[x];
    const float* row0 = a.in + (img * a.ih + a.y0[y]) * a.iw * a.c;
    const float* row1 = a.in + (img * a.ih + a.y1[y]) * a.iw * a.c;
    const float p00 = row0[static_cast<int64_t>(a.x0[x]) * a.c + k];
    const float p01 = row0[static_cast<int64_t>(a.x1[x]) * a.c + k];
    const float p10 = row1[static_cast<int64_t>(a.x0[x]) * a.c + k];
    const float p11 = row1[static_cast<int64_t>(a.x1[x]) * a.c + k];
    a.out[i] = p00 * (1 - dy) * (1 - dx) + p10 * dy * (1 - dx) + p01 * (1 - dy) * dx +
               p11 * dy * dx;
  }
}

void resize_bilinear(const ResizeArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.images) * a.oh * a.ow * a.c;
  if (count == 0) return;
  FMN_LAUNCH(resize_bilinear_kernel, grid_blocks(count), kThreads, s)(a, count);
}

}  // namespace FMN_CUDA_NS
}  // namespace fmn
