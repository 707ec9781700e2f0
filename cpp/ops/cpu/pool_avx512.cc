// MAX_POOL_2D and channel PAD compute for AVX-512 (16 channels per vector).
#include "ops/cpu/cpu_kernels.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include "ops/cpu/vec_avx512.h"
#include "ops/cpu/pool_impl.h"

namespace fmn {
namespace cpu {

void max_pool_avx512(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  max_pool_rows<VecAvx512>(p, a, begin, end);
}

void pad_channels_avx512(const float* in, float* out, int64_t pixels, int in_c, int out_c) {
  pad_channel_pixels<VecAvx512>(in, out, pixels, in_c, out_c);
}

}  // namespace cpu
}  // namespace fmn
#endif
