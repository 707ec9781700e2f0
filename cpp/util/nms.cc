#include "util/nms.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace fmn {

float DetectionIoU(const Detection& a, const Detection& b) {
  return BoxIoU(a.xmin, a.ymin, a.width, a.height, b.xmin, b.ymin, b.width, b.height);
}

namespace {

std::vector<int> OrderByScore(const std::vector<Detection>& in) {
  std::vector<int> order(in.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return in[static_cast<size_t>(a)].score >
                                              in[static_cast<size_t>(b)].score; });
  return order;
}

void PlainNms(const std::vector<Detection>& in, const std::vector<int>& order,
              const NmsOptions& o, std::vector<Detection>* out) {
  const size_t max_out =
      o.max_num_detections > -1 ? static_cast<size_t>(o.max_num_detections) : order.size();
  for (int idx : order) {
    const Detection& d = in[static_cast<size_t>(idx)];
    if (o.min_score_threshold > 0 && d.score < o.min_score_threshold) break;
    bool suppressed = false;
    for (const Detection& kept : *out) {
      if (DetectionIoU(kept, d) > o.min_suppression_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) out->push_back(d);
    if (out->size() >= max_out) break;
  }
}

void WeightedNms(const std::vector<Detection>& in, std::vector<int> remaining,
                 const NmsOptions& o, std::vector<Detection>* out) {
  std::vector<int> rest, cluster;
  rest.reserve(remaining.size());
  cluster.reserve(remaining.size());
  while (!remaining.empty()) {
    const size_t before = remaining.size();
    const Detection& top = in[static_cast<size_t>(remaining[0])];
    if (o.min_score_threshold > 0 && top.score < o.min_score_threshold) break;
    rest.clear();
    cluster.clear();
    for (int idx : remaining) {
      const Detection& d = in[static_cast<size_t>(idx)];
      if (BoxIoU(d.xmin, d.ymin, d.width, d.height, top.xmin, top.ymin, top.width,
                 top.height) > o.min_suppression_threshold)
        cluster.push_back(idx);
      else
        rest.push_back(idx);
    }
    Detection merged = top;
    if (!cluster.empty()) {
      float wx0 = 0.0f, wy0 = 0.0f, wx1 = 0.0f, wy1 = 0.0f, total = 0.0f;
      std::array<float, 2 * kFaceDetectionKeypoints> kp{};
      for (int idx : cluster) {
        const Detection& d = in[static_cast<size_t>(idx)];
        const float s = d.score;
        total += s;
        wx0 += d.xmin * s;
        wy0 += d.ymin * s;
        wx1 += (d.xmin + d.width) * s;
        wy1 += (d.ymin + d.height) * s;
        for (int k = 0; k < kFaceDetectionKeypoints; ++k) {
          kp[2 * k] += d.keypoints[static_cast<size_t>(k)].x * s;
          kp[2 * k + 1] += d.keypoints[static_cast<size_t>(k)].y * s;
        }
      }
      merged.xmin = wx0 / total;
      merged.ymin = wy0 / total;
      merged.width = wx1 / total - merged.xmin;
      merged.height = wy1 / total - merged.ymin;
      for (int k = 0; k < kFaceDetectionKeypoints; ++k) {
        merged.keypoints[static_cast<size_t>(k)].x = kp[2 * k] / total;
        merged.keypoints[static_cast<size_t>(k)].y = kp[2 * k + 1] / total;
      }
    }
    out->push_back(merged);
    if (rest.size() == before) break;
    remaining.swap(rest);
  }
}

}  // namespace

void NonMaxSuppression(const std::vector<Detection>& in, const NmsOptions& options,
                       std::vector<Detection>* out) {
  if (out == &in) throw std::invalid_argument("NonMaxSuppression: out aliases in");
  out->clear();
  if (in.empty()) return;
  std::vector<int> order = OrderByScore(in);
  if (options.algorithm == NmsAlgorithm::kWeighted)
    WeightedNms(in, std::move(order), options, out);
  else
    PlainNms(in, order, options, out);
}

}  // namespace fmn
