// What the CUDA kernels (ops/cuda/*.cu) are written against, so that the very same kernel code
// runs twice: compiled by nvcc for the GPU (namespace fmn::cuda), and compiled by the host C++
// compiler as an emulation of its grid (namespace fmn::cuda_emu, cuda_emulated.cc), which is
// how CI checks every kernel against the reference kernels without a GPU.
//
// A kernel is an FMN_GLOBAL function using threadIdx / blockIdx / blockDim / gridDim,
// FMN_SHARED arrays (static size), __syncthreads() and fmn_shfl_down / fmn_shfl_xor (full
// warps of 32). Launchers (host code in the same .cu) start it with
//   FMN_LAUNCH(kernel, grid, block, stream)(args...)        no block-level synchronisation
//   FMN_LAUNCH_SYNC(kernel, grid, block, stream)(args...)   uses __syncthreads / shuffles
// Both are kernel<<<grid, block, 0, stream>>> under nvcc. The emulation runs the grid's blocks
// one after another; an FMN_LAUNCH block runs its threads one after another in a scrambled
// order (a kernel that depends on thread order fails its tests), an FMN_LAUNCH_SYNC block
// runs each thread as a fiber that yields at every barrier, so __syncthreads and warp
// shuffles have their CUDA meaning. __syncthreads under FMN_LAUNCH throws (a launch that needs
// FMN_LAUNCH_SYNC), as does a barrier that not every live thread of the block (or warp)
// reaches. FMN_SHARED is per block: the emulation runs one block at a time per host thread,
// and the array is thread_local.
//
// Streams: kernels take a StreamHandle (a cudaStream_t under nvcc, an emulated stream that
// may be recording a graph in the emulation; see cuda_device.h).
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)

#include <cuda_runtime.h>

#define FMN_GLOBAL __global__
#define FMN_DEVICE __device__ __forceinline__
#define FMN_SHARED __shared__
#define FMN_LAUNCH(kernel, grid, block, stream) \
  kernel<<<(grid), (block), 0, static_cast<cudaStream_t>(stream)>>>
#define FMN_LAUNCH_SYNC FMN_LAUNCH

namespace fmn {
namespace FMN_CUDA_NS {
FMN_DEVICE float fmn_shfl_down(float v, int delta) { return __shfl_down_sync(0xffffffffu, v, delta); }
FMN_DEVICE float fmn_shfl_xor(float v, int mask) { return __shfl_xor_sync(0xffffffffu, v, mask); }
// Double arithmetic rounded as written (never contracted into a fused multiply-add), and
// round-half-to-even to int: for kernels that must match the CPU bit for bit.
FMN_DEVICE double fmn_dmul(double a, double b) { return __dmul_rn(a, b); }
FMN_DEVICE double fmn_dadd(double a, double b) { return __dadd_rn(a, b); }
FMN_DEVICE int fmn_round_even(double v) { return __double2int_rn(v); }
}  // namespace FMN_CUDA_NS
}  // namespace fmn

#else  // the host emulation

#include <functional>

#define FMN_GLOBAL
#define FMN_DEVICE inline
#define FMN_SHARED static thread_local

namespace fmn {
namespace cuda_emu {

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;

// The emulated thread's coordinates (valid while a kernel body runs).
struct ThreadCoords {
  dim3 thread_idx, block_idx, block_dim, grid_dim;
};
const ThreadCoords& current_thread();

// Runs `body` over the grid (see the file comment); `cooperative` for FMN_LAUNCH_SYNC.
// `stream` is the StreamHandle the launcher got; a stream recording a graph records instead.
void launch(void* stream, dim3 grid, dim3 block, bool cooperative, std::function<void()> body);

void syncthreads();
float shfl(float v, int lane_or_delta, int mode);  // mode 0: down, 1: xor

// Binds a kernel and its arguments for launch(): FMN_LAUNCH(k, g, b, s)(args...).
template <typename... Params>
struct Launcher {
  void (*kernel)(Params...);
  void* stream;
  dim3 grid, block;
  bool cooperative;
  template <typename... Args>
  void operator()(Args... args) const {
    auto* k = kernel;
    launch(stream, grid, block, cooperative, [=]() { k(args...); });
  }
};
template <typename... Params>
Launcher<Params...> make_launcher(void (*kernel)(Params...), dim3 grid, dim3 block, void* stream,
                                  bool cooperative) {
  return Launcher<Params...>{kernel, stream, grid, block, cooperative};
}

inline double fmn_dmul(double a, double b) { return a * b; }
inline double fmn_dadd(double a, double b) { return a + b; }
inline int fmn_round_even(double v) { return static_cast<int>(std::nearbyint(v)); }
inline float fmn_shfl_down(float v, int delta) { return shfl(v, delta, 0); }
inline float fmn_shfl_xor(float v, int mask) { return shfl(v, mask, 1); }
inline float rsqrtf(float v) { return 1.0f / std::sqrt(v); }
inline float __expf(float v) { return std::exp(v); }
inline float fmaf(float a, float b, float c) { return std::fma(a, b, c); }
using std::ceil;
using std::cos;
using std::exp;
using std::floor;
using std::fmax;
using std::fmin;
using std::sin;
using std::sqrt;
inline float fmaxf(float a, float b) { return std::fmax(a, b); }
inline float fminf(float a, float b) { return std::fmin(a, b); }
inline float atan2f(float y, float x) { return std::atan2(y, x); }
inline float cosf(float v) { return std::cos(v); }
inline float sinf(float v) { return std::sin(v); }
inline float floorf(float v) { return std::floor(v); }
inline float sqrtf(float v) { return std::sqrt(v); }
inline float expf(float v) { return std::exp(v); }

}  // namespace cuda_emu
}  // namespace fmn

#define threadIdx (::fmn::cuda_emu::current_thread().thread_idx)
#define blockIdx (::fmn::cuda_emu::current_thread().block_idx)
#define blockDim (::fmn::cuda_emu::current_thread().block_dim)
#define gridDim (::fmn::cuda_emu::current_thread().grid_dim)
#define __syncthreads() ::fmn::cuda_emu::syncthreads()
#define FMN_LAUNCH(kernel, grid, block, stream) \
  ::fmn::cuda_emu::make_launcher(kernel, (grid), (block), (stream), false)
#define FMN_LAUNCH_SYNC(kernel, grid, block, stream) \
  ::fmn::cuda_emu::make_launcher(kernel, (grid), (block), (stream), true)

#endif
