// Data movement by index map (PAD, PADV2, CONCATENATION, STRIDED_SLICE, TRANSPOSE,
// DEPTH_TO_SPACE): every output element of a sample reads one element of one input, or the
// pad value. The executor builds the map once at load by running the op's reference kernel on
// inputs whose elements encode their own positions, so each op has exactly the reference's
// semantics with one kernel for all of them.
#include "ops/cuda/cuda_common.cuh"

namespace fmn {
namespace FMN_CUDA_NS {

FMN_GLOBAL void gather_kernel(GatherArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int64_t sample = i / a.out_sample;
    const int64_t j = i - sample * a.out_sample;
    const int k = a.which[j];
    float v = a.pad_value;
    if (k >= 0) v = a.src[k][sample * a.src_sample[k] + a.offset[j]];
    a.out[i] = clamp_to(v, a.act_lo, a.act_hi);
  }
}

void gather(const GatherArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.batch) * a.out_sample;
  if (count == 0) return;
  FMN_LAUNCH(gather_kernel, grid_blocks(count), kThreads, s)(a, count);
}

}  // namespace FMN_CUDA_NS
}  // namespace fmn
