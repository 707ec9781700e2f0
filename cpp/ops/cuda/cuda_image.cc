// cuda_image.h's factories: the GPU in builds with CUDA (FMN_HAVE_CUDA), the emulation on
// request, a clear CudaError in builds without CUDA.
#include "ops/cuda/cuda_image.h"

#include <string>
#include <utility>

#if FMN_HAVE_CUDA
#define FMN_CUDA_NS cuda
#include "ops/cuda/cuda_image_impl.h"
#endif

namespace fmn {

std::shared_ptr<CudaFrameCache> create_emulated_cuda_frame_cache();
std::unique_ptr<CudaCropper> create_emulated_cuda_cropper(std::shared_ptr<CudaFrameCache> frames,
                                                          int out_w, int out_h, Border border,
                                                          float scale, float offset, int max_batch);

std::shared_ptr<CudaFrameCache> create_cuda_frame_cache(int device, bool emulated) {
  if (emulated) return create_emulated_cuda_frame_cache();
#if FMN_HAVE_CUDA
  std::string why;
  if (cuda::device_count(&why) <= device) throw CudaError("no usable CUDA device " + std::to_string(device) + ": " + why);
  return std::make_shared<cuda::FrameCache>(device);
#else
  (void)device;
  throw CudaError("this build of facemesh_native has no CUDA backend (built without nvcc)");
#endif
}

std::unique_ptr<CudaCropper> create_cuda_cropper(std::shared_ptr<CudaFrameCache> frames, int out_w,
                                                 int out_h, Border border, float scale, float offset,
                                                 int max_batch) {
#if FMN_HAVE_CUDA
  if (dynamic_cast<cuda::FrameCache*>(frames.get()) != nullptr)
    return std::unique_ptr<CudaCropper>(
        new cuda::Cropper(std::move(frames), out_w, out_h, border, scale, offset, max_batch));
#endif
  return create_emulated_cuda_cropper(std::move(frames), out_w, out_h, border, scale, offset, max_batch);
}

}  // namespace fmn
