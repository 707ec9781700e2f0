// MEAN and SUM: one block per output element. Each thread sums a strided share of the reduced
// elements, then the block combines: warp shuffles within each warp, shared memory across
// warps, a last warp-level pass (the classic two-level tree reduction).
#include "ops/cuda/cuda_common.cuh"

namespace fmn {
namespace FMN_CUDA_NS {

constexpr int kReduceThreads = 128;  // a multiple of 32, at most 32 warps
constexpr int kWarp = 32;

FMN_DEVICE float warp_sum(float v) {
  for (int d = kWarp / 2; d > 0; d /= 2) v += fmn_shfl_down(v, d);
  return v;
}

FMN_GLOBAL void reduce_kernel(ReduceArgs a) {
  FMN_SHARED float partial[kReduceThreads / kWarp];
  const int64_t o = blockIdx.x;  // sample * out_sample + output element
  const int64_t sample = o / a.out_sample;
  const float* src = a.in + sample * a.in_sample + a.base[o - sample * a.out_sample];
  float sum = 0.0f;
  for (int r = threadIdx.x; r < a.reduced; r += blockDim.x) sum += src[a.rel[r]];
  sum = warp_sum(sum);
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  if (lane == 0) partial[warp] = sum;
  __syncthreads();
  if (warp == 0) {
    const int warps = blockDim.x / kWarp;
    sum = lane < warps ? partial[lane] : 0.0f;
    sum = warp_sum(sum);
    if (lane == 0) a.out[o] = sum * a.scale;
  }
}

void reduce(const ReduceArgs& a, Stream s) {
  const int64_t blocks = static_cast<int64_t>(a.batch) * a.out_sample;
  if (blocks == 0) return;
  FMN_LAUNCH_SYNC(reduce_kernel, static_cast<unsigned>(blocks), kReduceThreads, s)(a);
}

}  // namespace FMN_CUDA_NS
}  // namespace fmn
