// MAX_POOL_2D and channel PAD compute in portable C++ (any CPU).
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/vec_generic.h"
#include "ops/cpu/pool_impl.h"

namespace fmn {
namespace cpu {

void max_pool_generic(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  max_pool_rows<VecGeneric>(p, a, begin, end);
}

void pad_channels_generic(const float* in, float* out, int64_t pixels, int in_c, int out_c) {
  pad_channel_pixels<VecGeneric>(in, out, pixels, in_c, out_c);
}

}  // namespace cpu
}  // namespace fmn
