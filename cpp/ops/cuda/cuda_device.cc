// The device API (cuda_device.h) on the CUDA runtime, in builds with CUDA (FMN_HAVE_CUDA). The
// runtime is linked statically (cudart_static) and loads the driver (libcuda.so.1) itself on
// first use, so the package imports everywhere; without a driver device_count says why.
#if FMN_HAVE_CUDA
#define FMN_CUDA_NS cuda
#include "ops/cuda/cuda_device.h"

#include <cuda_runtime.h>

#include <string>

namespace fmn {
namespace cuda {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear a sticky-free error so that later calls can go on
    throw CudaError(std::string("cuda: ") + what + ": " + cudaGetErrorName(e) + " (" +
                    cudaGetErrorString(e) + ")");
  }
}

cudaStream_t st(StreamHandle s) { return static_cast<cudaStream_t>(s); }

}  // namespace

int device_count(std::string* why_none) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (why_none) {
      int driver = 0;
      cudaDriverGetVersion(&driver);
      *why_none = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e) +
                  (driver == 0 ? " (no NVIDIA driver: libcuda.so.1 was not found or not loaded)" : "");
    }
    return 0;
  }
  if (n == 0 && why_none) *why_none = "the NVIDIA driver reports no CUDA device";
  return n;
}

DeviceInfo device_info(int device) {
  cudaDeviceProp p;
  check(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
  DeviceInfo d;
  d.index = device;
  d.name = p.name;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.total_memory = p.totalGlobalMem;
  d.multiprocessors = p.multiProcessorCount;
  cudaDriverGetVersion(&d.driver_version);
  cudaRuntimeGetVersion(&d.runtime_version);
  return d;
}

void set_device(int device) { check(cudaSetDevice(device), "cudaSetDevice"); }

void* device_alloc(size_t bytes) {
  void* p = nullptr;
  check(cudaMalloc(&p, bytes == 0 ? 1 : bytes), ("cudaMalloc of " + std::to_string(bytes) + " bytes").c_str());
  return p;
}
void device_free(void* p) {
  if (p) cudaFree(p);
}
void* pinned_alloc(size_t bytes) {
  void* p = nullptr;
  check(cudaMallocHost(&p, bytes == 0 ? 1 : bytes), ("cudaMallocHost of " + std::to_string(bytes) + " bytes").c_str());
  return p;
}
void pinned_free(void* p) {
  if (p) cudaFreeHost(p);
}

StreamHandle stream_create() {
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
  return s;
}
void stream_destroy(StreamHandle s) {
  if (s) cudaStreamDestroy(st(s));
}
void stream_sync(StreamHandle s) { check(cudaStreamSynchronize(st(s)), "cudaStreamSynchronize"); }

void copy_to_device(void* dst, const void* src, size_t bytes, StreamHandle s) {
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, st(s)), "cudaMemcpyAsync (to the device)");
}
void copy_to_host(void* dst, const void* src, size_t bytes, StreamHandle s) {
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, st(s)), "cudaMemcpyAsync (to the host)");
}
void copy_on_device(void* dst, const void* src, size_t bytes, StreamHandle s) {
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, st(s)), "cudaMemcpyAsync (on the device)");
}
void check_launch(const char* what) { check(cudaGetLastError(), what); }

void begin_capture(StreamHandle s) {
  check(cudaStreamBeginCapture(st(s), cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
}
GraphHandle end_capture(StreamHandle s) {
  cudaGraph_t graph = nullptr;
  check(cudaStreamEndCapture(st(s), &graph), "cudaStreamEndCapture");
  cudaGraphExec_t exec = nullptr;
  const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  check(e, "cudaGraphInstantiate");
  return exec;
}
void graph_launch(GraphHandle g, StreamHandle s) {
  check(cudaGraphLaunch(static_cast<cudaGraphExec_t>(g), st(s)), "cudaGraphLaunch");
}
void graph_destroy(GraphHandle g) {
  if (g) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(g));
}

}  // namespace cuda
}  // namespace fmn
#endif  // FMN_HAVE_CUDA
