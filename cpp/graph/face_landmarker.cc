#include "graph/face_landmarker.h"

#include <stdexcept>

#include "graph/face_mesh.h"
#include "graph/graph_runner.h"
#include "runtime/thread_pool.h"

namespace fmn {

void check_image_frame(const ImageFrame& frame) {
  if (!frame.data || frame.width <= 0 || frame.height <= 0)
    throw std::invalid_argument("the frame is empty");
  if ((frame.pixel_stride != 3 && frame.pixel_stride != 4) ||
      frame.row_stride < static_cast<int64_t>(frame.width) * frame.pixel_stride ||
      frame.row_stride > (int64_t{1} << 30))
    throw std::invalid_argument("the frame's strides are inconsistent with its size");
  if (frame.width > 32768 || frame.height > 32768) throw std::invalid_argument("the frame is too large");
}

FaceLandmarker::FaceLandmarker(const FaceLandmarkerOptions& options) : options_(options) {
  if (options_.num_faces < 1 || options_.num_faces > 64)
    throw std::invalid_argument("num_faces must be in 1..64, got " + std::to_string(options_.num_faces));
  auto check_conf = [](float v, const char* name) {
    if (!(v >= 0.f && v <= 1.f))
      throw std::invalid_argument(std::string(name) + " must be in [0, 1], got " + std::to_string(v));
  };
  check_conf(options_.min_face_detection_confidence, "min_face_detection_confidence");
  check_conf(options_.min_face_presence_confidence, "min_face_presence_confidence");
  check_conf(options_.min_tracking_confidence, "min_tracking_confidence");
  if (options_.num_threads < 1 || options_.num_threads > 256)
    throw std::invalid_argument("num_threads must be in 1..256");
  std::map<std::string, PacketValue> side;
  side["num_faces"] = static_cast<int64_t>(options_.num_faces);
  side["use_prev_landmarks"] = options_.stream_mode;
  side["min_detection_confidence"] = static_cast<double>(options_.min_face_detection_confidence);
  side["min_presence_confidence"] = static_cast<double>(options_.min_face_presence_confidence);
  side["min_tracking_confidence"] = static_cast<double>(options_.min_tracking_confidence);
  side["smooth_landmarks"] = options_.smooth_landmarks;
  side["output_blendshapes"] = options_.output_blendshapes;
  side["output_matrices"] = options_.output_matrices;
  GraphServices services;
  services.models_dir = options_.models_dir;
  services.num_threads = options_.num_threads;
  if (options_.num_threads > 1) services.pool = std::make_shared<ThreadPool>(options_.num_threads);
  setup_graph_device(options_.device, options_.allow_software, options_.gl_fp16, &services);
  runner_.reset(new GraphRunner(load_graph_config(options_.graph_path), std::move(side), std::move(services)));
}

FaceLandmarker::~FaceLandmarker() = default;

void FaceLandmarker::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  runner_->reset();
}

std::vector<std::tuple<std::string, int64_t, double>> FaceLandmarker::node_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::tuple<std::string, int64_t, double>> out;
  for (const auto& st : runner_->node_stats()) out.emplace_back(st.name, st.calls, st.seconds);
  return out;
}

const std::map<std::string, std::string>& FaceLandmarker::device_report() const {
  return runner_->services().report;
}

void FaceLandmarker::process(const ImageFrame& frame, int64_t timestamp_us,
                             FaceLandmarkerResult* result, int rotation_degrees) {
  check_image_frame(frame);
  if (rotation_degrees % 90 != 0) throw std::invalid_argument("Expected rotation to be a multiple of 90°.");
  // The whole image as mediapipe's convert_to_normalized_rect gives it: rotation in radians
  // counter-clockwise, width and height swapped (in pixels) for quarter turns.
  NormalizedRect roi;
  roi.x_center = roi.y_center = 0.5f;
  roi.width = roi.height = 1.0f;
  roi.rotation = static_cast<float>(-rotation_degrees * 3.14159265358979323846 / 180.0);
  if (rotation_degrees % 180 != 0) {
    roi.width = static_cast<float>(frame.height) / frame.width;
    roi.height = static_cast<float>(frame.width) / frame.height;
  }
  std::lock_guard<std::mutex> lock(mu_);
  runner_->input("image").as<ImageFrame>() = frame;
  runner_->input("timestamp_us").as<int64_t>() = timestamp_us;
  runner_->input("detector_roi").as<std::vector<NormalizedRect>>().assign(1, roi);
  runner_->run();
  *result = FaceLandmarkerResult();
  const Packet& lm = runner_->stream("face_landmarks");
  if (lm.present) {
    result->faces = lm.get<std::vector<LandmarkList>>("face_landmarks");
    result->rects = runner_->stream("face_rects_kept").get<std::vector<NormalizedRect>>("face_rects_kept");
    result->presence = runner_->stream("face_scores").get<std::vector<float>>("face_scores");
    const Packet& bs = runner_->stream("face_blendshapes");
    if (bs.present) result->blendshapes = bs.get<std::vector<float>>("face_blendshapes");
    const Packet& mx = runner_->stream("facial_transformation_matrixes");
    if (mx.present) result->matrices = mx.get<std::vector<float>>("facial_transformation_matrixes");
  }
  result->detector_ran = runner_->stream("detector_output").present;
}

}  // namespace fmn
