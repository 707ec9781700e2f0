// MAX_POOL_2D compute in portable C++ (any CPU).
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/vec_generic.h"
#include "ops/cpu/pool_impl.h"

namespace fmn {
namespace cpu {

void max_pool_generic(const PoolPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  max_pool_rows<VecGeneric>(p, a, begin, end);
}

}  // namespace cpu
}  // namespace fmn
