// Calculators and the packets they exchange.
//
// A stream holds one Packet per frame. Streams live for the whole graph: a calculator writes
// into its output packets in place (clear() then fill, reusing capacity), so the per-frame path
// does not allocate once the vectors have grown to their working size. A packet is "present"
// in a frame only after its producer sets it; absent packets model MediaPipe's empty
// timestamps (a gated image, no faces).
//
// Execution rule (as MediaPipe's default input policy for this graph): a node's process() is
// called in a frame when at least one of its input streams is present (nodes with no inputs:
// every frame). A calculator handles its absent inputs itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "graph/graph_config.h"
#include "util/geometry.h"

namespace fmn {

// A caller's image, read in place: HxW pixels of uint8 RGB (pixel_stride 3) or RGBA
// (pixel_stride 4; the first three channels are used), rows `row_stride` bytes apart.
struct ImageFrame {
  const uint8_t* data = nullptr;
  int width = 0, height = 0;
  int64_t row_stride = 0;
  int pixel_stride = 3;
};

// Model tensors for a batch: one float buffer per model output (or input), batch-major.
// On device "gl" a single input tensor may instead stay on the GPU (on_gpu): then its
// batch * per_item[0] floats lie in the SSBO gl_buffer of services.gl_context from byte
// gl_offset_bytes on, written in the current frame, and `tensors` is not read. On device
// "cuda" likewise at the device pointer cuda_data (services.cuda_device, finished).
struct TensorBatch {
  int batch = 0;
  std::vector<std::vector<float>> tensors;
  std::vector<int64_t> per_item;  // floats per batch item, per tensor
  bool on_gpu = false;
  unsigned gl_buffer = 0;         // GLuint SSBO name when on_gpu on device "gl"
  const float* cuda_data = nullptr;  // device pointer when on_gpu on device "cuda"
  int64_t gl_offset_bytes = 0;
};

// The detector's letterbox: the tensor-to-image transform needed to project detections back.
struct Letterbox {
  std::array<float, 16> tensor_to_image{};  // 4x4 row-major, normalised coords
};

using LandmarkList = std::vector<Landmark>;

using PacketValue = std::variant<std::monostate, ImageFrame, TensorBatch, Letterbox,
                                 std::vector<Detection>, std::vector<NormalizedRect>,
                                 std::vector<LandmarkList>, std::vector<float>, bool, int64_t, double>;

struct Packet {
  PacketValue value;
  bool present = false;

  template <typename T>
  T& as() {
    if (!std::holds_alternative<T>(value)) value = T{};
    return std::get<T>(value);
  }
  template <typename T>
  const T& get(const std::string& stream) const {
    if (!std::holds_alternative<T>(value))
      throw GraphError("stream '" + stream + "' does not carry the type its reader expects");
    return std::get<T>(value);
  }
};

class ThreadPool;
namespace gl {
class GlContext;
class GlFrameCache;
}
class CudaFrameCache;

// Things a graph's calculators share: configuration from the owner (device, threads, model
// folder), the GPU context when the device is a GPU, and a report of what ran where.
struct GraphServices {
  std::string models_dir;            // where model names resolve ("<dir>/<name>.tflite")
  std::string device = "cpu";        // inference backend: "cpu", "gl" ("gl:N" resolved) or "cuda"
  int num_threads = 1;
  // Worker threads shared by every calculator and model of the graph (null: single-threaded).
  std::shared_ptr<ThreadPool> pool;
  // The OpenGL ES context for device "gl" (created by the graph's owner, not current on any
  // thread between calls; a calculator makes it current for the duration of its work).
  std::shared_ptr<gl::GlContext> gl_context;
  bool gl_fp16 = false;  // GL executors store activations and weights as half floats
  // Device "cuda": the CUDA device index, or the CPU emulation of the CUDA kernels.
  int cuda_device = 0;
  bool cuda_emulated = false;
  // The caller's frame on the CUDA device, shared by the crops of a frame (ops/cuda/cuda_image.h).
  std::shared_ptr<CudaFrameCache> cuda_frame_cache;
  // The caller's frame on the GPU for device "gl", shared by the calculators of a frame (the
  // first user creates it; see ops/gl/gl_image.h). Destroyed before gl_context.
  std::shared_ptr<gl::GlFrameCache> gl_frame_cache;
  // Graph frame number, 1, 2, ... when the runner numbers frames (it advances it before each
  // frame); 0 when it does not, and per-frame work is then not shared between calculators.
  int64_t frame_index = 0;
  std::map<std::string, std::string> report;  // e.g. "inference.face_landmark" -> "gl (NVIDIA H100...)"
};

class CalculatorContext;

class Calculator {
 public:
  virtual ~Calculator() = default;
  // Once, when the graph is built: read options and side packets, load models, size buffers.
  virtual void open(CalculatorContext& cc) { (void)cc; }
  // Per frame, when at least one input is present.
  virtual void process(CalculatorContext& cc) = 0;
};

// A calculator's view of its streams, side packets and options. Inputs and outputs are found by
// tag ("IMAGE") or by position for untagged streams ("" + index).
class CalculatorContext {
 public:
  const NodeConfig& node() const { return *node_; }
  const TextMessage& options() const { return node_->options; }
  GraphServices& services() { return *services_; }

  bool has_input(const std::string& tag, int index = 0) const;
  bool input_present(const std::string& tag, int index = 0) const;
  const Packet& input(const std::string& tag, int index = 0) const;
  template <typename T>
  const T& input_as(const std::string& tag, int index = 0) const {
    return input(tag, index).get<T>(stream_name(true, tag, index));
  }
  bool has_output(const std::string& tag, int index = 0) const;
  // The output packet, marked present; fill it in place.
  template <typename T>
  T& output(const std::string& tag, int index = 0) {
    Packet& p = output_packet(tag, index);
    p.present = true;
    return p.as<T>();
  }
  const PacketValue& side_packet(const std::string& tag) const;
  bool has_side_packet(const std::string& tag) const;

 private:
  friend class GraphRunner;
  Packet& output_packet(const std::string& tag, int index);
  std::string stream_name(bool input, const std::string& tag, int index) const;
  int find(const std::vector<StreamRef>& refs, const std::string& tag, int index) const;

  const NodeConfig* node_ = nullptr;
  GraphServices* services_ = nullptr;
  std::vector<Packet*> inputs_, outputs_;
  std::vector<const PacketValue*> side_;
};

using CalculatorFactory = std::function<std::unique_ptr<Calculator>()>;
// Registers a calculator type by name (replacing any earlier one of that name).
void register_calculator(const std::string& name, CalculatorFactory factory);
// Creates a registered calculator, or returns nullptr. The built-in calculators are
// registered on first use.
std::unique_ptr<Calculator> create_calculator(const std::string& name);
std::vector<std::string> registered_calculators();

template <typename T>
void register_calculator_type(const std::string& name) {
  register_calculator(name, [] { return std::unique_ptr<Calculator>(new T()); });
}

// Side packet accessors with conversion between the numeric packet types.
double side_number(const CalculatorContext& cc, const std::string& tag, double def);
bool side_bool(const CalculatorContext& cc, const std::string& tag, bool def);

// Registration hooks of the built-in calculator families (graph/calculators/*.cc).
void register_flow_calculators();
void register_image_calculators();
void register_inference_calculators();
void register_face_calculators();
void register_landmarker_calculators();

}  // namespace fmn
