// FaceDetection: MediaPipe's legacy face detector (mediapipe.solutions.face_detection) behind
// one object, built from a graph file in graphs/.
//
// Contract: process() takes an RGB(A) uint8 frame (read in place; strides allowed), runs the
// graph once and returns every detection above the score threshold, normalised to the frame
// (box and six keypoints), as MediaPipe's solution returns them. Each frame is independent (no
// tracking). Calls from several threads are serialised.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "graph/calculator.h"

namespace fmn {

class GraphRunner;

struct FaceDetectionOptions {
  // 0: short range (faces within about 2 m); 1: full range (up to about 5 m).
  int model_selection = 0;
  // Score threshold in [0, 1]; negative: the model's own (0.5 short range, 0.6 full range,
  // what MediaPipe's solution applies whatever its min_detection_confidence says).
  float min_detection_confidence = -1.f;
  std::string device = "cpu";      // as FaceMeshOptions::device
  bool allow_software = false;
  bool gl_fp16 = false;
  int num_threads = 1;
  std::string graphs_dir;          // folder with face_detection_*.pbtxt
  std::string models_dir;          // folder with the .tflite files
  std::string graph_path;          // overrides the model's graph file when set
};

class FaceDetection {
 public:
  // Throws std::invalid_argument (bad options), GraphError, ModelError, and
  // std::runtime_error naming the reason when a GL device was asked for and cannot be used.
  explicit FaceDetection(const FaceDetectionOptions& options);
  ~FaceDetection();

  // Throws std::invalid_argument for an empty or malformed frame.
  void process(const ImageFrame& frame, std::vector<Detection>* detections);
  const FaceDetectionOptions& options() const { return options_; }
  const std::map<std::string, std::string>& device_report() const;
  std::string graph_file() const { return graph_file_; }

 private:
  FaceDetectionOptions options_;
  std::string graph_file_;
  std::unique_ptr<GraphRunner> runner_;
  mutable std::mutex mu_;
};

}  // namespace fmn
