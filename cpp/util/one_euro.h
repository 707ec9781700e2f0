// One-euro landmark smoothing as in MediaPipe's util/filtering (one_euro_filter.cc,
// low_pass_filter.cc) and the OneEuro path of landmarks_smoothing_calculator_utils.cc.
// The legacy FaceMesh solution does no smoothing; the Tasks face landmarker uses these
// parameters for a single face.
#pragma once

#include <cstdint>
#include <vector>

#include "util/geometry.h"

namespace fmn {

struct OneEuroParams {
  double frequency = 30.0;       // Hz, used until two timestamps give a real interval
  double min_cutoff = 0.05;      // Hz
  double beta = 80.0;            // cutoff slope per unit of scaled speed
  double derivate_cutoff = 1.0;  // Hz
};

// First-order low-pass stage; state is float as upstream.
class LowPassFilter {
 public:
  explicit LowPassFilter(float alpha = 1.0f) : alpha_(alpha) {}
  // result = alpha * value + (1 - alpha) * previous result; the first value passes through.
  // An alpha outside [0, 1] is ignored (the previous alpha is kept).
  float ApplyWithAlpha(float value, float alpha);
  bool has_last_raw_value() const { return initialized_; }
  float last_raw_value() const { return raw_value_; }
  float last_value() const { return stored_value_; }

 private:
  float alpha_;
  bool initialized_ = false;
  float raw_value_ = 0.0f;
  float stored_value_ = 0.0f;
};

// One scalar one-euro filter.
class OneEuroFilter {
 public:
  explicit OneEuroFilter(const OneEuroParams& params = OneEuroParams());

  // Filters value observed at timestamp_s (seconds; converted to whole nanoseconds as
  // upstream's absl::Duration is). value_scale multiplies the speed estimate (1/object scale
  // in the value's units). A timestamp not later than the previous one returns value
  // unchanged and leaves the state alone; note that, as upstream, the previous timestamp
  // starts at 0, so a first timestamp of exactly 0 passes through unfiltered. The sampling
  // frequency is 1/(t - t_prev) once two timestamps have been seen, params.frequency before.
  double Apply(double timestamp_s, double value_scale, double value);

 private:
  double Alpha(double cutoff) const;

  double frequency_;
  double min_cutoff_;
  double beta_;
  double derivate_cutoff_;
  LowPassFilter x_;
  LowPassFilter dx_;
  int64_t last_time_ns_ = 0;
};

// Object scale of a landmark set: mean of its axis-aligned bounding box width and height, in
// the landmarks' units (upstream converts normalised landmarks to pixels first: x*W, y*H,
// z*W). n must be > 0.
float LandmarksObjectScale(const Landmark* landmarks, int n);

// Per-landmark, per-axis one-euro smoothing (OneEuroFilterImpl of the smoothing calculator).
// Landmarks and object_scale share one unit (pixels, as the landmarker feeds it). When
// object_scale < min_allowed_object_scale the input is returned unchanged; otherwise
// value_scale = 1/object_scale. Filters are created on first use for n landmarks; a different
// n later throws std::invalid_argument. in and out may alias.
class LandmarksOneEuroSmoother {
 public:
  explicit LandmarksOneEuroSmoother(const OneEuroParams& params = OneEuroParams(),
                                    float min_allowed_object_scale = 1e-6f)
      : params_(params), min_allowed_object_scale_(min_allowed_object_scale) {}

  void Apply(const Landmark* in, int n, double timestamp_s, float object_scale, Landmark* out);
  void Reset() { filters_.clear(); }

 private:
  OneEuroParams params_;
  float min_allowed_object_scale_;
  std::vector<OneEuroFilter> filters_;  // 3 per landmark: x, y, z
};

}  // namespace fmn
