#include "graph/face_detection.h"

#include <stdexcept>

#include "graph/face_mesh.h"
#include "graph/graph_runner.h"
#include "runtime/thread_pool.h"

namespace fmn {

FaceDetection::FaceDetection(const FaceDetectionOptions& options) : options_(options) {
  if (options_.model_selection != 0 && options_.model_selection != 1)
    throw std::invalid_argument("model_selection must be 0 (short range) or 1 (full range), got " +
                                std::to_string(options_.model_selection));
  if (options_.min_detection_confidence < 0.f)
    options_.min_detection_confidence = options_.model_selection == 1 ? 0.6f : 0.5f;
  if (!(options_.min_detection_confidence >= 0.f && options_.min_detection_confidence <= 1.f))
    throw std::invalid_argument("min_detection_confidence must be in [0, 1], got " +
                                std::to_string(options_.min_detection_confidence));
  if (options_.num_threads < 1 || options_.num_threads > 256)
    throw std::invalid_argument("num_threads must be in 1..256");
  graph_file_ = !options_.graph_path.empty()
                    ? options_.graph_path
                    : options_.graphs_dir + "/" +
                          (options_.model_selection == 1 ? "face_detection_full_range.pbtxt"
                                                         : "face_detection_short_range.pbtxt");
  std::map<std::string, PacketValue> side;
  side["min_detection_confidence"] = static_cast<double>(options_.min_detection_confidence);
  GraphServices services;
  services.models_dir = options_.models_dir;
  services.num_threads = options_.num_threads;
  if (options_.num_threads > 1) services.pool = std::make_shared<ThreadPool>(options_.num_threads);
  setup_graph_device(options_.device, options_.allow_software, options_.gl_fp16, &services);
  runner_.reset(new GraphRunner(load_graph_config(graph_file_), std::move(side), std::move(services)));
}

FaceDetection::~FaceDetection() = default;

const std::map<std::string, std::string>& FaceDetection::device_report() const {
  return runner_->services().report;
}

void FaceDetection::process(const ImageFrame& frame, std::vector<Detection>* detections) {
  if (!frame.data || frame.width <= 0 || frame.height <= 0)
    throw std::invalid_argument("the frame is empty");
  if ((frame.pixel_stride != 3 && frame.pixel_stride != 4) ||
      frame.row_stride < static_cast<int64_t>(frame.width) * frame.pixel_stride ||
      frame.row_stride > (int64_t{1} << 30))
    throw std::invalid_argument("the frame's strides are inconsistent with its size");
  if (frame.width > 32768 || frame.height > 32768) throw std::invalid_argument("the frame is too large");
  std::lock_guard<std::mutex> lock(mu_);
  runner_->input("image").as<ImageFrame>() = frame;
  runner_->run();
  detections->clear();
  const Packet& det = runner_->stream("face_detections");
  if (det.present) *detections = det.get<std::vector<Detection>>("face_detections");
}

}  // namespace fmn
