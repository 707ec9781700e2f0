// The CUDA emulation itself (ops/cuda/cuda_emulated.cc), on kernels written here against
// cuda_compat.h: that grids, blocks and threads are each visited once, that __syncthreads and
// warp shuffles have their CUDA meaning, that what CUDA would reject or leave undefined
// (a barrier some threads skip, __syncthreads without FMN_LAUNCH_SYNC, a bad launch
// configuration) is an error here, and that graph capture records and replays.
#define FMN_TEST_MAIN
#include "testing.h"

#define FMN_CUDA_NS cuda_emu
#include "ops/cuda/cuda_compat.h"
#include "ops/cuda/cuda_device.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace fmn {
namespace cuda_emu {

FMN_GLOBAL void visit_kernel(int* hits, int* order, int* counter) {
  const int block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  const int thread = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  const int threads = blockDim.x * blockDim.y * blockDim.z;
  hits[block * threads + thread] += 1;
  if (block == 0) order[(*counter)++] = thread;
}

// The classic shared-memory tree: needs a barrier between every level.
FMN_GLOBAL void block_sum_kernel(const float* in, float* out) {
  FMN_SHARED float s[256];
  const int t = threadIdx.x;
  s[t] = in[blockIdx.x * blockDim.x + t];
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (t < half) s[t] += s[t + half];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}

FMN_GLOBAL void shuffle_kernel(const float* in, float* down, float* butterfly) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  float v = in[t];
  for (int d = 16; d > 0; d /= 2) v += fmn_shfl_down(v, d);
  down[t] = v;
  float w = in[t];
  for (int m = 16; m > 0; m /= 2) w += fmn_shfl_xor(w, m);
  butterfly[t] = w;
}

FMN_GLOBAL void divergent_kernel(float* out) {
  if (threadIdx.x < 16) __syncthreads();
  out[threadIdx.x] = 1.0f;
}

FMN_GLOBAL void plain_sync_kernel(float* out) {
  __syncthreads();
  out[threadIdx.x] = 1.0f;
}

FMN_GLOBAL void add_one_kernel(float* x) { x[threadIdx.x] += 1.0f; }

}  // namespace cuda_emu
}  // namespace fmn

using namespace fmn;
using namespace fmn::cuda_emu;

namespace {

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const CudaError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(cuda_emulation_visits_every_thread_once_in_scrambled_order) {
  const dim3 grid(3, 2, 2), block(8, 4, 2);
  std::vector<int> hits(12 * 64, 0), order(64, -1);
  int counter = 0;
  FMN_LAUNCH(visit_kernel, grid, block, nullptr)(hits.data(), order.data(), &counter);
  CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> iota(64);
  std::iota(iota.begin(), iota.end(), 0);
  CHECK(sorted == iota);  // a permutation of the block's threads...
  CHECK(order != iota);   // ...that is not thread order
}

TEST(cuda_emulation_syncthreads_is_a_block_barrier) {
  for (int threads : {32, 64, 256}) {
    const int blocks = 3;
    std::vector<float> in(static_cast<size_t>(threads * blocks)), out(blocks, 0.f);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i % 7) - 2.5f;
    FMN_LAUNCH_SYNC(block_sum_kernel, blocks, threads, nullptr)(in.data(), out.data());
    for (int b = 0; b < blocks; ++b) {
      float want = 0;
      for (int t = 0; t < threads; ++t) want += in[static_cast<size_t>(b * threads + t)];
      CHECK_NEAR(out[static_cast<size_t>(b)], want, 1e-4);
    }
  }
}

TEST(cuda_emulation_warp_shuffles) {
  const int threads = 64, blocks = 2, n = threads * blocks;
  std::vector<float> in(static_cast<size_t>(n)), down(static_cast<size_t>(n)), fly(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) in[static_cast<size_t>(i)] = static_cast<float>(i % 5 + 1);
  FMN_LAUNCH_SYNC(shuffle_kernel, blocks, threads, nullptr)(in.data(), down.data(), fly.data());
  for (int w = 0; w < n / 32; ++w) {
    float sum = 0;
    for (int l = 0; l < 32; ++l) sum += in[static_cast<size_t>(w * 32 + l)];
    CHECK_NEAR(down[static_cast<size_t>(w * 32)], sum, 1e-4);  // lane 0 holds the warp's sum
    for (int l = 0; l < 32; ++l) CHECK_NEAR(fly[static_cast<size_t>(w * 32 + l)], sum, 1e-4);
  }
  // A block of 48 threads: its second warp has 16 lanes, and reading a missing lane is
  // undefined in CUDA, so an error here.
  const std::string partial = [&] {
    try {
      FMN_LAUNCH_SYNC(shuffle_kernel, 1, 48, nullptr)(in.data(), down.data(), fly.data());
    } catch (const CudaError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  CHECK(partial.find("partial warp") != std::string::npos);
}

TEST(cuda_emulation_rejects_what_cuda_would) {
  std::vector<float> out(64, 0.f);
  const std::string divergent =
      error_of([&] { FMN_LAUNCH_SYNC(divergent_kernel, 1, 32, nullptr)(out.data()); });
  CHECK(divergent.find("divergent barrier") != std::string::npos);
  const std::string plain = error_of([&] { FMN_LAUNCH(plain_sync_kernel, 1, 32, nullptr)(out.data()); });
  CHECK(plain.find("FMN_LAUNCH_SYNC") != std::string::npos);
  CHECK(error_of([&] { FMN_LAUNCH(add_one_kernel, 1, 2048, nullptr)(out.data()); }).find("invalid launch") !=
        std::string::npos);
  CHECK(error_of([&] { FMN_LAUNCH(add_one_kernel, 0, 32, nullptr)(out.data()); }).find("invalid launch") !=
        std::string::npos);
  CHECK(error_of([&] { (void)threadIdx.x; }).find("outside a kernel") != std::string::npos);
  // After an error the emulation is usable again.
  std::vector<float> ones(32, 1.f), sum(1, 0.f);
  FMN_LAUNCH_SYNC(block_sum_kernel, 1, 32, nullptr)(ones.data(), sum.data());
  CHECK_NEAR(sum[0], 32.0, 0.0);
}

TEST(cuda_emulation_memory_and_graphs) {
  float* d = static_cast<float*>(device_alloc(32 * sizeof(float)));
  CHECK(std::isnan(d[0]) && std::isnan(d[31]));  // unwritten device memory reads as NaN
  StreamHandle s = stream_create();
  std::vector<float> zeros(32, 0.f), back(32, -1.f);
  copy_to_device(d, zeros.data(), 32 * sizeof(float), s);
  begin_capture(s);
  FMN_LAUNCH(add_one_kernel, 1, 32, s)(d);
  copy_to_host(back.data(), d, 32 * sizeof(float), s);
  GraphHandle g = end_capture(s);
  CHECK(back[0] == -1.f);  // captured, not run
  graph_launch(g, s);
  stream_sync(s);
  CHECK(back[0] == 1.f && back[31] == 1.f);
  graph_launch(g, s);
  stream_sync(s);
  CHECK(back[5] == 2.f);
  graph_destroy(g);
  stream_destroy(s);
  device_free(d);
}
