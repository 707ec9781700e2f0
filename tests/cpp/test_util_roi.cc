// ROI geometry: letterbox, crop matrices, projections, ROI construction, association and the
// 478-point refinement. Cross-checked against independent geometry written here and against
// values produced by MediaPipe 0.10.21's own calculators (/work/notes/geometry_refgen.py).
#define FMN_TEST_MAIN
#include "testing.h"

#include <cmath>
#include <set>
#include <stdexcept>
#include <vector>

#include "util/face_refinement_indices.h"
#include "util/image_to_tensor.h"
#include "util/roi.h"

using namespace fmn;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Independent rotated-rect corner: centre + R(rot) * (sx * w/2, sy * h/2), pixels.
void Corner(const RotatedRect& r, double sx, double sy, double* x, double* y) {
  const double c = std::cos(r.rotation), s = std::sin(r.rotation);
  const double dx = sx * r.width / 2, dy = sy * r.height / 2;
  *x = r.center_x + c * dx - s * dy;
  *y = r.center_y + s * dx + c * dy;
}

void CheckRect(const NormalizedRect& r, const float ref[5], double tol) {
  CHECK_NEAR(r.x_center, ref[0], tol);
  CHECK_NEAR(r.y_center, ref[1], tol);
  CHECK_NEAR(r.width, ref[2], tol);
  CHECK_NEAR(r.height, ref[3], tol);
  CHECK_NEAR(r.rotation, ref[4], tol);
}

}  // namespace

TEST(letterbox_pads_to_centred_square) {
  RotatedRect r = ImageRoiPixels(640, 480, nullptr);
  std::array<float, 4> pad = PadRoi(128, 128, true, &r);
  CHECK(r.width == 640.0f && r.height == 640.0f && r.center_x == 320.0f && r.center_y == 240.0f);
  CHECK_NEAR(pad[0], 0.0, 0);
  CHECK_NEAR(pad[1], (1.0 - 480.0 / 640.0) / 2, 1e-7);
  CHECK_NEAR(pad[3], pad[1], 0);
  RotatedRect t = ImageRoiPixels(300, 500, nullptr);
  pad = PadRoi(128, 128, true, &t);
  CHECK(t.width == 500.0f && t.height == 500.0f);
  CHECK_NEAR(pad[0], 0.2, 1e-7);
  CHECK_NEAR(pad[1], 0.0, 0);
  RotatedRect u = t;
  pad = PadRoi(128, 128, false, &u);
  CHECK(pad[0] == 0 && pad[1] == 0 && u.width == t.width);
  RotatedRect bad{0, 0, 0, 10, 0};
  CHECK_THROWS(PadRoi(128, 128, true, &bad), std::invalid_argument);
}

TEST(letterbox_matrix_maps_tensor_to_image) {
  // 640x480 image letterboxed into 128x128: the padded square spans y in [-80, 560] px.
  RotatedRect r = ImageRoiPixels(640, 480, nullptr);
  PadRoi(128, 128, true, &r);
  const std::array<float, 16> m = RoiToImageMatrix(r, 640, 480);
  auto map = [&m](double x, double y, double* ox, double* oy) {
    *ox = m[0] * x + m[1] * y + m[3];
    *oy = m[4] * x + m[5] * y + m[7];
  };
  double x, y;
  map(0.5, 0.5, &x, &y);
  CHECK_NEAR(x, 0.5, 1e-6);
  CHECK_NEAR(y, 0.5, 1e-6);
  map(0.0, 0.125, &x, &y);  // top of the real image content
  CHECK_NEAR(x, 0.0, 1e-6);
  CHECK_NEAR(y, 0.0, 1e-6);
  map(1.0, 0.875, &x, &y);
  CHECK_NEAR(x, 1.0, 1e-6);
  CHECK_NEAR(y, 1.0, 1e-6);
  CHECK_NEAR(m[10], 1.0, 1e-7);  // z scale = roi width / image width

  // Detection projection: the letterboxed box maps to the image box; keypoints alike.
  Detection d;
  d.xmin = 0.25f, d.ymin = 0.25f, d.width = 0.5f, d.height = 0.25f;
  d.keypoints[0] = {0.5f, 0.5f};
  std::vector<Detection> v{d};
  ProjectDetections(m, &v);
  CHECK_NEAR(v[0].xmin, 0.25, 1e-6);
  CHECK_NEAR(v[0].ymin, (0.25 * 640 - 80) / 480, 1e-6);
  CHECK_NEAR(v[0].width, 0.5, 1e-6);
  CHECK_NEAR(v[0].height, 0.25 * 640 / 480, 1e-6);
  CHECK_NEAR(v[0].keypoints[0].y, 0.5, 1e-6);
}

