// CONV_2D compute in portable C++ (any CPU); also exports the generic kernel table.
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/vec_generic.h"
#include "ops/cpu/conv_impl.h"

namespace fmn {
namespace cpu {
namespace {

void conv_generic(const ConvPlan& p, const RunArgs& a, int64_t begin, int64_t end) {
  conv_items<VecGeneric>(p, a, begin, end);
}
int conv_mr_generic(int nb) { return VecGeneric::mr(nb); }

const IsaKernels kGeneric = {"cpu.generic",   VecGeneric::kLanes, VecGeneric::kMaxNb,
                             conv_mr_generic, conv_generic, nullptr,       depthwise_generic,
                            max_pool_generic, pad_channels_generic};

}  // namespace

const IsaKernels* isa_kernels_generic() { return &kGeneric; }

}  // namespace cpu
}  // namespace fmn
