#include "util/face_geometry.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "util/svd3.h"

namespace fmn {

std::array<double, 16> SolveWeightedProcrustes(const float* source, const float* target,
                                               const float* weights, int n) {
  double total = 0.0;
  double sc[3] = {0, 0, 0};
  for (int i = 0; i < n; ++i) {
    const double w = weights[i];
    total += w;
    for (int k = 0; k < 3; ++k) sc[k] += w * source[3 * i + k];
  }
  if (!(total > 0.0)) throw std::invalid_argument("Procrustes: the total weight must be positive");
  for (double& c : sc) c /= total;
  // Design matrix sum_i w_i target_i (source_i - centre)^T, and the scale's denominator
  // sum_i w_i (source_i - centre) . source_i.
  Mat3d design{};
  double denom = 0.0;
  for (int i = 0; i < n; ++i) {
    const double w = weights[i];
    if (w == 0.0) continue;
    double cs[3];
    for (int k = 0; k < 3; ++k) cs[k] = source[3 * i + k] - sc[k];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) design[r][c] += w * target[3 * i + r] * cs[c];
    for (int k = 0; k < 3; ++k) denom += w * cs[k] * source[3 * i + k];
  }
  Mat3d u, v;
  std::array<double, 3> s;
  Svd3(design, &u, &s, &v);
  const Mat3d vt = Transpose3(v);
  if (Det3(u) * Det3(vt) < 0)
    for (int r = 0; r < 3; ++r) u[r][2] = -u[r][2];
  const Mat3d rot = Mul3(u, vt);
  // Scale: sum_i w_i (R (source_i - centre)) . target_i / denom.
  double numer = 0.0;
  for (int i = 0; i < n; ++i) {
    const double w = weights[i];
    if (w == 0.0) continue;
    double cs[3];
    for (int k = 0; k < 3; ++k) cs[k] = source[3 * i + k] - sc[k];
    for (int r = 0; r < 3; ++r)
      numer += w * (rot[r][0] * cs[0] + rot[r][1] * cs[1] + rot[r][2] * cs[2]) * target[3 * i + r];
  }
  const double scale = numer / denom;
  double t[3] = {0, 0, 0};
  for (int i = 0; i < n; ++i) {
    const double w = weights[i];
    if (w == 0.0) continue;
    for (int r = 0; r < 3; ++r) {
      const double m = scale * (rot[r][0] * source[3 * i] + rot[r][1] * source[3 * i + 1] +
                                rot[r][2] * source[3 * i + 2]);
      t[r] += w * (target[3 * i + r] - m);
    }
  }
  std::array<double, 16> out{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) out[4 * r + c] = scale * rot[r][c];
    out[4 * r + 3] = t[r] / total;
  }
  out[15] = 1.0;
  return out;
}

namespace {

// Procrustes scale of the canonical face onto pts: the norm of the transform's first column.
double EstimateScale(const CanonicalFace& face, const std::vector<float>& pts, int n) {
  const std::array<double, 16> m =
      SolveWeightedProcrustes(face.vertices.data(), pts.data(), face.weights.data(), n);
  return std::sqrt(m[0] * m[0] + m[4] * m[4] + m[8] * m[8]);
}

}  // namespace

bool EstimateFacePose(const Landmark* lm, int n, int frame_w, int frame_h,
                      const CanonicalFace& face, const PerspectiveCamera& cam,
                      std::array<double, 16>* pose) {
  if (n != static_cast<int>(face.weights.size()) || 3 * face.weights.size() != face.vertices.size())
    throw std::invalid_argument("face geometry: " + std::to_string(n) +
                                " landmarks for a canonical mesh of " +
                                std::to_string(face.weights.size()) + " vertices");
  if (frame_w <= 0 || frame_h <= 0) throw std::invalid_argument("face geometry: frame size must be positive");
  {
    double mx = 0, my = 0;
    for (int i = 0; i < n; ++i) { mx += lm[i].x; my += lm[i].y; }
    mx /= n; my /= n;
    double max_sq = 0;
    for (int i = 0; i < n; ++i) {
      const double dx = lm[i].x - mx, dy = lm[i].y - my;
      max_sq = std::max(max_sq, dx * dx + dy * dy);
    }
    if (std::sqrt(max_sq) <= 1e-3) return false;
  }
  constexpr double kPi = 3.14159265358979323846;
  const double h = 2.0 * cam.near * std::tan(0.5 * cam.vertical_fov_degrees * kPi / 180.0);
  const double w = h * frame_w / frame_h;
  // Screen points in the near plane's units (origin top-left flipped to bottom-left).
  std::vector<double> screen(3 * static_cast<size_t>(n));
  double depth = 0.0;
  for (int i = 0; i < n; ++i) {
    screen[3 * i] = lm[i].x * w - 0.5 * w;
    screen[3 * i + 1] = (1.0 - lm[i].y) * h - 0.5 * h;
    screen[3 * i + 2] = lm[i].z * w;
    depth += screen[3 * i + 2];
  }
  depth /= n;
  std::vector<float> pts(3 * static_cast<size_t>(n));
  // Pass 1: the screen points with negated z.
  for (int i = 0; i < n; ++i) {
    pts[3 * i] = static_cast<float>(screen[3 * i]);
    pts[3 * i + 1] = static_cast<float>(screen[3 * i + 1]);
    pts[3 * i + 2] = static_cast<float>(-screen[3 * i + 2]);
  }
  const double s1 = EstimateScale(face, pts, n);
  // Unprojection with a scale: z -> (z - depth + near) / scale, x, y -> x z / near, y z / near,
  // then z negated (right-handed camera frame).
  auto unproject = [&](double scale) {
    for (int i = 0; i < n; ++i) {
      const double z = (screen[3 * i + 2] - depth + cam.near) / scale;
      pts[3 * i] = static_cast<float>(screen[3 * i] * z / cam.near);
      pts[3 * i + 1] = static_cast<float>(screen[3 * i + 1] * z / cam.near);
      pts[3 * i + 2] = static_cast<float>(-z);
    }
  };
  unproject(s1);
  const double s2 = EstimateScale(face, pts, n);
  unproject(s1 * s2);
  *pose = SolveWeightedProcrustes(face.vertices.data(), pts.data(), face.weights.data(), n);
  return true;
}

}  // namespace fmn
