// Shared by every ops/cuda/*.cu: the compatibility layer, the launchers' declarations and the
// grid helpers. Each .cu is compiled by nvcc on its own and, for the emulation, included into
// one host translation unit (cuda_emulated.cc), so names in a .cu must be unique across them.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ops/cuda/cuda_compat.h"
#include "ops/cuda/cuda_kernels.h"

namespace fmn {
namespace FMN_CUDA_NS {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over `count` items: enough to fill any GPU, capped so that the
// grid stays within gridDim.x's limit and each thread does a few items when count is huge.
inline unsigned grid_blocks(int64_t count, int threads = kThreads) {
  const int64_t b = (count + threads - 1) / threads;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(b, int64_t{1} << 16)));
}

FMN_DEVICE float clamp_to(float v, float lo, float hi) { return fminf(fmaxf(v, lo), hi); }

}  // namespace FMN_CUDA_NS
}  // namespace fmn

// for (int64_t i = first item of this thread; i < count; i += threads of the grid)
#define FMN_GRID_LOOP(i, count)                                                       \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (count); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
