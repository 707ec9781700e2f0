#include "graph/face_mesh.h"

#include "executors/cuda_executor.h"
#include "graph/graph_runner.h"
#include "runtime/thread_pool.h"
#include "ops/gl/gl_context.h"
#include "ops/gl/gl_probe.h"

namespace fmn {

void setup_graph_device(const std::string& device, bool allow_software, bool gl_fp16,
                        GraphServices* out) {
  GraphServices& services = *out;
  std::string dev = device;
  std::string reason = "requested";
  if (dev == "auto" || dev == "gpu") {
    // An NVIDIA GPU through CUDA first, then the best hardware GL device (never a software
    // rasterizer), found with the cheap probe.
    const CudaStatus cuda = cuda_status();
    if (!cuda.devices.empty()) {
      dev = "cuda:0";
      reason = "NVIDIA GPU: " + cuda.devices[0].name;
    }
  }
  if (dev == "auto" || dev == "gpu") {
    const gl::GlProbe probe = gl::probe_gl(/*hardware_only=*/true);
    std::string hw;
    for (const gl::GlDeviceInfo& d : probe.devices)
      if (d.usable && !d.software) {
        hw = "gl:" + std::to_string(d.index);
        reason = "hardware GPU: " + d.gl_renderer;
        break;
      }
    if (hw.empty()) {
      std::string why = !probe.egl_loaded ? "libEGL could not be loaded: " + probe.load_error
                                          : "no hardware GL device is usable; auto and gpu never "
                                            "pick a software rasterizer (see `python -m "
                                            "facemesh_native doctor`)";
      if (dev == "gpu") throw std::runtime_error("device 'gpu' cannot be used: " + why);
      dev = "cpu";
      reason = "no hardware GPU backend is usable (" + why + ")";
    } else {
      dev = hw;
    }
  }
  if (dev == "cpu") {
    services.device = "cpu";
  } else if (dev == "gl" || dev.rfind("gl:", 0) == 0) {
    std::string why;
    std::unique_ptr<gl::GlContext> ctx = gl::create_gl_context(dev, allow_software, &why);
    if (!ctx) throw std::runtime_error("device '" + dev + "' cannot be used: " + why);
    ctx->release_current();
    services.gl_context = std::move(ctx);
    services.gl_fp16 = gl_fp16;
    services.device = "gl";
  } else if (dev == "cuda" || dev.rfind("cuda:", 0) == 0 || dev == "cuda-emulation") {
    services.device = "cuda";
    services.cuda_emulated = dev == "cuda-emulation";
    services.cuda_device = 0;
    if (dev.rfind("cuda:", 0) == 0) {
      const std::string n = dev.substr(5);
      if (n.empty() || n.size() > 3 || n.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("malformed device '" + dev + "'; use cuda or cuda:N");
      services.cuda_device = std::stoi(n);
    }
  } else {
    throw std::invalid_argument("unknown device '" + dev +
                                "'; known: auto, cpu, gpu, gl, gl:N, cuda, cuda:N");
  }
  services.report["device"] = dev + " (" + reason + ")";
}

FaceMesh::FaceMesh(const FaceMeshOptions& options) : options_(options) {
  if (options_.max_num_faces < 1 || options_.max_num_faces > 64)
    throw std::invalid_argument("max_num_faces must be in 1..64, got " + std::to_string(options_.max_num_faces));
  auto check_conf = [](float v, const char* name) {
    if (!(v >= 0.f && v <= 1.f))
      throw std::invalid_argument(std::string(name) + " must be in [0, 1], got " + std::to_string(v));
  };
  check_conf(options_.min_detection_confidence, "min_detection_confidence");
  check_conf(options_.min_tracking_confidence, "min_tracking_confidence");
  if (options_.num_threads < 1 || options_.num_threads > 256)
    throw std::invalid_argument("num_threads must be in 1..256");
  graph_file_ = !options_.graph_path.empty()
                    ? options_.graph_path
                    : options_.graphs_dir + "/" +
                          (options_.refine_landmarks ? "face_mesh_attention_cpu.pbtxt" : "face_mesh_cpu.pbtxt");
  std::map<std::string, PacketValue> side;
  side["num_faces"] = static_cast<int64_t>(options_.max_num_faces);
  side["use_prev_landmarks"] = !options_.static_image_mode;
  side["min_detection_confidence"] = static_cast<double>(options_.min_detection_confidence);
  side["min_tracking_confidence"] = static_cast<double>(options_.min_tracking_confidence);
  side["smooth_landmarks"] = options_.smooth_landmarks;
  GraphServices services;
  services.models_dir = options_.models_dir;
  services.num_threads = options_.num_threads;
  if (options_.num_threads > 1) services.pool = std::make_shared<ThreadPool>(options_.num_threads);
  setup_graph_device(options_.device, options_.allow_software, options_.gl_fp16, &services);
  runner_.reset(new GraphRunner(load_graph_config(graph_file_), std::move(side), std::move(services)));
}

FaceMesh::~FaceMesh() = default;

void FaceMesh::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  runner_->reset();
}

std::vector<std::tuple<std::string, int64_t, double>> FaceMesh::node_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::tuple<std::string, int64_t, double>> out;
  for (const auto& s : runner_->node_stats()) out.emplace_back(s.name, s.calls, s.seconds);
  return out;
}

const std::map<std::string, std::string>& FaceMesh::device_report() const {
  return runner_->services().report;
}

void FaceMesh::process(const ImageFrame& frame, int64_t timestamp_us, FaceMeshResult* result) {
  if (!frame.data || frame.width <= 0 || frame.height <= 0)
    throw std::invalid_argument("the frame is empty");
  if ((frame.pixel_stride != 3 && frame.pixel_stride != 4) ||
      frame.row_stride < static_cast<int64_t>(frame.width) * frame.pixel_stride ||
      frame.row_stride > (int64_t{1} << 30))
    throw std::invalid_argument("the frame's strides are inconsistent with its size");
  if (frame.width > 32768 || frame.height > 32768) throw std::invalid_argument("the frame is too large");
  std::lock_guard<std::mutex> lock(mu_);
  runner_->input("image").as<ImageFrame>() = frame;
  runner_->input("timestamp_us").as<int64_t>() = timestamp_us;
  runner_->run();
  result->faces.clear();
  result->rects.clear();
  result->scores.clear();
  result->detections.clear();
  const Packet& lm = runner_->stream("multi_face_landmarks");
  if (lm.present) {
    result->faces = lm.get<std::vector<LandmarkList>>("multi_face_landmarks");
    result->rects = runner_->stream("face_rects_kept").get<std::vector<NormalizedRect>>("face_rects_kept");
    result->scores = runner_->stream("face_scores").get<std::vector<float>>("face_scores");
  }
  result->detector_ran = runner_->stream("detector_output").present;
  const Packet& det = runner_->stream("face_detections");
  if (det.present) result->detections = det.get<std::vector<Detection>>("face_detections");
}

}  // namespace fmn
