// Frames and crops on a CUDA device for the graph's ImageToTensor nodes on device "cuda": the
// caller's frame is uploaded once per graph frame (CudaFrameCache, shared by the nodes of a
// graph), and each node crops its rects into a device tensor (CudaCropper) that the CUDA
// executor of the next Inference node reads in place (CudaModelExecutor::run_from_device).
// The crops equal util/image_to_tensor.h's crop_to_tensor bit for bit.
//
// Both exist for the GPU (builds with CUDA) and for the CPU emulation of the kernels; a
// cropper and its frame cache, and the executor reading its output, must agree on which.
#pragma once

#include <cstdint>
#include <memory>

#include "ops/cuda/cuda_error.h"
#include "util/image_to_tensor.h"

namespace fmn {

class CudaFrameCache {
 public:
  virtual ~CudaFrameCache() = default;
};

class CudaCropper {
 public:
  virtual ~CudaCropper() = default;
  // Crops rects[0..batch) of `img` (uploaded on the first call with a new frame_index, or
  // on every call when frame_index is 0) into batch x out_h x out_w x 3 floats on the device,
  // finished when this returns. The pointer stays valid until the next crop().
  virtual const float* crop(const ImageView& img, int64_t frame_index, const RotatedRectPx* rects,
                            int batch) = 0;
};

// device: the CUDA device index; emulated: the CPU emulation. Throw CudaError (no device, a
// build without CUDA) or std::invalid_argument (bad sizes).
std::shared_ptr<CudaFrameCache> create_cuda_frame_cache(int device, bool emulated);
std::unique_ptr<CudaCropper> create_cuda_cropper(std::shared_ptr<CudaFrameCache> frames, int out_w,
                                                 int out_h, Border border, float scale, float offset,
                                                 int max_batch);

}  // namespace fmn
