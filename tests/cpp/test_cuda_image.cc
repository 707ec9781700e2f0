// The CUDA crop (ops/cuda/image.cu through CudaCropper, on the CPU emulation of its kernel)
// against util/image_to_tensor.h's crop_to_tensor: bit for bit, on random rotated rects inside,
// across and outside the frame, both borders, RGB and RGBA, padded and bottom-up row strides,
// batches, and frames reused across crops (the frame cache).
#define FMN_TEST_MAIN
#include "testing.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ops/cuda/cuda_image.h"
#include "util/image_to_tensor.h"

using namespace fmn;

namespace {

bool on_gpu() {
  const char* v = std::getenv("FMN_TEST_CUDA");
  return v != nullptr && std::string(v) == "gpu";
}

}  // namespace

TEST(cuda_crop_matches_the_cpu_bit_for_bit) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::shared_ptr<CudaFrameCache> frames = create_cuda_frame_cache(0, !on_gpu());
  int mismatches = 0, checked = 0;
  for (int it = 0; it < 24; ++it) {
    const int fw = 17 + static_cast<int>(rng() % 90), fh = 13 + static_cast<int>(rng() % 70);
    const int channels = it % 3 == 2 ? 4 : 3;
    const int pad = it % 4 == 1 ? 5 : 0;
    const bool bottom_up = it % 5 == 3;
    const int row = fw * channels + pad;
    std::vector<uint8_t> pixels(static_cast<size_t>(row) * fh);
    for (uint8_t& p : pixels) p = static_cast<uint8_t>(rng() & 255);
    ImageView img;
    img.width = fw;
    img.height = fh;
    img.channels = channels;
    img.row_stride_bytes = bottom_up ? -row : row;
    img.data = bottom_up ? pixels.data() + static_cast<size_t>(row) * (fh - 1) : pixels.data();
    const int ow = std::vector<int>{1, 7, 64, 128, 192}[rng() % 5], oh = std::vector<int>{1, 5, 64, 128}[rng() % 4];
    const Border border = it % 2 ? Border::kZero : Border::kReplicate;
    const float scale = it % 2 ? 2.f / 255.f : 1.f / 255.f, offset = it % 2 ? -1.f : 0.f;
    const int batch = 1 + it % 3;
    std::vector<RotatedRectPx> rects;
    for (int b = 0; b < batch; ++b) {
      RotatedRectPx r;
      r.cx = (u(rng) * 1.6f - 0.3f) * fw;
      r.cy = (u(rng) * 1.6f - 0.3f) * fh;
      r.w = (0.1f + u(rng)) * fw;
      r.h = (0.1f + u(rng)) * fh;
      r.rotation_rad = it % 4 == 0 ? 0.f : (u(rng) * 2.f - 1.f) * 3.2f;
      rects.push_back(r);
    }
    std::unique_ptr<CudaCropper> cropper = create_cuda_cropper(frames, ow, oh, border, scale, offset, 2);
    // Two crops of one frame (index it + 1): the second reuses the uploaded frame.
    for (int pass = 0; pass < 2; ++pass) {
      const float* dev = cropper->crop(img, it + 1, rects.data(), batch);
      const size_t n = static_cast<size_t>(batch) * ow * oh * 3;
      std::vector<float> got(n);
      if (on_gpu()) {
        // A GPU build's device memory is not host-readable here: compared through run_from_device
        // in the pipeline tests instead; only check the call succeeds.
        (void)dev;
        continue;
      }
      std::memcpy(got.data(), dev, n * sizeof(float));
      std::vector<float> want(static_cast<size_t>(ow) * oh * 3);
      for (int b = 0; b < batch; ++b) {
        crop_to_tensor(img, rects[static_cast<size_t>(b)], ow, oh, border, scale, offset, want.data());
        for (size_t i = 0; i < want.size(); ++i) {
          ++checked;
          const float g = got[static_cast<size_t>(b) * want.size() + i];
          if (std::memcmp(&g, &want[i], sizeof(float)) != 0 && mismatches++ < 5)
            std::fprintf(stderr, "  case %d crop %d value %zu: cuda %.9g cpu %.9g\n", it, b, i, g, want[i]);
        }
      }
    }
  }
  std::printf("%d values compared, %d differ\n", checked, mismatches);
  CHECK(mismatches == 0);
  CHECK(on_gpu() || checked > 100000);
}

TEST(cuda_crop_rejects_bad_arguments) {
  std::shared_ptr<CudaFrameCache> frames = create_cuda_frame_cache(0, !on_gpu());
  CHECK_THROWS(create_cuda_cropper(frames, 0, 10, Border::kZero, 1.f, 0.f, 1), std::invalid_argument);
  std::unique_ptr<CudaCropper> c = create_cuda_cropper(frames, 8, 8, Border::kZero, 1.f, 0.f, 1);
  ImageView empty;
  RotatedRectPx r{4, 4, 8, 8, 0};
  CHECK_THROWS(c->crop(empty, 0, &r, 1), std::invalid_argument);
}
