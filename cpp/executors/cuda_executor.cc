// create_cuda_executor and cuda_status: the GPU executor in builds with CUDA (FMN_HAVE_CUDA,
// the kernels compiled by nvcc into namespace fmn::cuda), the emulation on request, and a
// clear error in builds without CUDA.
#include "executors/cuda_executor.h"

#include <string>

#if FMN_HAVE_CUDA
#define FMN_CUDA_NS cuda
#include "executors/cuda_executor_impl.h"
#endif

namespace fmn {

std::unique_ptr<CudaModelExecutor> create_emulated_cuda_executor(const ModelDef& model,
                                                        const CudaExecutorOptions& options);

#if FMN_HAVE_CUDA

std::unique_ptr<CudaModelExecutor> create_cuda_executor(const ModelDef& model, const CudaExecutorOptions& options) {
  if (options.emulated) return create_emulated_cuda_executor(model, options);
  std::string why;
  const int count = cuda::device_count(&why);
  if (count == 0) throw CudaError("no usable CUDA device: " + why);
  if (options.device < 0 || options.device >= count)
    throw CudaError("no CUDA device " + std::to_string(options.device) + " (this machine has " +
                    std::to_string(count) + ")");
  const cuda::DeviceInfo d = cuda::device_info(options.device);
  return std::unique_ptr<CudaModelExecutor>(new cuda::CudaExecutor(
      model, options, "cuda:" + std::to_string(options.device) + " (" + d.name + ")"));
}

CudaStatus cuda_status() {
  CudaStatus s;
  s.built = true;
  s.architectures = FMN_CUDA_ARCHS;
  s.nvcc_version = FMN_CUDA_NVCC_VERSION;
  std::string why;
  int count = 0;
  try {
    count = cuda::device_count(&why);
    if (count > 0) {
      const cuda::DeviceInfo first = cuda::device_info(0);
      s.runtime_version = first.runtime_version;
      s.driver_version = first.driver_version;
    }
    for (int i = 0; i < count; ++i) {
      const cuda::DeviceInfo d = cuda::device_info(i);
      CudaDeviceSummary c;
      c.index = i;
      c.name = d.name;
      c.cc_major = d.cc_major;
      c.cc_minor = d.cc_minor;
      c.total_memory = d.total_memory;
      c.multiprocessors = d.multiprocessors;
      s.devices.push_back(c);
    }
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (s.devices.empty()) s.why_unusable = why.empty() ? "no CUDA device" : why;
  return s;
}

#else

std::unique_ptr<CudaModelExecutor> create_cuda_executor(const ModelDef& model, const CudaExecutorOptions& options) {
  if (options.emulated) return create_emulated_cuda_executor(model, options);
  throw CudaError(
      "this build of facemesh_native has no CUDA backend (it was built without nvcc; install the "
      "CUDA toolkit and rebuild with `pip install .`, or set CMAKE_ARGS=-DFMN_CUDA=ON to require it)");
}

CudaStatus cuda_status() {
  CudaStatus s;
  s.built = false;
  s.why_unusable = "built without CUDA (nvcc was not found when the package was built)";
  return s;
}

#endif

}  // namespace fmn
