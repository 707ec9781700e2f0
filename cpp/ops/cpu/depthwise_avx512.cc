// DEPTHWISE_CONV_2D compute for AVX-512 (16 channels per vector).
#include "ops/cpu/cpu_kernels.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include "ops/cpu/vec_avx512.h"
#include "ops/cpu/depthwise_impl.h"

namespace fmn {
namespace cpu {

void depthwise_avx512(const DwPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  depthwise_dispatch<VecAvx512>(p, a, begin, end);
}

}  // namespace cpu
}  // namespace fmn
#endif
