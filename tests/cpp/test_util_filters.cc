// One-euro filter against a direct evaluation of its recurrence written here in double:
//   te = t_k - t_{k-1} (1/frequency before two samples), alpha(fc) = 1 / (1 + 1/(2*pi*fc*te)),
//   dx_k = (x_k - x_{k-1}) * scale / te (0 for the first sample), edx_k = lowpass(dx, alpha(dc)),
//   fc_k = min_cutoff + beta * |edx_k|, y_k = alpha(fc_k) * x_k + (1 - alpha(fc_k)) * y_{k-1},
// first sample passing through.
#define FMN_TEST_MAIN
#include "testing.h"

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "util/one_euro.h"

using namespace fmn;

namespace {

constexpr double kPi = 3.14159265358979323846;

struct RefOneEuro {
  double min_cutoff, beta, dcutoff, freq;
  bool started = false;
  double last_t = 0, last_x = 0, y = 0, edx = 0;
  double alpha(double fc, double te) const { return 1.0 / (1.0 + 1.0 / (2 * kPi * fc * te)); }
  double Apply(double t, double scale, double x) {
    double te = 1.0 / freq;
    if (started) te = t - last_t;
    const double dx = started ? (x - last_x) * scale / te : 0.0;
    edx = started ? alpha(dcutoff, te) * dx + (1 - alpha(dcutoff, te)) * edx : dx;
    const double fc = min_cutoff + beta * std::fabs(edx);
    y = started ? alpha(fc, te) * x + (1 - alpha(fc, te)) * y : x;
    started = true;
    last_t = t;
    last_x = x;
    return y;
  }
};

}  // namespace

TEST(one_euro_matches_direct_recurrence) {
  const double scales[] = {1.0, 1.0 / 0.35, 1.0 / 180.0};
  for (double scale : scales) {
    OneEuroFilter f;  // landmarker defaults: 0.05, 80, 1.0, 30 Hz start
    RefOneEuro ref{0.05, 80.0, 1.0, 30.0};
    std::mt19937 rng(1);
    std::uniform_real_distribution<double> jitter(0.02, 0.05), noise(-0.003, 0.003);
    double t = 0.5;
    double max_err = 0, max_dev = 0;
    for (int k = 0; k < 300; ++k) {
      t += jitter(rng);
      const double x = (0.4 + 0.1 * std::sin(3 * t) + noise(rng)) / (scale == 1.0 ? 1.0 : scale);
      const double y = f.Apply(t, scale, x);
      const double r = ref.Apply(t, scale, x);
      max_err = std::max(max_err, std::fabs(y - r) * scale);
      max_dev = std::max(max_dev, std::fabs(y - x) * scale);
    }
    CHECK(max_err < 2e-5);  // float state upstream vs double here
    CHECK(max_dev > 1e-3);  // the filter actually smooths
  }
}

TEST(one_euro_first_sample_and_frequency_rules) {
  OneEuroFilter f;
  CHECK(f.Apply(1.0, 1.0, 5.0) == 5.0);  // first sample passes through
  // Second sample 1/30 s later: dx = 3 * 30 = 90, edx = alpha(1 Hz) * 90, cutoff from it.
  const double te = 1.0 / 30.0;
  auto alpha = [te](double fc) { return 1.0 / (1.0 + 1.0 / (2 * kPi * fc * te)); };
  const double edx = alpha(1.0) * 90.0;
  const double a = alpha(0.05 + 80.0 * edx);
  CHECK_NEAR(f.Apply(1.0 + te, 1.0, 8.0), a * 8.0 + (1 - a) * 5.0, 1e-5);
  // A timestamp not later than the previous returns the raw value and keeps the state.
  CHECK(f.Apply(1.0, 1.0, 123.0) == 123.0);
  CHECK(f.Apply(1.0 + te, 1.0, -7.0) == -7.0);
  // Upstream quirk: the previous timestamp starts at 0, so t = 0 first passes unfiltered and
  // does not initialise the filter.
  OneEuroFilter g;
  CHECK(g.Apply(0.0, 1.0, 2.0) == 2.0);
  CHECK(g.Apply(0.1, 1.0, 3.0) == 3.0);  // this is the real first sample
}

TEST(low_pass_filter_recurrence) {
  LowPassFilter lp;
  CHECK(lp.ApplyWithAlpha(2.0f, 0.25f) == 2.0f);
  CHECK_NEAR(lp.ApplyWithAlpha(6.0f, 0.25f), 0.25 * 6 + 0.75 * 2, 1e-6);
  CHECK(lp.last_raw_value() == 6.0f);
  // An alpha outside [0, 1] is ignored: the previous 0.25 is used.
  CHECK_NEAR(lp.ApplyWithAlpha(10.0f, 1.5f), 0.25 * 10 + 0.75 * 3, 1e-6);
}

TEST(landmark_smoother_filters_each_axis_and_respects_min_scale) {
  std::vector<Landmark> a(3), b(3), out(3);
  for (int i = 0; i < 3; ++i) a[i] = {100.0f + i, 200.0f - i, 5.0f * i}, b[i] = {104.0f + i, 190.0f, 1.0f};
  const float scale = LandmarksObjectScale(a.data(), 3);
  CHECK_NEAR(scale, (2.0 + 2.0) / 2, 1e-6);
  LandmarksOneEuroSmoother s;
  s.Apply(a.data(), 3, 0.5, 50.0f, out.data());
  CHECK(out[2].z == a[2].z);
  s.Apply(b.data(), 3, 0.5 + 1.0 / 30, 50.0f, out.data());
  OneEuroFilter fx, fz;
  fx.Apply(0.5, 1.0 / 50.0f, a[1].x);
  fz.Apply(0.5, 1.0 / 50.0f, a[1].z);
  CHECK_NEAR(out[1].x, fx.Apply(0.5 + 1.0 / 30, 1.0 / 50.0f, b[1].x), 1e-4);
  CHECK_NEAR(out[1].z, fz.Apply(0.5 + 1.0 / 30, 1.0 / 50.0f, b[1].z), 1e-4);
  CHECK(std::fabs(out[1].x - b[1].x) > 1e-3);
  // Object scale below the minimum: returned as is.
  s.Apply(a.data(), 3, 0.6, 1e-7f, out.data());
  CHECK(out[0].x == a[0].x && out[2].z == a[2].z);
  CHECK_THROWS(s.Apply(a.data(), 2, 0.7, 50.0f, out.data()), std::invalid_argument);
  s.Reset();
  s.Apply(a.data(), 2, 0.7, 50.0f, out.data());
  CHECK(out[0].x == a[0].x);
}
