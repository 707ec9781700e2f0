// The CUDA backend's error type, shared by the GPU build, the emulation and the executor.
#pragma once

#include <stdexcept>

namespace fmn {

// A CUDA runtime failure (or an emulated one): bad launch configuration, out of memory, no
// device, a failed copy, a kernel error. The message names the operation.
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace fmn