TEST(rotated_projection_takes_axis_aligned_bounds_of_corners) {
  const RotatedRect sub{300.0f, 200.0f, 120.0f, 80.0f, 0.6f};
  const std::array<float, 16> m = RoiToImageMatrix(sub, 640, 480);
  Detection d;
  d.xmin = 0.1f, d.ymin = 0.2f, d.width = 0.5f, d.height = 0.6f;
  std::vector<Detection> v{d};
  ProjectDetections(m, &v);
  // Independent: tensor point (u, v) -> pixel centre + R * ((u-0.5)*w, (v-0.5)*h).
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  const double us[] = {0.1, 0.6}, vs[] = {0.2, 0.8};
  for (double u : us)
    for (double w : vs) {
      double px, py;
      Corner(sub, 2 * (u - 0.5), 2 * (w - 0.5), &px, &py);
      x0 = std::min(x0, px / 640), x1 = std::max(x1, px / 640);
      y0 = std::min(y0, py / 480), y1 = std::max(y1, py / 480);
    }
  CHECK_NEAR(v[0].xmin, x0, 1e-6);
  CHECK_NEAR(v[0].ymin, y0, 1e-6);
  CHECK_NEAR(v[0].width, x1 - x0, 1e-6);
  CHECK_NEAR(v[0].height, y1 - y0, 1e-6);
}

TEST(crop_matrix_maps_tensor_corners_to_rotated_rect_corners) {
  const RotatedRect rois[] = {{320.5f, 240.25f, 200.0f, 150.0f, 0.0f},
                              {100.0f, 300.0f, 192.0f, 192.0f, 0.7f},
                              {50.0f, 60.0f, 90.0f, 120.0f, -2.5f},
                              {400.0f, 100.0f, 300.0f, 300.0f, 3.14159f}};
  for (const RotatedRect& r : rois) {
    const int W = 192, H = 192;
    const RotatedRectPx rp = ToRotatedRectPx(r);
    const std::array<double, 9> m = CropSamplingMatrix(rp, W, H);
    auto map = [&m](double i, double j, double* x, double* y) {
      const double w = m[6] * i + m[7] * j + m[8];
      *x = (m[0] * i + m[1] * j + m[2]) / w;
      *y = (m[3] * i + m[4] * j + m[5]) / w;
    };
    const double tensor_pts[4][2] = {{0, 0}, {double(W), 0}, {0, double(H)}, {double(W), double(H)}};
    const double signs[4][2] = {{-1, -1}, {1, -1}, {-1, 1}, {1, 1}};
    for (int k = 0; k < 4; ++k) {
      double x, y, ex, ey;
      map(tensor_pts[k][0], tensor_pts[k][1], &x, &y);
      Corner(r, signs[k][0], signs[k][1], &ex, &ey);
      CHECK_NEAR(x, ex, 2e-4);
      CHECK_NEAR(y, ey, 2e-4);
    }
    // Output pixel i samples left + i * w / W along the rect's x axis (no half-pixel shift).
    double x, y, tlx, tly;
    map(10, 0, &x, &y);
    Corner(r, -1, -1, &tlx, &tly);
    CHECK_NEAR(x, tlx + 10.0 * r.width / W * std::cos(r.rotation), 2e-4);
    CHECK_NEAR(y, tly + 10.0 * r.width / W * std::sin(r.rotation), 2e-4);
    // boxPoints order: bottom-left, top-left, top-right, bottom-right.
    const std::array<Point2f, 4> c = BoxCorners(rp);
    double bx, by;
    Corner(r, -1, 1, &bx, &by);
    CHECK_NEAR(c[0].x, bx, 2e-4);
    CHECK_NEAR(c[0].y, by, 2e-4);
  }
}

