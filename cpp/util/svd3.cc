#include "util/svd3.h"

#include <algorithm>
#include <cmath>

namespace fmn {

double Det3(const Mat3d& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

Mat3d Mul3(const Mat3d& a, const Mat3d& b) {
  Mat3d r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  return r;
}

Mat3d Transpose3(const Mat3d& a) {
  Mat3d r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = a[j][i];
  return r;
}

namespace {

// Column j of m as a vector.
std::array<double, 3> col(const Mat3d& m, int j) { return {m[0][j], m[1][j], m[2][j]}; }
void set_col(Mat3d* m, int j, const std::array<double, 3>& c) {
  for (int i = 0; i < 3; ++i) (*m)[i][j] = c[i];
}
double dot(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
std::array<double, 3> cross(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
bool normalize(std::array<double, 3>* v) {
  const double n = std::sqrt(dot(*v, *v));
  if (!(n > 0)) return false;
  for (double& x : *v) x /= n;
  return true;
}

}  // namespace

void Svd3(const Mat3d& a, Mat3d* u_out, std::array<double, 3>* s_out, Mat3d* v_out) {
  // One-sided Jacobi: rotate column pairs of W = A V until they are orthogonal; then the
  // column norms are the singular values and the normalised columns are U.
  Mat3d w = a;
  Mat3d v{};
  for (int i = 0; i < 3; ++i) v[i][i] = 1.0;
  for (int sweep = 0; sweep < 60; ++sweep) {
    double off = 0.0;
    for (int p = 0; p < 2; ++p) {
      for (int q = p + 1; q < 3; ++q) {
        const std::array<double, 3> cp = col(w, p), cq = col(w, q);
        const double alpha = dot(cp, cp), beta = dot(cq, cq), gamma = dot(cp, cq);
        if (gamma == 0.0) continue;
        off = std::max(off, std::fabs(gamma) / std::sqrt(alpha * beta));
        const double zeta = (beta - alpha) / (2.0 * gamma);
        const double t = (zeta >= 0 ? 1.0 : -1.0) / (std::fabs(zeta) + std::sqrt(1.0 + zeta * zeta));
        const double c = 1.0 / std::sqrt(1.0 + t * t), s = c * t;
        for (int i = 0; i < 3; ++i) {
          const double wp = w[i][p], wq = w[i][q];
          w[i][p] = c * wp - s * wq;
          w[i][q] = s * wp + c * wq;
          const double vp = v[i][p], vq = v[i][q];
          v[i][p] = c * vp - s * vq;
          v[i][q] = s * vp + c * vq;
        }
      }
    }
    if (!(off > 1e-15)) break;  // also stops on NaN
  }
  std::array<double, 3> s{};
  for (int j = 0; j < 3; ++j) s[j] = std::sqrt(dot(col(w, j), col(w, j)));
  // Sort by descending singular value, permuting W's and V's columns alike.
  int order[3] = {0, 1, 2};
  std::sort(order, order + 3, [&](int x, int y) { return s[x] > s[y]; });
  Mat3d ws{}, vs{}, u{};
  std::array<double, 3> ss{};
  for (int j = 0; j < 3; ++j) {
    set_col(&ws, j, col(w, order[j]));
    set_col(&vs, j, col(v, order[j]));
    ss[j] = s[order[j]];
  }
  // U's columns: normalised W columns; those of a negligible singular value are completed.
  const double tiny = 1e-13 * std::max(ss[0], 1e-300);
  int good = 0;
  for (int j = 0; j < 3; ++j) {
    std::array<double, 3> c = col(ws, j);
    if (ss[j] > tiny && normalize(&c)) {
      set_col(&u, j, c);
      good = j + 1;
    } else {
      break;
    }
  }
  if (good == 0) {
    u = Mat3d{};
    for (int i = 0; i < 3; ++i) u[i][i] = 1.0;
  } else if (good == 1) {
    const std::array<double, 3> c0 = col(u, 0);
    // Any unit vector orthogonal to c0, then the cross product.
    std::array<double, 3> e = std::fabs(c0[0]) < 0.9 ? std::array<double, 3>{1, 0, 0}
                                                      : std::array<double, 3>{0, 1, 0};
    std::array<double, 3> c1 = cross(c0, e);
    normalize(&c1);
    set_col(&u, 1, c1);
    set_col(&u, 2, cross(c0, c1));
  } else if (good == 2) {
    set_col(&u, 2, cross(col(u, 0), col(u, 1)));
  }
  *u_out = u;
  *s_out = ss;
  *v_out = vs;
}

}  // namespace fmn
