// MAX_POOL_2D and channel PAD compute for AVX2 + FMA (8 channels per vector).
#include "ops/cpu/cpu_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include "ops/cpu/vec_avx2.h"
#include "ops/cpu/pool_impl.h"

namespace fmn {
namespace cpu {

void max_pool_avx2(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  max_pool_rows<VecAvx2>(p, a, begin, end);
}

void pad_channels_avx2(const float* in, float* out, int64_t pixels, int in_c, int out_c) {
  pad_channel_pixels<VecAvx2>(in, out, pixels, in_c, out_c);
}

}  // namespace cpu
}  // namespace fmn
#endif
