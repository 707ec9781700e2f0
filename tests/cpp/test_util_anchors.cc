// SSD anchors: the face detector's 896 anchors against an independent re-derivation and
// against values produced by MediaPipe 0.10.21's own SsdAnchorsCalculator
// (/work/notes/geometry_refgen.py; equivalently the numpy formula
//   centres = [((x + 0.5) / fs, (y + 0.5) / fs) for fs, per_cell in ((16, 2), (8, 6))
//              for y in range(fs) for x in range(fs) for _ in range(per_cell)]).
#define FMN_TEST_MAIN
#include "testing.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "util/anchors.h"

using namespace fmn;

TEST(face_anchor_count_and_grid_match_independent_derivation) {
  const std::vector<Anchor> a = GenerateSsdAnchors(FaceDetectionShortRangeAnchorOptions());
  CHECK(a.size() == 896u);
  // Independent: stride 8 -> 16x16 grid with 2 anchors per cell (aspect 1 + interpolated);
  // the three stride-16 layers share one 8x8 grid with 3 x 2 anchors per cell.
  struct Group { int fs, per_cell; };
  const Group groups[] = {{16, 2}, {8, 6}};
  size_t i = 0;
  for (const Group& g : groups)
    for (int y = 0; y < g.fs; ++y)
      for (int x = 0; x < g.fs; ++x)
        for (int k = 0; k < g.per_cell; ++k, ++i) {
          if (i >= a.size()) break;
          CHECK_NEAR(a[i].x_center, (x + 0.5) / g.fs, 1e-7);
          CHECK_NEAR(a[i].y_center, (y + 0.5) / g.fs, 1e-7);
          CHECK(a[i].w == 1.0f && a[i].h == 1.0f);
        }
  CHECK(i == 896u);
}

TEST(face_anchors_match_mediapipe_calculator_output) {
  // index, x_center, y_center, w, h as printed by geometry_refgen.py from SsdAnchorsCalculator.
  const float ref[][5] = {
      {0, 0.03125f, 0.03125f, 1, 1},   {1, 0.03125f, 0.03125f, 1, 1},
      {2, 0.09375f, 0.03125f, 1, 1},   {3, 0.09375f, 0.03125f, 1, 1},
      {510, 0.96875f, 0.96875f, 1, 1}, {511, 0.96875f, 0.96875f, 1, 1},
      {512, 0.0625f, 0.0625f, 1, 1},   {517, 0.0625f, 0.0625f, 1, 1},
      {890, 0.9375f, 0.9375f, 1, 1},   {895, 0.9375f, 0.9375f, 1, 1}};
  const std::vector<Anchor> a = GenerateSsdAnchors(FaceDetectionShortRangeAnchorOptions());
  for (const auto& r : ref) {
    const Anchor& x = a[static_cast<size_t>(r[0])];
    CHECK(x.x_center == r[1] && x.y_center == r[2] && x.w == r[3] && x.h == r[4]);
  }
}

TEST(anchor_sizes_follow_scale_schedule_when_not_fixed) {
  SsdAnchorOptions o;
  o.input_size_width = 64;
  o.input_size_height = 32;
  o.min_scale = 0.2f;
  o.max_scale = 0.8f;
  o.num_layers = 3;
  o.strides = {8, 16, 32};
  o.aspect_ratios = {1.0f, 4.0f};
  o.interpolated_scale_aspect_ratio = 1.0f;
  o.fixed_anchor_size = false;
  const std::vector<Anchor> a = GenerateSsdAnchors(o);
  // Independent: layer l scale s_l = 0.2 + 0.6 * l / 2; per cell anchors: ratio 1 (s, s),
  // ratio 4 (w = 2s, h = s/2), interpolated sqrt(s_l * s_{l+1}) (s_3 = 1).
  const int fw[] = {8, 4, 2}, fh[] = {4, 2, 1};
  size_t i = 0;
  for (int l = 0; l < 3; ++l) {
    const double s = 0.2 + 0.6 * l / 2.0;
    const double s_next = l == 2 ? 1.0 : 0.2 + 0.6 * (l + 1) / 2.0;
    const double ws[] = {s, 2 * s, std::sqrt(s * s_next)};
    const double hs[] = {s, s / 2, std::sqrt(s * s_next)};
    for (int y = 0; y < fh[l]; ++y)
      for (int x = 0; x < fw[l]; ++x)
        for (int k = 0; k < 3; ++k, ++i) {
          CHECK(i < a.size());
          if (i >= a.size()) return;
          CHECK_NEAR(a[i].x_center, (x + 0.5) / fw[l], 1e-6);
          CHECK_NEAR(a[i].y_center, (y + 0.5) / fh[l], 1e-6);
          CHECK_NEAR(a[i].w, ws[k], 1e-6);
          CHECK_NEAR(a[i].h, hs[k], 1e-6);
        }
  }
  CHECK(i == a.size());
}

TEST(anchor_options_are_validated) {
  SsdAnchorOptions o = FaceDetectionShortRangeAnchorOptions();
  o.num_layers = 3;
  CHECK_THROWS(GenerateSsdAnchors(o), std::invalid_argument);
  o = FaceDetectionShortRangeAnchorOptions();
  o.strides.clear();
  CHECK_THROWS(GenerateSsdAnchors(o), std::invalid_argument);
}

TEST(full_range_anchors_one_per_cell_of_a_48_grid) {
  // face_detection_full_range: one layer of stride 4 on 192 x 192, no interpolated anchor
  // (interpolated_scale_aspect_ratio 0): anchor k sits at cell (k % 48, k / 48), unit size.
  SsdAnchorOptions o = FaceDetectionShortRangeAnchorOptions();
  o.input_size_width = o.input_size_height = 192;
  o.num_layers = 1;
  o.strides = {4};
  o.interpolated_scale_aspect_ratio = 0.0f;
  const std::vector<Anchor> a = GenerateSsdAnchors(o);
  CHECK(a.size() == 2304u);
  for (size_t k = 0; k < a.size(); ++k) {
    CHECK_NEAR(a[k].x_center, (static_cast<double>(k % 48) + 0.5) / 48, 1e-7);
    CHECK_NEAR(a[k].y_center, (static_cast<double>(k / 48) + 0.5) / 48, 1e-7);
    CHECK(a[k].w == 1.0f && a[k].h == 1.0f);
  }
}
