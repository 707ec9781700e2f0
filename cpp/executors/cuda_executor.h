// The CUDA executor: a model's whole graph on an NVIDIA GPU (ops/cuda/), or on the CPU through
// the emulation of the same kernels (ops/cuda/cuda_emulated.cc), which is how CI tests it.
//
// At load: the shared GraphPlan (the CPU's folding and conv epilogue fusion), every node's
// reference kernel prepared once to validate it, one CUDA kernel per node with its parameters
// and tables, constants uploaded once (CONV_2D filters repacked), activations planned by
// liveness into one device block per batch capacity, pinned host staging, one stream, and the
// batch-1 launch sequence captured as a CUDA graph. Per run: inputs into the pinned staging, one
// graph launch (upload, every kernel, download; a graph per batch size, captured on its first
// use and kept), one synchronisation. Batches run as one launch per op over all samples.
//
// Throws ModelError for a model or an op it cannot run (naming it), CudaError for the device.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "ops/cuda/cuda_error.h"
#include "runtime/executor.h"

namespace fmn {

struct CudaExecutorOptions {
  int device = 0;          // "cuda:N"
  bool emulated = false;   // the CPU emulation of the kernels instead of a GPU
  int max_graphs = 16;     // captured graphs kept (one per batch size, least recently used out)
  bool fuse = true;        // false: no conv epilogue fusion (every node runs on its own; tests)
};

class CudaModelExecutor : public Executor {
 public:
  // Runs `batch` samples of a one-input model whose input already lies on this executor's
  // device (written and finished before the call: e.g. a CudaCropper's output, ops/cuda/
  // cuda_image.h): batch * inputs()[0].num_elements() floats at device_input. Outputs come
  // back to host memory as from run().
  virtual void run_from_device(int batch, const float* device_input, float* const* outputs) = 0;
};

std::unique_ptr<CudaModelExecutor> create_cuda_executor(const ModelDef& model,
                                                        const CudaExecutorOptions& options);

// What doctor reports about the CUDA backend.
struct CudaDeviceSummary {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  size_t total_memory = 0;
  int multiprocessors = 0;
};
struct CudaStatus {
  bool built = false;             // compiled with nvcc (FMN_CUDA)
  std::string architectures;      // e.g. "75;80;86;89;90;100;120 + PTX 120"
  std::string nvcc_version;       // the toolkit it was built with
  int runtime_version = 0;        // e.g. 13000
  int driver_version = 0;         // 0: no driver
  std::vector<CudaDeviceSummary> devices;
  std::string why_unusable;       // empty when a device is usable
};
CudaStatus cuda_status();

}  // namespace fmn