TEST(landmark_projection_round_trip_on_square_image) {
  // On a square image the NORM_RECT projection is rigid: a landmark at the ROI tensor's corner
  // lands on the rotated rect's corner, and any tensor pixel agrees with the crop matrix.
  const int S = 512;
  const NormalizedRect roi{0.45f, 0.55f, 0.4f, 0.4f, 0.9f};
  const RotatedRect px = ImageRoiPixels(S, S, &roi);
  const std::array<double, 9> a = CropSamplingMatrix(ToRotatedRectPx(px), 192, 192);
  const float ij[][2] = {{0, 0}, {192, 0}, {0, 192}, {192, 192}, {37, 150}};
  for (const auto& p : ij) {
    Landmark in{p[0] / 192.0f, p[1] / 192.0f, 0.1f}, out;
    ProjectLandmarksFromRoi(&in, 1, roi, &out);
    const double w = a[6] * p[0] + a[7] * p[1] + a[8];
    const double ex = (a[0] * p[0] + a[1] * p[1] + a[2]) / w / S;
    const double ey = (a[3] * p[0] + a[4] * p[1] + a[5]) / w / S;
    CHECK_NEAR(out.x, ex, 2e-6);
    CHECK_NEAR(out.y, ey, 2e-6);
    CHECK_NEAR(out.z, 0.1 * 0.4, 1e-7);
  }
  Landmark corner{0, 0, 0}, out;
  ProjectLandmarksFromRoi(&corner, 1, roi, &out);
  double cx, cy;
  Corner(px, -1, -1, &cx, &cy);
  CHECK_NEAR(out.x * S, cx, 1e-3);
  CHECK_NEAR(out.y * S, cy, 1e-3);
}

TEST(landmark_projection_matches_mediapipe_on_non_square_rect) {
  // in x, y, z -> out x, y, z; rect (0.1, 0.6, 0.5, 0.3, rotation 0.4), LandmarkProjection
  // calculator with NORM_RECT only.
  const float rows[][6] = {
      {0.54334408f, 0.797997892f, 0.975904047f, 0.0619383529f, 0.687406003f, 0.487952024f},
      {0.0508898199f, 0.121124253f, 0.85944438f, -0.0330583677f, 0.442842185f, 0.42972219f},
      {0.673425972f, 0.765167356f, 1.09612536f, 0.128237441f, 0.693531215f, 0.548062682f},
      {1.02701592f, 0.911630094f, 0.832538962f, 0.262558728f, 0.775309861f, 0.416269481f},
      {0.37402305f, 0.669474959f, 0.121334769f, 0.00898545235f, 0.632111728f, 0.0606673844f},
      {0.81139338f, 0.809228778f, 0.765554249f, 0.183196485f, 0.721824288f, 0.382777125f}};
  const NormalizedRect roi{0.1f, 0.6f, 0.5f, 0.3f, 0.4f};
  for (const auto& r : rows) {
    Landmark lm{r[0], r[1], r[2]};
    ProjectLandmarksFromRoi(&lm, 1, roi, &lm);  // in place
    CHECK_NEAR(lm.x, r[3], 1e-7);
    CHECK_NEAR(lm.y, r[4], 1e-7);
    CHECK_NEAR(lm.z, r[5], 1e-7);
  }
}

TEST(normalize_radians_edge_cases) {
  auto ref = [](double a) { return a - 2 * kPi * std::floor((a + kPi) / (2 * kPi)); };
  const float angles[] = {0.0f, 1.0f, -1.0f, float(kPi), -float(kPi), 3.5f, -3.5f, 7.0f,
                          -7.0f, 100.0f, float(2 * kPi) + 0.1f, -float(2 * kPi) - 0.1f};
  for (float a : angles) {
    const float n = NormalizeRadians(a);
    CHECK_NEAR(n, ref(a), 1e-6);
    CHECK(n >= -float(kPi) - 1e-6f && n < float(kPi) + 1e-6f);
  }
  CHECK_NEAR(NormalizeRadians(float(kPi)), -kPi, 1e-6);  // +pi wraps to -pi
  CHECK_NEAR(NormalizeRadians(3.5f), 3.5 - 2 * kPi, 1e-6);
}

