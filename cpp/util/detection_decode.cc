#include "util/detection_decode.h"

#include <cmath>
#include <stdexcept>

namespace fmn {

void DecodeDetections(const float* raw_boxes, const float* raw_scores,
                      const std::vector<Anchor>& anchors, const DetectionDecodeOptions& options,
                      std::vector<Detection>* out) {
  const DetectionDecodeOptions& o = options;
  if (o.num_keypoints < 0 || o.num_keypoints > kFaceDetectionKeypoints)
    throw std::invalid_argument("DecodeDetections: unsupported keypoint count");
  if (o.num_coords < o.box_coord_offset + 4 ||
      o.num_coords < o.keypoint_coord_offset + 2 * o.num_keypoints)
    throw std::invalid_argument("DecodeDetections: num_coords too small");
  if (static_cast<int>(anchors.size()) < o.num_boxes)
    throw std::invalid_argument("DecodeDetections: fewer anchors than boxes");
  out->clear();

  for (int i = 0; i < o.num_boxes; ++i) {
    float score = raw_scores[i];
    if (o.sigmoid_score) {
      if (o.has_score_clipping_thresh) {
        score = score < -o.score_clipping_thresh ? -o.score_clipping_thresh : score;
        score = score > o.score_clipping_thresh ? o.score_clipping_thresh : score;
      }
      score = 1.0f / (1.0f + std::exp(-score));
    }
    if (o.has_min_score_thresh && score < o.min_score_thresh) continue;

    const Anchor& a = anchors[static_cast<size_t>(i)];
    const float* box = raw_boxes + static_cast<size_t>(i) * o.num_coords + o.box_coord_offset;
    float xc, yc, w, h;
    if (o.reverse_output_order) {
      xc = box[0]; yc = box[1]; w = box[2]; h = box[3];
    } else {
      yc = box[0]; xc = box[1]; h = box[2]; w = box[3];
    }
    xc = xc / o.x_scale * a.w + a.x_center;
    yc = yc / o.y_scale * a.h + a.y_center;
    if (o.apply_exponential_on_box_size) {
      h = std::exp(h / o.h_scale) * a.h;
      w = std::exp(w / o.w_scale) * a.w;
    } else {
      h = h / o.h_scale * a.h;
      w = w / o.w_scale * a.w;
    }
    const float ymin = yc - h / 2.f;
    const float xmin = xc - w / 2.f;
    const float ymax = yc + h / 2.f;
    const float xmax = xc + w / 2.f;

    Detection d;
    d.score = score;
    d.xmin = xmin;
    d.ymin = ymin;
    d.width = xmax - xmin;
    d.height = ymax - ymin;
    if (d.width < 0 || d.height < 0 || std::isnan(d.width) || std::isnan(d.height)) continue;

    const float* kp = raw_boxes + static_cast<size_t>(i) * o.num_coords + o.keypoint_coord_offset;
    for (int k = 0; k < o.num_keypoints; ++k) {
      const float kx = o.reverse_output_order ? kp[2 * k] : kp[2 * k + 1];
      const float ky = o.reverse_output_order ? kp[2 * k + 1] : kp[2 * k];
      d.keypoints[static_cast<size_t>(k)].x = kx / o.x_scale * a.w + a.x_center;
      d.keypoints[static_cast<size_t>(k)].y = ky / o.y_scale * a.h + a.y_center;
    }
    out->push_back(d);
  }
}

}  // namespace fmn
