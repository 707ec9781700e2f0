// CONV_2D compute for AVX-512 (16-lane panels); also exports the AVX-512 kernel table.
#include "ops/cpu/cpu_kernels.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include "ops/cpu/vec_avx512.h"
#include "ops/cpu/conv_impl.h"

namespace fmn {
namespace cpu {
namespace {

void conv_avx512(const ConvPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  conv_items<VecAvx512>(p, a, begin, end);
}
int conv_mr_avx512(int nb) { return VecAvx512::mr(nb); }

const IsaKernels kAvx512 = {"cpu.avx512",   VecAvx512::kLanes, VecAvx512::kMaxNb,
                            conv_mr_avx512, conv_avx512, conv_direct_avx512,       depthwise_avx512,
                            max_pool_avx512, pad_channels_avx512};

}  // namespace

const IsaKernels* isa_kernels_avx512() { return &kAvx512; }

}  // namespace cpu
}  // namespace fmn

#else

namespace fmn {
namespace cpu {
const IsaKernels* isa_kernels_avx512() { return nullptr; }
}  // namespace cpu
}  // namespace fmn

#endif
