// Decoding of raw SSD outputs into detections (MediaPipe's TensorsToDetectionsCalculator,
// CPU path, one class, anchors supplied).
#pragma once

#include <vector>

#include "util/anchors.h"
#include "util/geometry.h"

namespace fmn {

// Options as in tensors_to_detections_calculator.proto, restricted to one class and at most
// kFaceDetectionKeypoints keypoints of 2 values. Defaults are the short-range face detector's
// (face_detection.pbtxt, face_detection_short_range.pbtxt).
struct DetectionDecodeOptions {
  int num_boxes = 896;
  int num_coords = 16;
  int box_coord_offset = 0;
  int keypoint_coord_offset = 4;
  int num_keypoints = 6;
  // reverse_output_order: boxes are (x_center, y_center, w, h) and keypoints (x, y); else
  // (y_center, x_center, h, w) and (y, x).
  bool reverse_output_order = true;
  float x_scale = 128.0f;
  float y_scale = 128.0f;
  float w_scale = 128.0f;
  float h_scale = 128.0f;
  bool apply_exponential_on_box_size = false;
  bool sigmoid_score = true;
  bool has_score_clipping_thresh = true;
  float score_clipping_thresh = 100.0f;
  bool has_min_score_thresh = true;
  float min_score_thresh = 0.5f;  // the legacy API's min_detection_confidence
};

// raw_boxes: [num_boxes x num_coords] floats in tensor pixels (the model's regressors);
// raw_scores: [num_boxes] logits; anchors: num_boxes anchors (GenerateSsdAnchors).
// Appends to *out (cleared first) every box whose score >= min_score_thresh and whose decoded
// width and height are neither negative nor NaN, in anchor order. Output boxes and keypoints
// are in the normalised tensor frame (the letterboxed 128x128 input), not yet projected:
//   x = raw_x / x_scale * anchor.w + anchor.x_center,  w = raw_w / w_scale * anchor.w
// (y, h alike with y_scale/h_scale and anchor.h), box = [x - w/2, x + w/2] with width taken
// as xmax - xmin; score = sigmoid(clamp(logit, -clip, clip)).
// Throws std::invalid_argument on inconsistent options or a short anchor list.
void DecodeDetections(const float* raw_boxes, const float* raw_scores,
                      const std::vector<Anchor>& anchors, const DetectionDecodeOptions& options,
                      std::vector<Detection>* out);

}  // namespace fmn
