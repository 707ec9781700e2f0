// CONV_2D compute for AVX2 + FMA (8-lane panels); also exports the AVX2 kernel table.
#include "ops/cpu/cpu_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include "ops/cpu/vec_avx2.h"
#include "ops/cpu/conv_impl.h"

namespace fmn {
namespace cpu {
namespace {

void conv_avx2(const ConvPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  conv_items<VecAvx2>(p, a, begin, end);
}
int conv_mr_avx2(int nb) { return VecAvx2::mr(nb); }

const IsaKernels kAvx2 = {"cpu.avx2",   VecAvx2::kLanes, VecAvx2::kMaxNb,
                            conv_mr_avx2, conv_avx2, nullptr,       depthwise_avx2,
                            max_pool_avx2, pad_channels_avx2};

}  // namespace

const IsaKernels* isa_kernels_avx2() { return &kAvx2; }

}  // namespace cpu
}  // namespace fmn

#else

namespace fmn {
namespace cpu {
const IsaKernels* isa_kernels_avx2() { return nullptr; }
}  // namespace cpu
}  // namespace fmn

#endif
