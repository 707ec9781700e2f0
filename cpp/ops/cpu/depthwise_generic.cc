// DEPTHWISE_CONV_2D compute in portable C++ (any CPU).
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/vec_generic.h"
#include "ops/cpu/depthwise_impl.h"

namespace fmn {
namespace cpu {

void depthwise_generic(const DwPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  depthwise_dispatch<VecGeneric>(p, a, begin, end);
}

}  // namespace cpu
}  // namespace fmn
