// The body of cuda_image.h, compiled twice (cuda_image.cc: the GPU, cuda_image_emulated.cc:
// the CPU emulation); include once per translation unit after defining FMN_CUDA_NS.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ops/cuda/cuda_device.h"
#include "ops/cuda/cuda_image.h"
#include "ops/cuda/cuda_kernels.h"
#include "util/image_to_tensor.h"

namespace fmn {
namespace FMN_CUDA_NS {

class FrameCache final : public CudaFrameCache {
 public:
  explicit FrameCache(int device) : device_(device) {
    set_device(device_);
    stream_ = stream_create();
  }
  ~FrameCache() override {
    try {
      device_free(frame_);
      pinned_free(staging_);
      stream_destroy(stream_);
    } catch (...) {
    }
  }
  int device() const { return device_; }
  Stream stream() const { return stream_; }

  // The frame on the device, packed rows of width * channels bytes.
  const uint8_t* get(const ImageView& img, int64_t frame_index) {
    if (frame_index != 0 && frame_index == index_ && img.data == src_ && img.width == w_ &&
        img.height == h_ && img.channels == c_)
      return frame_;
    if (img.data == nullptr || img.width <= 0 || img.height <= 0 || (img.channels != 3 && img.channels != 4))
      throw std::invalid_argument("cuda crop: empty image or channels not 3 or 4");
    const size_t row = static_cast<size_t>(img.width) * static_cast<size_t>(img.channels);
    const size_t bytes = row * static_cast<size_t>(img.height);
    if (bytes > capacity_) {
      device_free(frame_);
      pinned_free(staging_);
      frame_ = nullptr;
      staging_ = nullptr;
      capacity_ = 0;
      frame_ = static_cast<uint8_t*>(device_alloc(bytes));
      staging_ = static_cast<uint8_t*>(pinned_alloc(bytes));
      capacity_ = bytes;
    }
    for (int y = 0; y < img.height; ++y)
      std::memcpy(staging_ + row * static_cast<size_t>(y),
                  img.data + static_cast<std::ptrdiff_t>(y) * img.row_stride_bytes, row);
    copy_to_device(frame_, staging_, bytes, stream_);
    index_ = frame_index;
    src_ = img.data;
    w_ = img.width;
    h_ = img.height;
    c_ = img.channels;
    return frame_;
  }

 private:
  int device_ = 0;
  Stream stream_ = nullptr;
  uint8_t* frame_ = nullptr;
  uint8_t* staging_ = nullptr;
  size_t capacity_ = 0;
  int64_t index_ = -1;
  const uint8_t* src_ = nullptr;
  int w_ = 0, h_ = 0, c_ = 0;
};

class Cropper final : public CudaCropper {
 public:
  Cropper(std::shared_ptr<CudaFrameCache> frames, int out_w, int out_h, Border border, float scale,
          float offset, int max_batch)
      : holder_(std::move(frames)), frames_(dynamic_cast<FrameCache*>(holder_.get())) {
    if (frames_ == nullptr) throw std::invalid_argument("cuda crop: the frame cache is of the other build");
    if (out_w <= 0 || out_h <= 0 || out_w > 4096 || out_h > 4096)
      throw std::invalid_argument("cuda crop: output size must be in 1..4096");
    set_device(frames_->device());
    args_.out_w = out_w;
    args_.out_h = out_h;
    args_.block_width = WarpBlockWidth(out_w, out_h);
    args_.zero_border = border == Border::kZero;
    args_.scale = scale;
    args_.offset = offset;
    weights_ = static_cast<int16_t*>(device_alloc(1024 * 4 * sizeof(int16_t)));
    copy_to_device(weights_, WarpBilinearWeights(), 1024 * 4 * sizeof(int16_t), frames_->stream());
    stream_sync(frames_->stream());
    args_.weights = weights_;
    reserve(std::max(1, max_batch));
  }
  ~Cropper() override {
    try {
      release();
      device_free(weights_);
    } catch (...) {
    }
  }

  const float* crop(const ImageView& img, int64_t frame_index, const RotatedRectPx* rects, int batch) override {
    if (batch < 1) throw std::invalid_argument("cuda crop: batch must be >= 1");
    set_device(frames_->device());
    reserve(batch);
    for (int b = 0; b < batch; ++b) {
      const std::array<double, 9> m = CropSamplingMatrix(rects[b], args_.out_w, args_.out_h);
      std::memcpy(matrices_host_ + 9 * b, m.data(), sizeof(m));
    }
    CropArgs a = args_;
    a.frame = frames_->get(img, frame_index);
    a.width = img.width;
    a.height = img.height;
    a.stride = img.width * img.channels;
    a.channels = img.channels;
    a.matrices = matrices_;
    a.out = out_;
    a.batch = batch;
    copy_to_device(matrices_, matrices_host_, sizeof(double) * 9 * static_cast<size_t>(batch), frames_->stream());
    crop_image(a, frames_->stream());
    check_launch("the crop kernel");
    stream_sync(frames_->stream());
    return out_;
  }

 private:
  void reserve(int batch) {
    if (batch <= capacity_) return;
    release();
    const size_t items = static_cast<size_t>(batch);
    out_ = static_cast<float*>(device_alloc(items * static_cast<size_t>(args_.out_w) * args_.out_h * 3 * sizeof(float)));
    matrices_ = static_cast<double*>(device_alloc(items * 9 * sizeof(double)));
    matrices_host_ = static_cast<double*>(pinned_alloc(items * 9 * sizeof(double)));
    capacity_ = batch;
  }
  void release() {
    device_free(out_);
    device_free(matrices_);
    pinned_free(matrices_host_);
    out_ = nullptr;
    matrices_ = nullptr;
    matrices_host_ = nullptr;
    capacity_ = 0;
  }

  std::shared_ptr<CudaFrameCache> holder_;
  FrameCache* frames_;
  CropArgs args_;
  int16_t* weights_ = nullptr;
  float* out_ = nullptr;
  double* matrices_ = nullptr;
  double* matrices_host_ = nullptr;
  int capacity_ = 0;
};

}  // namespace FMN_CUDA_NS
}  // namespace fmn
