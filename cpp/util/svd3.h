// Singular value decomposition of a 3x3 matrix, in double (one-sided Jacobi rotations).
#pragma once

#include <array>

namespace fmn {

using Mat3d = std::array<std::array<double, 3>, 3>;  // m[row][col]

// A = U * diag(s) * V^T with U and V orthogonal (det +1 or -1 as the data requires) and
// s[0] >= s[1] >= s[2] >= 0. Columns of U whose singular value is (numerically) zero are
// completed to an orthonormal basis, so U is always orthogonal. Accurate to ~1e-12 relative
// to the largest singular value for finite input; non-finite input gives non-finite output.
void Svd3(const Mat3d& a, Mat3d* u, std::array<double, 3>* s, Mat3d* v);

double Det3(const Mat3d& m);
Mat3d Mul3(const Mat3d& a, const Mat3d& b);
Mat3d Transpose3(const Mat3d& a);

}  // namespace fmn
