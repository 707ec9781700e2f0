// FaceMesh: the whole pipeline behind one object, built from a graph file in graphs/.
//
// Contract: process() takes an RGB(A) uint8 frame (read in place; strides allowed), runs the
// calculator graph once and fills a FaceMeshResult whose landmarks are normalised to the frame
// exactly as MediaPipe's legacy solution returns them (x/W, y/H, z in units of W).
// Tracking state carries from one process() to the next unless static_image_mode is set.
// Calls from several threads are serialised (one frame at a time per FaceMesh; the frames of
// a tracker are a sequence); separate instances run independently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "graph/calculator.h"

namespace fmn {

class GraphRunner;

// Resolves a device name ("cpu", "gl", "gl:N", "gpu", "auto"; see FaceMeshOptions::device)
// into services: device, gl_context, gl_fp16 and report["device"] ("<device> (<reason>)").
// Throws std::invalid_argument for an unknown name and std::runtime_error naming the reason
// when a GL device was asked for and cannot be used.
void setup_graph_device(const std::string& device, bool allow_software, bool gl_fp16,
                        GraphServices* services);

struct FaceMeshOptions {
  bool static_image_mode = false;
  int max_num_faces = 1;
  bool refine_landmarks = false;
  float min_detection_confidence = 0.5f;
  float min_tracking_confidence = 0.5f;
  bool smooth_landmarks = false;  // OneEuro (the Tasks landmarker's parameters); off as in legacy
  // "cpu", "gl", "gl:N", "gpu" (a hardware GPU or an error), "auto" (a hardware GPU, else
  // the CPU); "auto" and "gpu" never pick a software rasterizer. device_report()["device"]
  // says what was chosen and why.
  std::string device = "cpu";
  bool allow_software = false;     // let "gl" use a software rasterizer (llvmpipe)
  bool gl_fp16 = false;            // "gl": half-float storage of activations and weights
  int num_threads = 1;
  std::string graphs_dir;   // folder with face_mesh_cpu.pbtxt / face_mesh_attention_cpu.pbtxt
  std::string models_dir;   // folder with the .tflite files
  std::string graph_path;   // overrides the variant's file when set
};

struct FaceMeshResult {
  std::vector<LandmarkList> faces;       // per face: 468 or 478 landmarks
  std::vector<NormalizedRect> rects;     // per face: the ROI its landmarks came from
  std::vector<float> scores;             // per face: presence score
  std::vector<Detection> detections;     // this frame's detections (empty if it did not run)
  bool detector_ran = false;
};

class FaceMesh {
 public:
  // Throws std::invalid_argument (bad options), GraphError, ModelError, and
  // std::runtime_error naming the reason when a GL device was asked for and cannot be used.
  explicit FaceMesh(const FaceMeshOptions& options);
  ~FaceMesh();

  // Throws std::invalid_argument for an empty or malformed frame.
  void process(const ImageFrame& frame, int64_t timestamp_us, FaceMeshResult* result);
  void reset();
  const FaceMeshOptions& options() const { return options_; }
  // What ran where, e.g. {"device": "cpu (requested)", "inference.face_landmark": "cpu"}.
  const std::map<std::string, std::string>& device_report() const;
  std::string graph_file() const { return graph_file_; }
  // Per graph node: (name, calls, total seconds) since construction.
  std::vector<std::tuple<std::string, int64_t, double>> node_stats() const;

 private:
  FaceMeshOptions options_;
  std::string graph_file_;
  std::unique_ptr<GraphRunner> runner_;
  mutable std::mutex mu_;
};

}  // namespace fmn