TEST(rotation_from_keypoints) {
  // Eyes level: rotation 0. Second eye straight below the first in pixels: atan2(-dy, 0) is
  // -pi/2, so rotation = +pi/2. Non-square image: the angle is measured in pixels.
  NormalizedRect r = BoxToRotatedRect(0.2f, 0.2f, 0.4f, 0.4f, {0.3f, 0.4f}, {0.5f, 0.4f}, 640, 480);
  CHECK_NEAR(r.rotation, 0.0, 1e-7);
  CHECK_NEAR(r.x_center, 0.4, 1e-7);
  r = BoxToRotatedRect(0.2f, 0.2f, 0.4f, 0.4f, {0.3f, 0.3f}, {0.3f, 0.5f}, 640, 480);
  CHECK_NEAR(r.rotation, kPi / 2, 1e-6);
  r = BoxToRotatedRect(0, 0, 1, 1, {0.1f, 0.1f}, {0.2f, 0.2f}, 640, 480);
  CHECK_NEAR(r.rotation, std::atan2(0.1 * 480, 0.1 * 640), 1e-6);
  r = BoxToRotatedRect(0, 0, 1, 1, {0.5f, 0.5f}, {0.4f, 0.5f}, 640, 480);  // reversed eyes
  CHECK_NEAR(std::fabs(r.rotation), kPi, 1e-6);
}

TEST(square_long_is_square_in_pixels) {
  RectTransformOptions o;
  o.scale_x = o.scale_y = 1.5f;
  o.square_long = true;
  const NormalizedRect in{0.5f, 0.5f, 0.2f, 0.4f, 0.3f};
  const NormalizedRect out = TransformNormalizedRect(in, 640, 480, o);
  CHECK_NEAR(out.width * 640, out.height * 480, 1e-3);
  CHECK_NEAR(out.height * 480, 1.5 * 0.4 * 480, 1e-3);
  CHECK(out.rotation == in.rotation && out.x_center == in.x_center);
  o.square_long = false;
  o.scale_x = o.scale_y = 1.0f;
  o.shift_y = 0.5f;
  const NormalizedRect shifted = TransformNormalizedRect(in, 640, 480, o);
  // Shift of half the height along the rect's rotated y axis, in pixels.
  CHECK_NEAR(shifted.x_center * 640, 320 - 0.5 * 0.4 * 480 * std::sin(0.3), 1e-3);
  CHECK_NEAR(shifted.y_center * 480, 240 + 0.5 * 0.4 * 480 * std::cos(0.3), 1e-3);
}

TEST(detection_to_roi_matches_mediapipe) {
  // Detection rows (normalised image frame, 640x480) and the FaceDetectionFrontDetectionToRoi
  // subgraph's output from geometry_refgen.py.
  const float dets[][17] = {
      {0.598641276f, 0.130255848f, 0.432788968f, 0.276524156f, 0.280596852f, 0.260185182f, 0.522465587f, 0.186343849f, 0.596335113f, 0.265447974f, 0.591377437f, 0.219053164f, 0.538148105f, 0.218565762f, 0.526718915f, 0.278288305f, 0.531902313f},
      {0.781854868f, 0.61412859f, 0.323560387f, 0.142935261f, 0.155650899f, 0.681121826f, 0.394326508f, 0.613103032f, 0.372018307f, 0.722756088f, 0.390904069f, 0.689648926f, 0.380492181f, 0.743324697f, 0.393954366f, 0.575575471f, 0.36042437f},
      {0.540765703f, 0.582567036f, 0.517504811f, 0.191485137f, 0.201164022f, 0.619682312f, 0.566212416f, 0.734840274f, 0.621128738f, 0.6807096f, 0.610574305f, 0.680229604f, 0.653517663f, 0.705937982f, 0.624032617f, 0.626166165f, 0.638802826f},
      {0.941961229f, 0.160463914f, 0.504362643f, 0.186962679f, 0.182302594f, 0.187712982f, 0.683942616f, 0.3269656f, 0.574664831f, 0.292531312f, 0.616777837f, 0.123267278f, 0.610363901f, 0.250878036f, 0.602004886f, 0.20010151f, 0.584376633f}};
  const float rois[][5] = {
      {0.268517911f, 0.573087394f, 0.41478622f, 0.553048372f, 2.49790859f},
      {0.685596228f, 0.401385844f, 0.214402884f, 0.285870522f, -2.90040278f},
      {0.678309619f, 0.618086815f, 0.28722769f, 0.382970273f, 0.343481243f},
      {0.253945261f, 0.59551394f, 0.280444026f, 0.373925358f, -0.531964302f}};
  for (int i = 0; i < 4; ++i) {
    Detection d;
    d.score = dets[i][0];
    d.xmin = dets[i][1], d.ymin = dets[i][2], d.width = dets[i][3], d.height = dets[i][4];
    for (int k = 0; k < 6; ++k) d.keypoints[k] = {dets[i][5 + 2 * k], dets[i][6 + 2 * k]};
    CheckRect(FaceDetectionToRoi(d, 640, 480), rois[i], 2e-7);
  }
}

