// ImageToTensor: crops the caller's frame (read in place, never copied) into model input
// tensors, as MediaPipe's ImageToTensorCalculator does on the CPU.
//
//   IMAGE (ImageFrame)
//   ROIS (std::vector<NormalizedRect>, optional): one crop per ROI, batched; without ROIS the
//        whole image is the single ROI
//   TENSORS (TensorBatch): batch x out_h x out_w x 3 floats, values in [range_min, range_max]
//   LETTERBOX (Letterbox, optional): tensor-to-image matrix of the (first) crop, for
//        DetectionProjection
//   side MAX_BATCH (int, optional): buffer capacity decided at open
//   options { output_width output_height keep_aspect_ratio range_min range_max
//             border: ZERO|REPLICATE }
//
// On device "gl" the crop runs on services.gl_context (ops/gl/gl_image.h): the frame is
// uploaded once per graph frame into services.gl_frame_cache (shared by the ImageToTensor
// nodes of the frame when the runner numbers frames, see GraphServices::frame_index), and
// TENSORS is a GPU tensor (TensorBatch::on_gpu) for a GL Inference node; the floats equal the
// CPU crop's up to the rounding noted in gl_image.h. On device "cuda" likewise through
// services.cuda_frame_cache and a CudaCropper (ops/cuda/cuda_image.h), TENSORS a device
// tensor for a CUDA Inference node, the floats equal to the CPU crop's bit for bit. LETTERBOX
// is computed on the CPU.
#include <algorithm>
#include <memory>

#include "graph/calculator.h"
#include "runtime/thread_pool.h"
#include "ops/gl/gl_context.h"
#include "ops/cuda/cuda_image.h"
#include "ops/gl/gl_image.h"
#include "util/image_to_tensor.h"
#include "util/roi.h"

namespace fmn {
namespace {

class ImageToTensor : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    const TextMessage& o = cc.options();
    w_ = static_cast<int>(o.get_int("output_width", 0));
    h_ = static_cast<int>(o.get_int("output_height", 0));
    if (w_ <= 0 || h_ <= 0 || w_ > 4096 || h_ > 4096)
      throw GraphError(cc.node().name + ": output_width/height must be in 1..4096");
    keep_aspect_ = o.get_bool("keep_aspect_ratio", false);
    const double lo = o.get_double("range_min", 0.0), hi = o.get_double("range_max", 1.0);
    if (!(hi > lo)) throw GraphError(cc.node().name + ": range_max must exceed range_min");
    scale_ = static_cast<float>((hi - lo) / 255.0);
    offset_ = static_cast<float>(lo);
    const std::string border = o.get_string("border", "REPLICATE");
    if (border == "ZERO") border_ = Border::kZero;
    else if (border == "REPLICATE") border_ = Border::kReplicate;
    else throw GraphError(cc.node().name + ": border must be ZERO or REPLICATE");
    max_batch_ = std::max<int64_t>(1, static_cast<int64_t>(side_number(cc, "MAX_BATCH", 1)));
    with_rois_ = cc.has_input("ROIS");
    GraphServices& s = cc.services();
    if (s.device == "gl") {
      if (!s.gl_context) throw GraphError(cc.node().name + ": device 'gl' without a GL context");
      gl_ = s.gl_context;
      gl_->make_current();
      try {
        if (!s.gl_frame_cache) s.gl_frame_cache = std::make_shared<gl::GlFrameCache>(gl_);
        frames_ = s.gl_frame_cache;
        cropper_.reset(new gl::GlImageCropper(gl_.get(), w_, h_, border_, scale_, offset_,
                                              static_cast<int>(std::min<int64_t>(max_batch_, 65535))));
      } catch (...) {
        gl_->release_current();
        throw;
      }
      gl_->release_current();
      s.report["image_to_tensor." + std::to_string(w_) + "x" + std::to_string(h_)] =
          "gl (" + gl_->info().gl_renderer + ")";
    } else if (s.device == "cuda") {
      if (!s.cuda_frame_cache) s.cuda_frame_cache = create_cuda_frame_cache(s.cuda_device, s.cuda_emulated);
      cuda_cropper_ = create_cuda_cropper(s.cuda_frame_cache, w_, h_, border_, scale_, offset_,
                                          static_cast<int>(std::min<int64_t>(max_batch_, 65535)));
      s.report["image_to_tensor." + std::to_string(w_) + "x" + std::to_string(h_)] =
          s.cuda_emulated ? "cuda-emulation (CPU)" : "cuda:" + std::to_string(s.cuda_device);
    }
  }

  ~ImageToTensor() override {
    if (cropper_) {
      try {
        gl_->make_current();
        cropper_.reset();
        gl_->release_current();
      } catch (...) {
        // The context could not be made current: its objects go with the context.
      }
    }
  }

