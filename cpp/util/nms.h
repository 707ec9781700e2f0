// Non-max suppression over face detections (MediaPipe's NonMaxSuppressionCalculator with
// overlap_type INTERSECTION_OVER_UNION, one label per detection).
#pragma once

#include <vector>

#include "util/geometry.h"

namespace fmn {

enum class NmsAlgorithm {
  kDefault,   // plain: keep a detection unless a kept one overlaps it by more than the threshold
  kWeighted,  // clusters averaged with score weights (the face detector's choice)
};

struct NmsOptions {
  NmsAlgorithm algorithm = NmsAlgorithm::kWeighted;
  float min_suppression_threshold = 0.3f;  // overlap must be strictly greater to suppress
  // <= 0 disables. When set, processing stops at the first detection scoring below it.
  float min_score_threshold = 0.0f;
  // -1: no limit. Only the plain algorithm honours it; MediaPipe's weighted path ignores it
  // (the face graph leaves it unset). Clip afterwards if a limit is needed.
  int max_num_detections = -1;
};

// Input and output detections share one frame (the face graph runs NMS in the normalised
// tensor frame, before projection out of the letterbox); the IoU is computed on the boxes as
// given. Detections are visited by descending score (stable for equal scores; MediaPipe's
// unstable sort leaves tie order unspecified).
// Weighted: the top remaining detection's cluster is every remaining detection, itself
// included, with IoU > threshold; the output keeps the top detection's score and takes the
// score-weighted mean of the cluster's corners (xmin, ymin, xmax, ymax) and keypoints; the
// loop stops as soon as an iteration removes nothing from the remaining set.
// out is cleared first; out must not alias in.
void NonMaxSuppression(const std::vector<Detection>& in, const NmsOptions& options,
                       std::vector<Detection>* out);

// IoU of two detections' boxes (BoxIoU on xmin, ymin, width, height).
float DetectionIoU(const Detection& a, const Detection& b);

}  // namespace fmn