TEST(landmarks_to_roi_matches_mediapipe_including_float_min_quirk) {
  // Clouds rebuilt from the generator's formula; cloud 1 lies entirely at negative x, so the
  // box's right edge stays at FLT_MIN (~0) exactly as upstream's LandmarksToDetection does.
  struct Cloud { int n; double x0, xs, y0, ys; float roi[5]; };
  const Cloud clouds[] = {
      {468, 0.3, 0.3, 0.2, 0.5, {0.449822068f, 0.449651062f, 0.561714888f, 0.748953104f, -1.26770377f}},
      {478, -0.4, 0.3, 0.1, 0.4, {-0.200000003f, 0.299720824f, 0.600000024f, 0.800000072f, -1.19815075f}}};
  for (const Cloud& c : clouds) {
    std::vector<Landmark> lm(static_cast<size_t>(c.n));
    for (int i = 0; i < c.n; ++i) {
      lm[i].x = float(c.x0 + c.xs * std::fmod(i * 0.6180339887, 1.0));
      lm[i].y = float(c.y0 + c.ys * std::fmod(i * 0.7548776662, 1.0));
      lm[i].z = float(0.01 * std::sin(double(i)));
    }
    CheckRect(FaceLandmarksToRoi(lm.data(), c.n, 640, 480), c.roi, 2e-7);
  }
  std::vector<Landmark> few(100);
  CHECK_THROWS(FaceLandmarksToRoi(few.data(), 100, 640, 480), std::invalid_argument);
}

TEST(association_matches_mediapipe_order_and_overlap_rule) {
  const std::vector<NormalizedRect> from_det = {{0.300000012f, 0.300000012f, 0.200000003f, 0.200000003f, 0},
                                                {0.310000002f, 0.300000012f, 0.200000003f, 0.200000003f, 0},
                                                {0.700000048f, 0.700000048f, 0.200000003f, 0.200000003f, -0.999807239f},
                                                {0.5f, 0.5f, 0.100000001f, 0.100000001f, 0}};
  const std::vector<NormalizedRect> tracked = {{0.720000029f, 0.710000038f, 0.200000003f, 0.200000003f, 0.299935132f},
                                               {0.100000001f, 0.900000036f, 0.100000001f, 0.100000001f, 0},
                                               {0.100000001f, 0.905000031f, 0.100000001f, 0.100000001f, 0}};
  const float expected[][5] = {{0.310000002f, 0.300000012f, 0.200000003f, 0.200000003f, 0},
                               {0.5f, 0.5f, 0.100000001f, 0.100000001f, 0},
                               {0.720000029f, 0.710000038f, 0.200000003f, 0.200000003f, 0.299935132f},
                               {0.100000001f, 0.905000031f, 0.100000001f, 0.100000001f, 0}};
  std::vector<NormalizedRect> out;
  AssociateRects({&from_det, &tracked}, 0.5f, &out);
  CHECK(out.size() == 4u);
  for (size_t i = 0; i < std::min<size_t>(4, out.size()); ++i) CheckRect(out[i], expected[i], 0);

  // Empty first list: the tracked list seeds the result (and still de-duplicates itself).
  const std::vector<NormalizedRect> none;
  AssociateRects({&none, &tracked}, 0.5f, &out);
  CHECK(out.size() == 2u);
  // Rotation is ignored: identical boxes with different rotations still overlap fully.
  const std::vector<NormalizedRect> a = {{0.5f, 0.5f, 0.2f, 0.2f, 0.0f}};
  const std::vector<NormalizedRect> b = {{0.5f, 0.5f, 0.2f, 0.2f, 1.2f}};
  AssociateRects({&a, &b}, 0.5f, &out);
  CHECK(out.size() == 1u && out[0].rotation == 1.2f);
}

