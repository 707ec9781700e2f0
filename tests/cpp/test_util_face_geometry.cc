// cpp/util/svd3 (3x3 SVD), the weighted Procrustes solver and the face pose pipeline against
// constructed cases with known answers, and the geometry metadata reader on the bundled file
// and on corrupt bytes.
#define FMN_TEST_MAIN
#include "testing.h"

#include <cmath>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "model/geometry_metadata.h"
#include "model/tflite_model.h"
#include "util/face_geometry.h"
#include "util/svd3.h"

using namespace fmn;

namespace {

Mat3d rotation(double ax, double ay, double az) {
  const Mat3d rx = {{{1, 0, 0}, {0, std::cos(ax), -std::sin(ax)}, {0, std::sin(ax), std::cos(ax)}}};
  const Mat3d ry = {{{std::cos(ay), 0, std::sin(ay)}, {0, 1, 0}, {-std::sin(ay), 0, std::cos(ay)}}};
  const Mat3d rz = {{{std::cos(az), -std::sin(az), 0}, {std::sin(az), std::cos(az), 0}, {0, 0, 1}}};
  return Mul3(rz, Mul3(ry, rx));
}

void check_svd(const Mat3d& a) {
  Mat3d u, v;
  std::array<double, 3> s;
  Svd3(a, &u, &s, &v);
  CHECK(s[0] >= s[1] && s[1] >= s[2] && s[2] >= 0);
  const Mat3d utu = Mul3(Transpose3(u), u), vtv = Mul3(Transpose3(v), v);
  double scale = 1e-300;
  for (auto& r : a) for (double x : r) scale = std::max(scale, std::fabs(x));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      CHECK_NEAR(utu[i][j], i == j ? 1.0 : 0.0, 1e-10);
      CHECK_NEAR(vtv[i][j], i == j ? 1.0 : 0.0, 1e-10);
      double r = 0;
      for (int k = 0; k < 3; ++k) r += u[i][k] * s[k] * v[j][k];
      CHECK_NEAR(r, a[i][j], 1e-10 * scale);
    }
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(svd3_reconstructs_random_and_degenerate_matrices) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-3, 3);
  for (int t = 0; t < 200; ++t) {
    Mat3d a;
    for (auto& r : a) for (double& x : r) x = u(rng);
    check_svd(a);
  }
  check_svd(Mat3d{});                                             // zero
  check_svd(Mat3d{{{1, 2, 3}, {2, 4, 6}, {3, 6, 9}}});            // rank 1
  check_svd(Mat3d{{{1, 0, 0}, {0, 1, 0}, {0, 0, 0}}});            // rank 2
  check_svd(Mat3d{{{2, 0, 0}, {0, 2, 0}, {0, 0, 2}}});            // repeated values
  check_svd(rotation(0.3, -1.1, 2.0));
  Mat3d reflect = rotation(0.2, 0.4, 0.6);
  for (auto& r : reflect) r[2] = -r[2];
  check_svd(reflect);
}

TEST(procrustes_recovers_a_similarity_transform) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-5, 5), w(0.1, 2.0);
  for (int t = 0; t < 20; ++t) {
    const int n = 40;
    const Mat3d r = rotation(u(rng), u(rng), u(rng));
    const double s = 0.5 + std::fabs(u(rng));
    const double tr[3] = {u(rng), u(rng), u(rng)};
    std::vector<float> src(3 * n), dst(3 * n), wt(n);
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < 3; ++k) src[3 * i + k] = static_cast<float>(u(rng));
      for (int k = 0; k < 3; ++k)
        dst[3 * i + k] = static_cast<float>(
            s * (r[k][0] * src[3 * i] + r[k][1] * src[3 * i + 1] + r[k][2] * src[3 * i + 2]) + tr[k]);
      wt[i] = i % 3 == 0 ? 0.0f : static_cast<float>(w(rng));  // zero weights are ignored
    }
    const std::array<double, 16> m = SolveWeightedProcrustes(src.data(), dst.data(), wt.data(), n);
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) CHECK_NEAR(m[4 * i + j], s * r[i][j], 2e-5 * s);
      CHECK_NEAR(m[4 * i + 3], tr[i], 2e-4);
    }
    CHECK(m[12] == 0 && m[13] == 0 && m[14] == 0 && m[15] == 1);
  }
  std::vector<float> p(9, 1.f), zero(3, 0.f);
  CHECK_THROWS(SolveWeightedProcrustes(p.data(), p.data(), zero.data(), 3), std::invalid_argument);
}