  void process(CalculatorContext& cc) override {
    if (!cc.input_present("IMAGE")) return;
    if (with_rois_ && !cc.input_present("ROIS")) return;
    const ImageFrame& img = cc.input_as<ImageFrame>("IMAGE");
    const std::vector<NormalizedRect>* rois =
        with_rois_ ? &cc.input_as<std::vector<NormalizedRect>>("ROIS") : nullptr;
    const int batch = rois ? static_cast<int>(rois->size()) : 1;
    if (batch == 0) return;
    TensorBatch& out = cc.output<TensorBatch>("TENSORS");
    const int64_t item = static_cast<int64_t>(w_) * h_ * 3;
    out.batch = batch;
    out.tensors.resize(1);
    out.per_item.assign(1, item);
    compute_rects(cc, img, rois, batch);
    const ImageView view = image_view(img);
    if (cropper_) {
      process_gl(cc, view, batch, &out);
      return;
    }
    if (cuda_cropper_) {
      out.on_gpu = true;
      out.cuda_data = cuda_cropper_->crop(view, cc.services().frame_index, rects_.data(), batch);
      return;
    }
    out.on_gpu = false;
    const int64_t capacity = std::max<int64_t>(batch, max_batch_) * item;
    if (static_cast<int64_t>(out.tensors[0].size()) < capacity) out.tensors[0].resize(static_cast<size_t>(capacity));
    // Work items are output rows of all crops; rows are independent (crop_to_tensor_rows).
    float* dst = out.tensors[0].data();
    auto crop = [&](int64_t begin, int64_t end, int) {
      while (begin < end) {
        const int64_t b = begin / h_;
        const int64_t row_end = std::min<int64_t>(end, (b + 1) * h_);
        crop_to_tensor_rows(view, rects_[b], w_, h_, border_, scale_, offset_, dst + b * item,
                            static_cast<int>(begin - b * h_), static_cast<int>(row_end - b * h_));
        begin = row_end;
      }
    };
    ThreadPool* pool = cc.services().pool.get();
    const int64_t rows = static_cast<int64_t>(batch) * h_;
    if (pool) pool->parallel_for(rows, crop, /*grain=*/16);
    else crop(0, rows, 0);
  }

 private:
  // The crop rects in image pixels (rects_), and the letterbox matrix of the first one.
  void compute_rects(CalculatorContext& cc, const ImageFrame& img,
                     const std::vector<NormalizedRect>* rois, int batch) {
    rects_.resize(static_cast<size_t>(batch));
    for (int b = 0; b < batch; ++b) {
      RotatedRect roi = ImageRoiPixels(img.width, img.height, rois ? &(*rois)[b] : nullptr);
      if (keep_aspect_) PadRoi(w_, h_, true, &roi);
      if (b == 0 && cc.has_output("LETTERBOX"))
        cc.output<Letterbox>("LETTERBOX").tensor_to_image = RoiToImageMatrix(roi, img.width, img.height);
      rects_[b] = RotatedRectPx{roi.center_x, roi.center_y, roi.width, roi.height, roi.rotation};
    }
  }

  static ImageView image_view(const ImageFrame& img) {
    ImageView view;
    view.data = img.data;
    view.width = img.width;
    view.height = img.height;
    view.row_stride_bytes = static_cast<int>(img.row_stride);
    view.channels = img.pixel_stride;
    return view;
  }

  // The GL path of process(): rects on the CPU, frame upload (shared) and crop on the GPU.
  void process_gl(CalculatorContext& cc, const ImageView& view, int batch, TensorBatch* out) {
    gl_->make_current();
    try {
      const gl::GlFrame& frame = frames_->get(view, cc.services().frame_index);
      cropper_->crop(frame, rects_.data(), batch);
    } catch (...) {
      gl_->release_current();
      throw;
    }
    gl_->release_current();
    out->on_gpu = true;
    out->gl_buffer = cropper_->output_buffer();
    out->gl_offset_bytes = 0;
  }

  std::shared_ptr<gl::GlContext> gl_;
  std::shared_ptr<gl::GlFrameCache> frames_;
  std::unique_ptr<gl::GlImageCropper> cropper_;
  std::unique_ptr<CudaCropper> cuda_cropper_;
  std::vector<RotatedRectPx> rects_;

  int w_ = 0, h_ = 0;
  bool keep_aspect_ = false, with_rois_ = false;
  float scale_ = 1.f / 255.f, offset_ = 0.f;
  Border border_ = Border::kReplicate;
  int64_t max_batch_ = 1;
};

}  // namespace

void register_image_calculators() { register_calculator_type<ImageToTensor>("ImageToTensor"); }

}  // namespace fmn
