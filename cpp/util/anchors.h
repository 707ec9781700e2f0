// SSD anchor generation (the non-multiscale path of MediaPipe's SsdAnchorsCalculator).
#pragma once

#include <vector>

namespace fmn {

// One anchor in the normalised tensor frame: centre in [0,1] and size (1.0 x 1.0 when
// fixed_anchor_size is set, which is the face detector's case).
struct Anchor {
  float x_center = 0.0f;
  float y_center = 0.0f;
  float w = 0.0f;
  float h = 0.0f;
};

// Options as in ssd_anchors_calculator.proto. Feature map sizes come from
// feature_map_width/height when given (one per layer), else ceil(input_size / stride).
struct SsdAnchorOptions {
  int input_size_width = 0;
  int input_size_height = 0;
  float min_scale = 0.0f;
  float max_scale = 0.0f;
  float anchor_offset_x = 0.5f;
  float anchor_offset_y = 0.5f;
  int num_layers = 0;
  std::vector<int> feature_map_width;
  std::vector<int> feature_map_height;
  std::vector<int> strides;
  std::vector<float> aspect_ratios;
  bool reduce_boxes_in_lowest_layer = false;
  float interpolated_scale_aspect_ratio = 1.0f;
  bool fixed_anchor_size = false;
};

// The short-range face detector's options (face_detection_short_range.pbtxt and
// face_detection.pbtxt): 128x128 input, 4 layers with strides 8,16,16,16, scales
// 0.1484375..0.75, offsets 0.5, aspect ratio 1, interpolated ratio 1, fixed anchor size.
SsdAnchorOptions FaceDetectionShortRangeAnchorOptions();

// Generates anchors in the order the SSD model emits its boxes: layers grouped by equal
// consecutive strides; within a group, row y, then column x, then anchor. Throws
// std::invalid_argument when the options are inconsistent (no strides and no feature map
// sizes, or a count that does not match num_layers). The face detector gets 896 anchors:
// 16x16 cells x 2 (stride 8) then 8x8 cells x 6 (three stride-16 layers merged).
std::vector<Anchor> GenerateSsdAnchors(const SsdAnchorOptions& options);

}  // namespace fmn
