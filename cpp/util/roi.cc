#include "util/roi.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <list>
#include <stdexcept>

#include "util/face_refinement_indices.h"

namespace fmn {

RotatedRect ImageRoiPixels(int image_w, int image_h, const NormalizedRect* roi) {
  if (roi != nullptr) {
    return {roi->x_center * image_w, roi->y_center * image_h, roi->width * image_w,
            roi->height * image_h, roi->rotation};
  }
  return {0.5f * image_w, 0.5f * image_h, static_cast<float>(image_w),
          static_cast<float>(image_h), 0.0f};
}

std::array<float, 4> PadRoi(int tensor_w, int tensor_h, bool keep_aspect_ratio,
                            RotatedRect* roi) {
  if (!keep_aspect_ratio) return {0.0f, 0.0f, 0.0f, 0.0f};
  if (tensor_w <= 0 || tensor_h <= 0)
    throw std::invalid_argument("PadRoi: tensor width and height must be > 0");
  if (!(roi->width > 0 && roi->height > 0))
    throw std::invalid_argument("PadRoi: ROI width and height must be > 0");
  const float tensor_aspect = static_cast<float>(tensor_h) / tensor_w;
  const float roi_aspect = roi->height / roi->width;
  float pad_v = 0.0f, pad_h = 0.0f, new_w, new_h;
  if (tensor_aspect > roi_aspect) {
    new_w = roi->width;
    new_h = roi->width * tensor_aspect;
    pad_v = (1.0f - roi_aspect / tensor_aspect) / 2.0f;
  } else {
    new_w = roi->height / tensor_aspect;
    new_h = roi->height;
    pad_h = (1.0f - tensor_aspect / roi_aspect) / 2.0f;
  }
  roi->width = new_w;
  roi->height = new_h;
  return {pad_h, pad_v, pad_h, pad_v};
}

std::array<float, 16> RoiToImageMatrix(const RotatedRect& sub_rect, int image_w, int image_h,
                                       bool flip_horizontally) {
  const float a = sub_rect.width;
  const float b = sub_rect.height;
  const float flip = flip_horizontally ? -1.0f : 1.0f;
  const float c = std::cos(sub_rect.rotation);
  const float d = std::sin(sub_rect.rotation);
  const float e = sub_rect.center_x;
  const float f = sub_rect.center_y;
  const float g = 1.0f / image_w;
  const float h = 1.0f / image_h;
  std::array<float, 16> m{};
  m[0] = a * c * flip * g;
  m[1] = -b * d * g;
  m[2] = 0.0f;
  m[3] = (-0.5f * a * c * flip + 0.5f * b * d + e) * g;
  m[4] = a * d * flip * h;
  m[5] = b * c * h;
  m[6] = 0.0f;
  m[7] = (-0.5f * b * c - 0.5f * a * d * flip + f) * h;
  m[10] = a * g;
  m[15] = 1.0f;
  return m;
}

void ProjectDetections(const std::array<float, 16>& m, std::vector<Detection>* detections) {
  auto project = [&m](float x, float y) {
    return Point2f{x * m[0] + y * m[1] + m[3], x * m[4] + y * m[5] + m[7]};
  };
  for (Detection& d : *detections) {
    for (Point2f& kp : d.keypoints) kp = project(kp.x, kp.y);
    const Point2f corners[4] = {project(d.xmin, d.ymin), project(d.xmin + d.width, d.ymin),
                                project(d.xmin + d.width, d.ymin + d.height),
                                project(d.xmin, d.ymin + d.height)};
    float x0 = std::numeric_limits<float>::max(), y0 = x0;
    float x1 = std::numeric_limits<float>::lowest(), y1 = x1;
    for (const Point2f& c : corners) {
      x0 = std::min(x0, c.x);
      y0 = std::min(y0, c.y);
      x1 = std::max(x1, c.x);
      y1 = std::max(y1, c.y);
    }
    d.xmin = x0;
    d.ymin = y0;
    d.width = x1 - x0;
    d.height = y1 - y0;
  }
}

NormalizedRect TransformNormalizedRect(const NormalizedRect& rect, int image_w, int image_h,
                                       const RectTransformOptions& o) {
  NormalizedRect r = rect;
  float width = rect.width;
  float height = rect.height;
  const float rotation = rect.rotation;
  if (rotation == 0.0f) {
    r.x_center = rect.x_center + width * o.shift_x;
    r.y_center = rect.y_center + height * o.shift_y;
  } else {
    const float x_shift = (image_w * width * o.shift_x * std::cos(rotation) -
                           image_h * height * o.shift_y * std::sin(rotation)) /
                          image_w;
    const float y_shift = (image_w * width * o.shift_x * std::sin(rotation) +
                           image_h * height * o.shift_y * std::cos(rotation)) /
                          image_h;
    r.x_center = rect.x_center + x_shift;
    r.y_center = rect.y_center + y_shift;
  }
  if (o.square_long) {
    const float long_side = std::max(width * image_w, height * image_h);
    width = long_side / image_w;
    height = long_side / image_h;
  } else if (o.square_short) {
    const float short_side = std::min(width * image_w, height * image_h);
    width = short_side / image_w;
    height = short_side / image_h;
  }
  r.width = width * o.scale_x;
  r.height = height * o.scale_y;
  return r;
}

NormalizedRect BoxToRotatedRect(float xmin, float ymin, float width, float height, Point2f start,
                                Point2f end, int image_w, int image_h, float target_angle) {
  NormalizedRect r;
  r.x_center = xmin + width / 2;
  r.y_center = ymin + height / 2;
  r.width = width;
  r.height = height;
  const float x0 = start.x * image_w;
  const float y0 = start.y * image_h;
  const float x1 = end.x * image_w;
  const float y1 = end.y * image_h;
  r.rotation = NormalizeRadians(target_angle - std::atan2(-(y1 - y0), x1 - x0));
  return r;
}

namespace {

RectTransformOptions FaceRoiTransform() {
  RectTransformOptions o;
  o.scale_x = 1.5f;
  o.scale_y = 1.5f;
  o.square_long = true;
  return o;
}

}  // namespace

NormalizedRect FaceDetectionToRoi(const Detection& det, int image_w, int image_h) {
  const NormalizedRect r = BoxToRotatedRect(det.xmin, det.ymin, det.width, det.height,
                                            det.keypoints[0], det.keypoints[1], image_w, image_h);
  return TransformNormalizedRect(r, image_w, image_h, FaceRoiTransform());
}

NormalizedRect FaceLandmarksToRoi(const Landmark* lm, int n, int image_w, int image_h) {
  constexpr int kStart = 33, kEnd = 263;
  if (n <= kEnd) throw std::invalid_argument("FaceLandmarksToRoi: need at least 264 landmarks");
  float x_min = std::numeric_limits<float>::max();
  float x_max = std::numeric_limits<float>::min();  // FLT_MIN, as upstream
  float y_min = std::numeric_limits<float>::max();
  float y_max = std::numeric_limits<float>::min();
  for (int i = 0; i < n; ++i) {
    x_min = std::min(x_min, lm[i].x);
    x_max = std::max(x_max, lm[i].x);
    y_min = std::min(y_min, lm[i].y);
    y_max = std::max(y_max, lm[i].y);
  }
  const NormalizedRect r =
      BoxToRotatedRect(x_min, y_min, x_max - x_min, y_max - y_min, {lm[kStart].x, lm[kStart].y},
                       {lm[kEnd].x, lm[kEnd].y}, image_w, image_h);
  return TransformNormalizedRect(r, image_w, image_h, FaceRoiTransform());
}

void TensorToLandmarks(const float* raw, int n, int dims, int tensor_w, int tensor_h,
                       Landmark* out) {
  if (dims < 2) throw std::invalid_argument("TensorToLandmarks: need at least 2 values a point");
  for (int i = 0; i < n; ++i) {
    const float* p = raw + static_cast<size_t>(i) * dims;
    out[i].x = p[0] / tensor_w;
    out[i].y = p[1] / tensor_h;
    out[i].z = dims > 2 ? p[2] / tensor_w : 0.0f;
  }
}

void ProjectLandmarksFromRoi(const Landmark* in, int n, const NormalizedRect& roi, Landmark* out) {
  const float c = std::cos(roi.rotation);
  const float s = std::sin(roi.rotation);
  for (int i = 0; i < n; ++i) {
    const float x = in[i].x - 0.5f;
    const float y = in[i].y - 0.5f;
    const float z = in[i].z;
    const float rx = c * x - s * y;
    const float ry = s * x + c * y;
    out[i].x = rx * roi.width + roi.x_center;
    out[i].y = ry * roi.height + roi.y_center;
    out[i].z = z * roi.width;
  }
}

void ProjectLandmarksFromRoiPixels(const Landmark* in, int n, const NormalizedRect& roi,
                                   int image_w, int image_h, Landmark* out) {
  const double W = image_w, H = image_h;
  const double c = std::cos(static_cast<double>(roi.rotation));
  const double s = std::sin(static_cast<double>(roi.rotation));
  const double w = roi.width * W, h = roi.height * H;  // ROI size in pixels
  const double cx = roi.x_center * W, cy = roi.y_center * H;
  // Length of the ROI's unit x vector in the normalised image frame.
  const double zscale = w * std::sqrt(c * c / (W * W) + s * s / (H * H));
  for (int i = 0; i < n; ++i) {
    const double x = (in[i].x - 0.5) * w;
    const double y = (in[i].y - 0.5) * h;
    out[i].x = static_cast<float>((cx + c * x - s * y) / W);
    out[i].y = static_cast<float>((cy + s * x + c * y) / H);
    out[i].z = static_cast<float>(in[i].z * zscale);
  }
}

float FacePresenceScore(float raw_logit) { return 1.0f / (1.0f + std::exp(-raw_logit)); }

namespace {

float RectIoU(const NormalizedRect& a, const NormalizedRect& b) {
  // Corners as AssociationNormRectCalculator builds them: centre - size/2.0 in double.
  const float ax = static_cast<float>(a.x_center - a.width / 2.0);
  const float ay = static_cast<float>(a.y_center - a.height / 2.0);
  const float bx = static_cast<float>(b.x_center - b.width / 2.0);
  const float by = static_cast<float>(b.y_center - b.height / 2.0);
  return BoxIoU(bx, by, b.width, b.height, ax, ay, a.width, a.height);
}

}  // namespace

void AssociateRects(const std::vector<const std::vector<NormalizedRect>*>& lists,
                    float min_similarity_threshold, std::vector<NormalizedRect>* out) {
  std::list<NormalizedRect> result;
  auto add = [&](const NormalizedRect& rect) {
    for (auto it = result.begin(); it != result.end();) {
      if (RectIoU(rect, *it) > min_similarity_threshold)
        it = result.erase(it);
      else
        ++it;
    }
    result.push_back(rect);
  };
  bool seeded = false;
  for (const std::vector<NormalizedRect>* list : lists) {
    if (list == nullptr || list->empty()) continue;
    size_t start = 0;
    if (!seeded) {
      result.push_back((*list)[0]);
      start = 1;
      seeded = true;
    }
    for (size_t i = start; i < list->size(); ++i) add((*list)[i]);
  }
  out->assign(result.begin(), result.end());
}

void RefineFaceLandmarks(const Landmark* mesh, const Landmark* lips, const Landmark* left_eye,
                         const Landmark* right_eye, const Landmark* left_iris,
                         const Landmark* right_iris, Landmark* out) {
  for (int i = 0; i < kRefinedLandmarks; ++i) out[i] = Landmark{};
  for (int i = 0; i < kMeshLandmarks; ++i) out[i] = mesh[i];
  auto refine_xy = [out](const Landmark* src, const int* map, int count) {
    for (int i = 0; i < count; ++i) {
      out[map[i]].x = src[i].x;
      out[map[i]].y = src[i].y;
    }
  };
  refine_xy(lips, kLipsRefinementIndices, kLipsLandmarks);
  refine_xy(left_eye, kLeftEyeRefinementIndices, kEyeLandmarks);
  refine_xy(right_eye, kRightEyeRefinementIndices, kEyeLandmarks);
  auto refine_iris = [out, &refine_xy](const Landmark* src, const int* map, const int* avg) {
    refine_xy(src, map, kIrisLandmarks);
    double sum = 0.0;
    for (int i = 0; i < 16; ++i) sum += out[avg[i]].z;
    const float z = static_cast<float>(sum / 16);
    for (int i = 0; i < kIrisLandmarks; ++i) out[map[i]].z = z;
  };
  refine_iris(left_iris, kLeftIrisRefinementIndices, kLeftIrisZAverageIndices);
  refine_iris(right_iris, kRightIrisRefinementIndices, kRightIrisZAverageIndices);
}

}  // namespace fmn