TEST(refinement_index_tables_are_consistent) {
  std::set<int> all;
  for (int i = 0; i < kMeshLandmarks; ++i) all.insert(i);
  auto add = [&all](const int* m, int n, int lo, int hi) {
    std::set<int> own;
    for (int i = 0; i < n; ++i) {
      CHECK(m[i] >= lo && m[i] < hi);
      own.insert(m[i]);
      all.insert(m[i]);
    }
    CHECK(int(own.size()) == n);  // no duplicates inside a map
  };
  add(kLipsRefinementIndices, kLipsLandmarks, 0, kMeshLandmarks);
  add(kLeftEyeRefinementIndices, kEyeLandmarks, 0, kMeshLandmarks);
  add(kRightEyeRefinementIndices, kEyeLandmarks, 0, kMeshLandmarks);
  add(kLeftIrisRefinementIndices, kIrisLandmarks, kMeshLandmarks, kRefinedLandmarks);
  add(kRightIrisRefinementIndices, kIrisLandmarks, kMeshLandmarks, kRefinedLandmarks);
  CHECK(int(all.size()) == kRefinedLandmarks && *all.rbegin() == kRefinedLandmarks - 1);
  for (int i = 0; i < 16; ++i) {  // the iris z sources are the eyes' first 16 (contour) points
    CHECK(kLeftIrisZAverageIndices[i] == kLeftEyeRefinementIndices[i]);
    CHECK(kRightIrisZAverageIndices[i] == kRightEyeRefinementIndices[i]);
  }
  CHECK(kLeftEyeRefinementIndices[0] == 33 && kRightEyeRefinementIndices[0] == 263);
}

TEST(refinement_merges_xy_and_sets_iris_z) {
  std::vector<Landmark> mesh(468), lips(80), le(71), re(71), li(5), ri(5), out(478);
  for (int i = 0; i < 468; ++i) mesh[i] = {0.001f * i, 0.002f * i, 0.01f * std::sin(float(i))};
  for (int i = 0; i < 80; ++i) lips[i] = {1.0f + i, 2.0f + i, 99.0f};
  for (int i = 0; i < 71; ++i) le[i] = {3.0f + i, 4.0f + i, 99.0f}, re[i] = {5.0f + i, 6.0f + i, 99.0f};
  for (int i = 0; i < 5; ++i) li[i] = {7.0f + i, 8.0f + i, 99.0f}, ri[i] = {9.0f + i, 10.0f + i, 99.0f};
  RefineFaceLandmarks(mesh.data(), lips.data(), le.data(), re.data(), li.data(), ri.data(), out.data());
  std::vector<bool> touched(468, false);
  for (int i = 0; i < 80; ++i) {
    const int k = kLipsRefinementIndices[i];
    touched[k] = true;
    CHECK(out[k].x == lips[i].x && out[k].y == lips[i].y && out[k].z == mesh[k].z);
  }
  for (int i = 0; i < 71; ++i) {
    const int a = kLeftEyeRefinementIndices[i], b = kRightEyeRefinementIndices[i];
    touched[a] = touched[b] = true;
    CHECK(out[a].x == le[i].x && out[a].y == le[i].y && out[a].z == mesh[a].z);
    CHECK(out[b].x == re[i].x && out[b].y == re[i].y && out[b].z == mesh[b].z);
  }
  for (int i = 0; i < 468; ++i)
    if (!touched[i]) CHECK(out[i].x == mesh[i].x && out[i].y == mesh[i].y && out[i].z == mesh[i].z);
  double zl = 0, zr = 0;
  for (int i = 0; i < 16; ++i) zl += mesh[kLeftIrisZAverageIndices[i]].z, zr += mesh[kRightIrisZAverageIndices[i]].z;
  for (int i = 0; i < 5; ++i) {
    CHECK(out[468 + i].x == li[i].x && out[468 + i].y == li[i].y);
    CHECK(out[473 + i].x == ri[i].x && out[473 + i].y == ri[i].y);
    CHECK_NEAR(out[468 + i].z, zl / 16, 1e-7);
    CHECK_NEAR(out[473 + i].z, zr / 16, 1e-7);
  }
}

TEST(tensor_to_landmarks_scales_by_tensor_size) {
  const float raw3[] = {96.0f, 48.0f, -19.2f, 192.0f, 0.0f, 1.92f};
  Landmark out[2];
  TensorToLandmarks(raw3, 2, 3, 192, 192, out);
  CHECK_NEAR(out[0].x, 0.5, 1e-7);
  CHECK_NEAR(out[0].y, 0.25, 1e-7);
  CHECK_NEAR(out[0].z, -0.1, 1e-7);
  CHECK_NEAR(out[1].x, 1.0, 1e-7);
  const float raw2[] = {19.2f, 38.4f};
  TensorToLandmarks(raw2, 1, 2, 192, 96, out);
  CHECK_NEAR(out[0].y, 0.4, 1e-7);
  CHECK(out[0].z == 0.0f);
  CHECK_NEAR(FacePresenceScore(0.0f), 0.5, 0);
}
