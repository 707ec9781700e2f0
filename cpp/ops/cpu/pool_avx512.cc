// MAX_POOL_2D compute for AVX-512 (16 channels per vector).
#include "ops/cpu/cpu_kernels.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include "ops/cpu/vec_avx512.h"
#include "ops/cpu/pool_impl.h"

namespace fmn {
namespace cpu {

void max_pool_avx512(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  max_pool_rows<VecAvx512>(p, a, begin, end);
}

}  // namespace cpu
}  // namespace fmn
#endif
