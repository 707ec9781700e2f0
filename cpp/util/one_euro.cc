#include "util/one_euro.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fmn {

float LowPassFilter::ApplyWithAlpha(float value, float alpha) {
  if (alpha >= 0.0f && alpha <= 1.0f) alpha_ = alpha;
  float result;
  if (initialized_) {
    result = static_cast<float>(alpha_ * value + (1.0 - alpha_) * stored_value_);
  } else {
    result = value;
    initialized_ = true;
  }
  raw_value_ = value;
  stored_value_ = result;
  return result;
}

namespace {
constexpr double kEpsilon = 0.000001;
constexpr double kPi = 3.14159265358979323846;
}  // namespace

OneEuroFilter::OneEuroFilter(const OneEuroParams& p)
    : frequency_(p.frequency > kEpsilon ? p.frequency : 30.0),
      min_cutoff_(p.min_cutoff > kEpsilon ? p.min_cutoff : 1.0),
      beta_(p.beta),
      derivate_cutoff_(p.derivate_cutoff > kEpsilon ? p.derivate_cutoff : 1.0) {
  x_ = LowPassFilter(static_cast<float>(Alpha(min_cutoff_)));
  dx_ = LowPassFilter(static_cast<float>(Alpha(derivate_cutoff_)));
}

double OneEuroFilter::Alpha(double cutoff) const {
  const double te = 1.0 / frequency_;
  const double tau = 1.0 / (2 * kPi * cutoff);
  return 1.0 / (1.0 + tau / te);
}

double OneEuroFilter::Apply(double timestamp_s, double value_scale, double value) {
  const int64_t t_ns = static_cast<int64_t>(std::llround(timestamp_s * 1e9));
  if (last_time_ns_ >= t_ns) return value;
  if (last_time_ns_ != 0 && t_ns != 0)
    frequency_ = 1.0 / (static_cast<double>(t_ns - last_time_ns_) * 1e-9);
  last_time_ns_ = t_ns;

  const double dvalue = x_.has_last_raw_value()
                            ? (value - x_.last_raw_value()) * value_scale * frequency_
                            : 0.0;
  const double edvalue = dx_.ApplyWithAlpha(static_cast<float>(dvalue),
                                            static_cast<float>(Alpha(derivate_cutoff_)));
  const double cutoff = min_cutoff_ + beta_ * std::fabs(edvalue);
  return x_.ApplyWithAlpha(static_cast<float>(value), static_cast<float>(Alpha(cutoff)));
}

float LandmarksObjectScale(const Landmark* lm, int n) {
  if (n <= 0) throw std::invalid_argument("LandmarksObjectScale: no landmarks");
  float x0 = lm[0].x, x1 = lm[0].x, y0 = lm[0].y, y1 = lm[0].y;
  for (int i = 1; i < n; ++i) {
    x0 = std::min(x0, lm[i].x);
    x1 = std::max(x1, lm[i].x);
    y0 = std::min(y0, lm[i].y);
    y1 = std::max(y1, lm[i].y);
  }
  return ((x1 - x0) + (y1 - y0)) / 2.0f;
}

void LandmarksOneEuroSmoother::Apply(const Landmark* in, int n, double timestamp_s,
                                     float object_scale, Landmark* out) {
  if (filters_.empty()) {
    filters_.assign(static_cast<size_t>(n) * 3, OneEuroFilter(params_));
  } else if (filters_.size() != static_cast<size_t>(n) * 3) {
    throw std::invalid_argument("LandmarksOneEuroSmoother: landmark count changed");
  }
  if (object_scale < min_allowed_object_scale_) {
    if (out != in) std::copy(in, in + n, out);
    return;
  }
  const float value_scale = 1.0f / object_scale;
  for (int i = 0; i < n; ++i) {
    const Landmark v = in[i];
    OneEuroFilter* f = &filters_[static_cast<size_t>(i) * 3];
    out[i].x = static_cast<float>(f[0].Apply(timestamp_s, value_scale, v.x));
    out[i].y = static_cast<float>(f[1].Apply(timestamp_s, value_scale, v.y));
    out[i].z = static_cast<float>(f[2].Apply(timestamp_s, value_scale, v.z));
  }
}

}  // namespace fmn
