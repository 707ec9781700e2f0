// FaceLandmarker: the Tasks FaceLandmarker pipeline (graphs/face_landmarker.pbtxt) behind one
// object: landmarks (478), blendshapes (52) and facial transformation matrices per face.
//
// Contract: process() takes an RGB(A) uint8 frame (read in place; strides allowed) and fills a
// FaceLandmarkerResult with mediapipe 0.10.21's Tasks values: landmarks normalised to the frame
// (x/W, y/H, z in units of W), blendshape scores in kBlendshapeNames order, row-major 4x4
// matrices. With stream_mode the graph tracks faces from one call to the next (VIDEO and
// LIVE_STREAM); timestamps are the caller's business (the Python layer enforces monotonic ones).
// Calls are serialised per instance.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "graph/calculator.h"

namespace fmn {

class GraphRunner;

struct FaceLandmarkerOptions {
  bool stream_mode = false;
  int num_faces = 1;
  float min_face_detection_confidence = 0.5f;
  float min_face_presence_confidence = 0.5f;
  float min_tracking_confidence = 0.5f;
  bool output_blendshapes = false;
  bool output_matrices = false;
  // OneEuro smoothing; mediapipe smooths in stream modes with num_faces == 1.
  bool smooth_landmarks = false;
  std::string device = "cpu";      // as FaceMeshOptions::device
  bool allow_software = false;
  bool gl_fp16 = false;
  int num_threads = 1;
  std::string graph_path;          // graphs/face_landmarker.pbtxt
  std::string models_dir;          // the bundle's members: face_detector.tflite, ...
};

struct FaceLandmarkerResult {
  std::vector<LandmarkList> faces;   // 478 landmarks per face
  std::vector<float> blendshapes;    // 52 per face (empty unless output_blendshapes)
  std::vector<float> matrices;       // 16 per face, row-major (empty unless output_matrices)
  std::vector<float> presence;       // per face
  std::vector<NormalizedRect> rects; // per face: the ROI its landmarks came from
  bool detector_ran = false;
};

class FaceLandmarker {
 public:
  // Throws std::invalid_argument (bad options), GraphError, ModelError, std::runtime_error
  // (an unusable GL device).
  explicit FaceLandmarker(const FaceLandmarkerOptions& options);
  ~FaceLandmarker();
  // rotation_degrees (a multiple of 90, clockwise) turns the detector's view of the frame as
  // mediapipe's ImageProcessingOptions does; results stay in the frame's coordinates.
  // Throws std::invalid_argument for an empty or malformed frame or a bad rotation.
  void process(const ImageFrame& frame, int64_t timestamp_us, FaceLandmarkerResult* result,
               int rotation_degrees = 0);
  void reset();
  const FaceLandmarkerOptions& options() const { return options_; }
  const std::map<std::string, std::string>& device_report() const;
  // Per graph node: name, calls, total seconds (as FaceMesh::node_stats).
  std::vector<std::tuple<std::string, int64_t, double>> node_stats() const;

 private:
  FaceLandmarkerOptions options_;
  std::unique_ptr<GraphRunner> runner_;
  mutable std::mutex mu_;
};

// Checks a frame's fields (non-empty, strides consistent, at most 32768 px a side); throws
// std::invalid_argument naming the problem.
void check_image_frame(const ImageFrame& frame);

}  // namespace fmn