TEST(metadata_reader_reads_the_bundled_file_and_rejects_corruption) {
  // The metadata member is extracted by the Python layer at run time; here we read it out of
  // the committed bundle's zip with a stored copy when present.
  const std::string path = std::string(FMN_SOURCE_DIR) + "/tests/data/geometry_pipeline_metadata_landmarks.binarypb";
  const std::vector<uint8_t> bytes = read_file(path);
  CHECK(!bytes.empty());
  if (bytes.empty()) return;
  const GeometryMetadata g = parse_geometry_metadata(bytes.data(), bytes.size());
  CHECK(g.vertex_count == 468);
  CHECK(g.index_buffer.size() == 898 * 3);
  CHECK(g.basis_ids.size() == 33);
  double sum = 0;
  for (float x : g.basis_weights) sum += x;
  CHECK_NEAR(sum, 1.055, 0.01);
  CHECK(g.basis_ids[0] == 4 && g.basis_ids[1] == 6 && g.basis_ids[2] == 10);
  const CanonicalFace face = g.canonical_face();
  CHECK(face.vertices.size() == 468 * 3 && face.weights.size() == 468);
  // Truncations and a flipped wire type must fail cleanly.
  for (size_t cut : {size_t{1}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    bool threw = false;
    try {
      parse_geometry_metadata(bytes.data(), cut);
    } catch (const ModelError&) {
      threw = true;
    }
    CHECK(threw);
  }
  std::vector<uint8_t> bad = bytes;
  bad[0] = static_cast<uint8_t>((bad[0] & ~7) | 7);  // wire type 7 does not exist
  CHECK_THROWS(parse_geometry_metadata(bad.data(), bad.size()), ModelError);

  // The pose pipeline on the canonical face itself, rendered by a known pose through the
  // pipeline's camera: the recovered matrix is that pose.
  const int W = 640, H = 480;
  const double fov = 63.0 * 3.14159265358979323846 / 180.0;
  const double h = 2.0 * std::tan(0.5 * fov), w = h * W / H;
  const Mat3d r = rotation(0.1, -0.2, 0.05);
  const double t[3] = {2.0, -1.0, -60.0};
  std::vector<Landmark> lm(468);
  for (int i = 0; i < 468; ++i) {
    double p[3];
    for (int k = 0; k < 3; ++k)
      p[k] = r[k][0] * face.vertices[3 * i] + r[k][1] * face.vertices[3 * i + 1] +
             r[k][2] * face.vertices[3 * i + 2] + t[k];
    // Perspective projection onto the near plane (z = -1), then to normalised screen.
    const double xn = p[0] / -p[2], yn = p[1] / -p[2];
    lm[i].x = static_cast<float>((xn + w / 2) / w);
    lm[i].y = static_cast<float>(1.0 - (yn + h / 2) / h);
    lm[i].z = static_cast<float>((-p[2] - 60.0) / w / 60.0);  // relative depth, width units
  }
  std::array<double, 16> pose;
  CHECK(EstimateFacePose(lm.data(), 468, W, H, face, PerspectiveCamera(), &pose));
  // The pipeline recovers the rotation closely; scale/translation follow its depth model.
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const double norm = std::sqrt(pose[j] * pose[j] + pose[4 + j] * pose[4 + j] + pose[8 + j] * pose[8 + j]);
      CHECK_NEAR(pose[4 * i + j] / norm, r[i][j], 0.03);
    }
  CHECK(pose[11] < -20.0);  // in front of the camera
  std::vector<Landmark> flat(468);  // all at one point: too compact for a pose
  CHECK(!EstimateFacePose(flat.data(), 468, W, H, face, PerspectiveCamera(), &pose));
  CHECK_THROWS(EstimateFacePose(flat.data(), 467, W, H, face, PerspectiveCamera(), &pose),
               std::invalid_argument);
}
