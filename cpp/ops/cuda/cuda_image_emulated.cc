// cuda_image.h on the CPU emulation of the CUDA kernels (always built).
#define FMN_CUDA_NS cuda_emu
#include "ops/cuda/cuda_image_impl.h"

namespace fmn {

std::shared_ptr<CudaFrameCache> create_emulated_cuda_frame_cache() {
  return std::make_shared<cuda_emu::FrameCache>(0);
}

std::unique_ptr<CudaCropper> create_emulated_cuda_cropper(std::shared_ptr<CudaFrameCache> frames,
                                                          int out_w, int out_h, Border border,
                                                          float scale, float offset, int max_batch) {
  return std::unique_ptr<CudaCropper>(
      new cuda_emu::Cropper(std::move(frames), out_w, out_h, border, scale, offset, max_batch));
}

}  // namespace fmn
