// The CUDA executor over the CPU emulation of the CUDA kernels (ops/cuda/cuda_emulated.cc):
// always built, so that CI runs the CUDA backend's code path without a GPU.
#define FMN_CUDA_NS cuda_emu
#include "executors/cuda_executor_impl.h"

namespace fmn {

std::unique_ptr<CudaModelExecutor> create_emulated_cuda_executor(const ModelDef& model,
                                                        const CudaExecutorOptions& options) {
  return std::unique_ptr<CudaModelExecutor>(new cuda_emu::CudaExecutor(model, options, "cuda-emulation (CPU)"));
}

}  // namespace fmn
