// Tests for the reference kernels of MediaPipe's custom ops (cpp/ops/reference/custom_ops.h).
// Each kernel is compared with an independent double-precision implementation written here
// from the op's contract (closed-form matrix, explicit 4-vector products, explicit tap
// gathering), on random inputs, plus hand-checkable cases and the real options of
// face_landmark_with_attention.tflite.
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/flexbuffer.h"
#include "model/tflite_model.h"
#include "ops/reference/custom_ops.h"
#include "runtime/kernel.h"

namespace {

using fmn::Kernel;
using fmn::ModelError;
using fmn::NodeArgs;
using fmn::OpContext;
using fmn::OperatorDef;
using fmn::TensorView;

// ---------------------------------------------------------------------------------------------
// A minimal FlexBuffers writer for a root map of ints, floats and int/float vectors. Every
// value and offset is 8 bytes wide; keys are sorted, as the format requires.
struct FlexOpt {
  enum Kind { kInt, kFloat, kIntVec, kFloatVec } kind;
  int64_t i = 0;
  double f = 0;
  std::vector<double> v;
};
FlexOpt opt_int(int64_t i) { return FlexOpt{FlexOpt::kInt, i, 0, {}}; }
FlexOpt opt_float(double f) { return FlexOpt{FlexOpt::kFloat, 0, f, {}}; }
FlexOpt opt_ints(const std::vector<int>& v) {
  return FlexOpt{FlexOpt::kIntVec, 0, 0, std::vector<double>(v.begin(), v.end())};
}

class FlexWriter {
 public:
  std::vector<uint8_t> map(const std::map<std::string, FlexOpt>& entries) {
    buf_.clear();
    std::vector<size_t> key_pos, vec_pos(entries.size(), 0);
    for (const auto& e : entries) {
      key_pos.push_back(buf_.size());
      buf_.insert(buf_.end(), e.first.begin(), e.first.end());
      buf_.push_back(0);
    }
    size_t k = 0;
    for (const auto& e : entries) {
      if (e.second.kind == FlexOpt::kIntVec || e.second.kind == FlexOpt::kFloatVec) {
        align();
        put_u64(e.second.v.size());
        vec_pos[k] = buf_.size();
        for (double d : e.second.v) {
          if (e.second.kind == FlexOpt::kIntVec) {
            put_u64(static_cast<uint64_t>(static_cast<int64_t>(d)));
          } else {
            put_f64(d);
          }
        }
      }
      ++k;
    }
    align();
    put_u64(entries.size());
    const size_t keys_pos = buf_.size();
    for (size_t j = 0; j < key_pos.size(); ++j) put_u64(buf_.size() - key_pos[j]);
    put_u64(buf_.size() - keys_pos);  // keys vector offset
    put_u64(8);                       // keys byte width
    put_u64(entries.size());
    const size_t values_pos = buf_.size();
    k = 0;
    std::vector<uint8_t> types;
    for (const auto& e : entries) {
      switch (e.second.kind) {
        case FlexOpt::kInt:
          put_u64(static_cast<uint64_t>(e.second.i));
          types.push_back((1 << 2) | 3);
          break;
        case FlexOpt::kFloat:
          put_f64(e.second.f);
          types.push_back((3 << 2) | 3);
          break;
        case FlexOpt::kIntVec:
          put_u64(buf_.size() - vec_pos[k]);
          types.push_back((11 << 2) | 3);
          break;
        case FlexOpt::kFloatVec:
          put_u64(buf_.size() - vec_pos[k]);
          types.push_back((13 << 2) | 3);
          break;
      }
      ++k;
    }
    buf_.insert(buf_.end(), types.begin(), types.end());
    align();
    put_u64(buf_.size() - values_pos);
    buf_.push_back((9 << 2) | 3);  // root: map, 8-byte children
    buf_.push_back(8);             // root width
    return buf_;
  }

 private:
  void align() {
    while (buf_.size() % 8) buf_.push_back(0);
  }
  void put_u64(uint64_t v) {
    for (int b = 0; b < 8; ++b) buf_.push_back(static_cast<uint8_t>(v >> (8 * b)));
  }
  void put_f64(double d) {
    uint64_t v;
    std::memcpy(&v, &d, 8);
    put_u64(v);
  }
  std::vector<uint8_t> buf_;
};

// ---------------------------------------------------------------------------------------------
// Node plumbing: an operator, its tensors' shapes and float storage.
struct Node {
  OperatorDef op;
  std::vector<std::vector<int32_t>> in_shapes, out_shapes;
  std::vector<std::vector<float>> in_data, out_data;
  std::unique_ptr<Kernel> kernel;

  Node(const std::string& name, std::vector<std::vector<int32_t>> ins,
       std::vector<std::vector<int32_t>> outs, std::vector<uint8_t> options, int version = 2)
      : in_shapes(std::move(ins)), out_shapes(std::move(outs)) {
    op.builtin_code = fmn::builtin::kCustom;
    op.custom_code = name;
    op.version = version;
    op.custom_options = std::move(options);
    for (auto& s : in_shapes) in_data.emplace_back(count(s), 0.0f);
    for (auto& s : out_shapes) out_data.emplace_back(count(s), -12345.0f);
  }
  static size_t count(const std::vector<int32_t>& s) {
    size_t n = 1;
    for (int32_t d : s) n *= static_cast<size_t>(d);
    return n;
  }
  OpContext context() {
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = op.custom_code;
    for (size_t i = 0; i < in_shapes.size(); ++i) {
      ctx.inputs.push_back(view(in_shapes[i], in_data[i]));
    }
    for (size_t i = 0; i < out_shapes.size(); ++i) {
      ctx.outputs.push_back(view(out_shapes[i], out_data[i]));
    }
    return ctx;
  }
  static TensorView view(const std::vector<int32_t>& shape, std::vector<float>& data) {
    TensorView v;
    v.type = fmn::TensorType::kFloat32;
    v.shape = shape;
    v.data = data.data();
    return v;
  }
  // Creates and prepares the kernel (throws what prepare() throws).
  void prepare() {
    const OpContext ctx = context();
    kernel = fmn::create_reference_custom_kernel(ctx);
    if (!kernel) throw std::runtime_error("no kernel for " + op.custom_code);
    CHECK(kernel->prepare(ctx) == 0);
    CHECK(std::string(kernel->impl_name()) == "reference");
  }
  void run() {
    const OpContext ctx = context();
    NodeArgs args;
    args.inputs = ctx.inputs;
    args.outputs = ctx.outputs;
    kernel->run(args, nullptr);
  }
};

std::mt19937& rng() {
  static std::mt19937 g(20240611u);
  return g;
}
float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng()); }
void fill_uniform(std::vector<float>& v, float lo, float hi) {
  for (float& x : v) x = uniform(lo, hi);
}

// ---------------------------------------------------------------------------------------------
// Independent implementations (double precision, from the contract).

struct L2TMOptions {
  std::vector<int> subset;
  int left = 0, right = 0;
  double target = 0.0;
  int ow = 16, oh = 16;
  double scale_x = 1.5, scale_y = 1.5;

  std::vector<uint8_t> flex() const {
    std::map<std::string, FlexOpt> m;
    m["subset_idxs"] = opt_ints(subset);
    m["left_rotation_idx"] = opt_int(left);
    m["right_rotation_idx"] = opt_int(right);
    m["target_rotation_radians"] = opt_float(target);
    m["output_width"] = opt_int(ow);
    m["output_height"] = opt_int(oh);
    m["scale_x"] = opt_float(scale_x);
    m["scale_y"] = opt_float(scale_y);
    return FlexWriter().map(m);
  }
};

// Closed form: M = [A | centre - A * (ow/2, oh/2)], A = R(-theta) * diag(sx, sy), where theta
// turns the left->right direction onto the target angle and the crop is the subset's bounding
// box in the theta-rotated frame.
std::vector<double> expected_matrix(const float* lm, const L2TMOptions& o) {
  const double dx = lm[3 * o.right] - lm[3 * o.left];
  const double dy = lm[3 * o.right + 1] - lm[3 * o.left + 1];
  const double theta = o.target - std::atan2(dy, dx);
  const double c = std::cos(theta), s = std::sin(theta);
  double lo_x = 1e300, lo_y = 1e300, hi_x = -1e300, hi_y = -1e300;
  for (int idx : o.subset) {
    const double x = lm[3 * idx], y = lm[3 * idx + 1];
    const double rx = c * x - s * y, ry = s * x + c * y;
    lo_x = std::min(lo_x, rx);
    hi_x = std::max(hi_x, rx);
    lo_y = std::min(lo_y, ry);
    hi_y = std::max(hi_y, ry);
  }
  const double mx = 0.5 * (lo_x + hi_x), my = 0.5 * (lo_y + hi_y);
  // R(-theta) = [[c, s], [-s, c]]
  const double cx = c * mx + s * my, cy = -s * mx + c * my;
  const double sx = o.scale_x * (hi_x - lo_x) / o.ow, sy = o.scale_y * (hi_y - lo_y) / o.oh;
  const double a00 = c * sx, a01 = s * sy, a10 = -s * sx, a11 = c * sy;
  const double tx = cx - (a00 * o.ow / 2 + a01 * o.oh / 2);
  const double ty = cy - (a10 * o.ow / 2 + a11 * o.oh / 2);
  return {a00, a01, 0, tx, a10, a11, 0, ty, 0, 0, 1, 0, 0, 0, 0, 1};
}

// p = M * (x, y, 0, 1), all four columns.
void apply4(const float* m, double x, double y, double* px, double* py) {
  const double v[4] = {x, y, 0.0, 1.0};
  double r[2] = {0, 0};
  for (int row = 0; row < 2; ++row) {
    for (int k = 0; k < 4; ++k) r[row] += static_cast<double>(m[row * 4 + k]) * v[k];
  }
  *px = r[0];
  *py = r[1];
}

// One output pixel of TransformTensorBilinear: sample index point M(o + 0.5) - 0.5, bilinear
// over the four taps (a tap outside the grid reads 0), 0 when the point is outside
// [0, w-1] x [0, h-1]. `near_border` reports points within 1e-4 of that boundary.
double expected_sample(const std::vector<float>& in, int h, int w, int c, const float* m, int ox,
                       int oy, int ch, bool* near_border) {
  double px, py;
  apply4(m, ox + 0.5, oy + 0.5, &px, &py);
  px -= 0.5;
  py -= 0.5;
  const double eps = 1e-4;
  *near_border = std::fabs(px) < eps || std::fabs(py) < eps || std::fabs(px - (w - 1)) < eps ||
                 std::fabs(py - (h - 1)) < eps;
  if (px < 0 || py < 0 || px > w - 1 || py > h - 1) return 0.0;
  const int x0 = static_cast<int>(std::floor(px)), y0 = static_cast<int>(std::floor(py));
  double sum = 0.0;
  for (int ty = 0; ty < 2; ++ty) {
    for (int tx = 0; tx < 2; ++tx) {
      const int xx = x0 + tx, yy = y0 + ty;
      const double wgt = (tx ? px - x0 : 1.0 - (px - x0)) * (ty ? py - y0 : 1.0 - (py - y0));
      if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
      sum += wgt * in[(static_cast<size_t>(yy) * w + xx) * c + ch];
    }
  }
  return sum;
}

std::vector<float> random_similarity(float max_shift_x, float max_shift_y) {
  const float th = uniform(-3.14159f, 3.14159f), sc = uniform(0.4f, 2.5f);
  const float c = std::cos(th) * sc, s = std::sin(th) * sc;
  return {c, -s, uniform(-2, 2), uniform(-3, max_shift_x), s, c, uniform(-2, 2),
          uniform(-3, max_shift_y), 0, 0, 1, 0, 0, 0, 0, 1};
}

std::vector<uint8_t> ttb_options(int oh, int ow) {
  return FlexWriter().map({{"output_height", opt_int(oh)}, {"output_width", opt_int(ow)}});
}

// Random landmarks of a face-like cloud in [lo, hi]^2, z in [-5, 5].
void fill_landmarks(float* p, int n, float lo, float hi) {
  for (int i = 0; i < n; ++i) {
    p[3 * i] = uniform(lo, hi);
    p[3 * i + 1] = uniform(lo, hi);
    p[3 * i + 2] = uniform(-5, 5);
  }
}

// =============================================================================================
// Landmarks2TransformMatrix

TEST(factory_ignores_other_ops) {
  OpContext ctx;
  ctx.op_name = "CONV_2D";
  CHECK(fmn::create_reference_custom_kernel(ctx) == nullptr);
  ctx.op_name = "TransformTensor";  // the version-1 name of TransformTensorBilinear
  CHECK(fmn::create_reference_custom_kernel(ctx) == nullptr);
}

TEST(l2tm_axis_aligned_hand_case) {
  // Left/right landmarks horizontal: no rotation. Subset box [10, 20] x [30, 50].
  L2TMOptions o;
  o.subset = {0, 1, 2, 3};
  o.left = 0;
  o.right = 1;
  Node node("Landmarks2TransformMatrix", {{1, 4, 3}}, {{1, 4, 4}}, o.flex());
  node.in_data[0] = {10, 30, 0, 20, 30, 0, 15, 50, 0, 12, 40, 0};
  node.prepare();
  node.run();
  const std::vector<float>& m = node.out_data[0];
  // Scale 1.5 * 10 / 16 and 1.5 * 20 / 16; centre (15, 40); patch centre (8, 8) maps to it.
  const float want[16] = {0.9375f, 0, 0, 15 - 0.9375f * 8, 0, 1.875f, 0, 40 - 1.875f * 8,
                          0,       0, 1, 0,                0, 0,      0, 1};
  for (int i = 0; i < 16; ++i) CHECK_NEAR(m[i], want[i], 1e-5);
}

TEST(l2tm_rotated_hand_case) {
  // Right landmark straight below the left one: atan2 = +90 degrees, so the matrix rotates the
  // patch by +90 degrees: patch +x runs along image +y.
  L2TMOptions o;
  o.subset = {0, 1, 2, 3};
  o.left = 0;
  o.right = 1;
  o.ow = o.oh = 8;
  o.scale_x = o.scale_y = 1.0;
  Node node("Landmarks2TransformMatrix", {{1, 4, 3}}, {{1, 4, 4}}, o.flex());
  // A 4 (along left->right, image y) by 2 (image x) box centred at (5, 7).
  node.in_data[0] = {5, 5, 0, 5, 9, 0, 4, 7, 0, 6, 7, 0};
  node.prepare();
  node.run();
  const std::vector<float>& m = node.out_data[0];
  double x, y;
  apply4(m.data(), 4, 4, &x, &y);  // patch centre -> box centre
  CHECK_NEAR(x, 5, 1e-5);
  CHECK_NEAR(y, 7, 1e-5);
  apply4(m.data(), 8, 4, &x, &y);  // +half width along patch x -> +2 along image y
  CHECK_NEAR(x, 5, 1e-5);
  CHECK_NEAR(y, 9, 1e-5);
  apply4(m.data(), 4, 8, &x, &y);  // +half height along patch y -> -1 along image x
  CHECK_NEAR(x, 4, 1e-5);
  CHECK_NEAR(y, 7, 1e-5);
}

TEST(l2tm_random_against_closed_form) {
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 40;
    L2TMOptions o;
    const int subset_size = 1 + static_cast<int>(rng()() % 25);
    for (int i = 0; i < subset_size; ++i) o.subset.push_back(static_cast<int>(rng()() % n));
    o.left = static_cast<int>(rng()() % n);
    do {
      o.right = static_cast<int>(rng()() % n);
    } while (o.right == o.left);
    o.target = uniform(-1.0f, 1.0f);
    o.ow = 4 + static_cast<int>(rng()() % 30);
    o.oh = 4 + static_cast<int>(rng()() % 30);
    o.scale_x = uniform(0.5f, 3.0f);
    o.scale_y = uniform(0.5f, 3.0f);
    Node node("Landmarks2TransformMatrix", {{1, n, 3}}, {{1, 4, 4}}, o.flex());
    fill_landmarks(node.in_data[0].data(), n, 0.0f, 48.0f);
    node.prepare();
    node.run();
    const std::vector<double> want = expected_matrix(node.in_data[0].data(), o);
    for (int i = 0; i < 16; ++i) {
      CHECK_NEAR(node.out_data[0][i], want[i], 1e-4 * std::max(1.0, std::fabs(want[i])));
    }
  }
}

TEST(l2tm_batch_elements_are_independent) {
  L2TMOptions o;
  o.subset = {0, 3, 5, 7, 9};
  o.left = 1;
  o.right = 8;
  const int n = 10, batch = 3;
  Node node("Landmarks2TransformMatrix", {{batch, n, 3}}, {{batch, 4, 4}}, o.flex());
  fill_landmarks(node.in_data[0].data(), n * batch, -20.0f, 60.0f);
  node.prepare();
  node.run();
  for (int b = 0; b < batch; ++b) {
    const std::vector<double> want = expected_matrix(node.in_data[0].data() + b * n * 3, o);
    for (int i = 0; i < 16; ++i) {
      CHECK_NEAR(node.out_data[0][b * 16 + i], want[i], 1e-4 * std::max(1.0, std::fabs(want[i])));
    }
  }
}

TEST(l2tm_rejects_bad_nodes) {
  L2TMOptions o;
  o.subset = {0, 1, 2};
  o.left = 0;
  o.right = 1;
  {
    Node node("Landmarks2TransformMatrix", {{1, 3, 3}}, {{1, 4, 4}}, o.flex(), /*version=*/1);
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("Landmarks2TransformMatrix", {{1, 3, 2}}, {{1, 4, 4}}, o.flex());
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("Landmarks2TransformMatrix", {{1, 3, 3}}, {{1, 16}}, o.flex());
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    L2TMOptions bad = o;
    bad.subset = {0, 3};  // index 3 with 3 landmarks
    Node node("Landmarks2TransformMatrix", {{1, 3, 3}}, {{1, 4, 4}}, bad.flex());
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    L2TMOptions bad = o;
    bad.right = -1;
    Node node("Landmarks2TransformMatrix", {{1, 3, 3}}, {{1, 4, 4}}, bad.flex());
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    L2TMOptions bad = o;
    bad.scale_x = 0.0;
    Node node("Landmarks2TransformMatrix", {{1, 3, 3}}, {{1, 4, 4}}, bad.flex());
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    auto opts = FlexWriter().map({{"subset_idxs", opt_ints({0, 1})},
                                  {"left_rotation_idx", opt_int(0)},
                                  {"right_rotation_idx", opt_int(1)},
                                  {"output_width", opt_int(16)},
                                  {"output_height", opt_int(16)},
                                  {"scale_x", opt_float(1.5)}});  // no scale_y
    Node node("Landmarks2TransformMatrix", {{1, 3, 3}}, {{1, 4, 4}}, opts);
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("Landmarks2TransformMatrix", {{1, 3, 3}}, {{1, 4, 4}}, {});
    CHECK_THROWS(node.prepare(), ModelError);
  }
}

// =============================================================================================
// TransformTensorBilinear

TEST(ttb_identity_reproduces_input) {
  const int h = 6, w = 9, c = 5;
  Node node("TransformTensorBilinear", {{1, h, w, c}, {1, 4, 4}}, {{1, h, w, c}},
            ttb_options(h, w));
  fill_uniform(node.in_data[0], -3, 3);
  node.in_data[1] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  node.prepare();
  node.run();
  CHECK(node.out_data[0] == node.in_data[0]);
}

TEST(ttb_integer_translation_shifts_grid) {
  const int h = 7, w = 8, c = 3, oh = 5, ow = 6, dx = 3, dy = -1;
  Node node("TransformTensorBilinear", {{1, h, w, c}, {1, 4, 4}}, {{1, oh, ow, c}},
            ttb_options(oh, ow));
  fill_uniform(node.in_data[0], -3, 3);
  node.in_data[1] = {1, 0, 0, dx, 0, 1, 0, dy, 0, 0, 1, 0, 0, 0, 0, 1};
  node.prepare();
  node.run();
  int zeros = 0;
  for (int y = 0; y < oh; ++y) {
    for (int x = 0; x < ow; ++x) {
      for (int ch = 0; ch < c; ++ch) {
        const int sx = x + dx, sy = y + dy;
        const bool inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
        const float want = inside ? node.in_data[0][(sy * w + sx) * c + ch] : 0.0f;
        zeros += !inside;
        CHECK(node.out_data[0][(y * ow + x) * c + ch] == want);
      }
    }
  }
  CHECK(zeros > 0);  // the shift must push part of the grid off the input
}

TEST(ttb_half_pixel_and_downscale) {
  const int h = 6, w = 8, c = 2;
  {
    // Shift by half a pixel in x: the average of horizontal neighbours; the last column
    // samples at w - 0.5 > w - 1 and is 0.
    Node node("TransformTensorBilinear", {{1, h, w, c}, {1, 4, 4}}, {{1, h, w, c}},
              ttb_options(h, w));
    fill_uniform(node.in_data[0], -3, 3);
    node.in_data[1] = {1, 0, 0, 0.5f, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    node.prepare();
    node.run();
    const std::vector<float>& in = node.in_data[0];
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        for (int ch = 0; ch < c; ++ch) {
          const float got = node.out_data[0][(y * w + x) * c + ch];
          if (x == w - 1) {
            CHECK(got == 0.0f);
          } else {
            CHECK_NEAR(got, 0.5 * (in[(y * w + x) * c + ch] + in[(y * w + x + 1) * c + ch]), 1e-6);
          }
        }
      }
    }
  }
  {
    // Scale 2: output pixel o covers input pixels 2o and 2o + 1; pixel-centre sampling lands
    // in the middle of that 2x2 block, so the output is the block mean.
    Node node("TransformTensorBilinear", {{1, h, w, c}, {1, 4, 4}}, {{1, h / 2, w / 2, c}},
              ttb_options(h / 2, w / 2));
    fill_uniform(node.in_data[0], -3, 3);
    node.in_data[1] = {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    node.prepare();
    node.run();
    const std::vector<float>& in = node.in_data[0];
    for (int y = 0; y < h / 2; ++y) {
      for (int x = 0; x < w / 2; ++x) {
        for (int ch = 0; ch < c; ++ch) {
          double mean = 0;
          for (int k = 0; k < 4; ++k) mean += in[((2 * y + k / 2) * w + 2 * x + k % 2) * c + ch];
          CHECK_NEAR(node.out_data[0][(y * (w / 2) + x) * c + ch], mean / 4, 1e-5);
        }
      }
    }
  }
}

TEST(ttb_last_row_and_column_are_reachable) {
  // A sample exactly on the last column/row reads that pixel (its missing +1 neighbour has
  // weight 0); a hair beyond is 0.
  const int h = 4, w = 5, c = 1;
  Node node("TransformTensorBilinear", {{1, h, w, c}, {1, 4, 4}}, {{1, 1, 1, c}},
            ttb_options(1, 1));
  fill_uniform(node.in_data[0], 1, 2);
  // o = 0 samples at M(0.5) - 0.5 = 0.5*s + t - 0.5 with s = 0: t - 0.5.
  node.in_data[1] = {0, 0, 0, w - 0.5f, 0, 0, 0, h - 0.5f, 0, 0, 1, 0, 0, 0, 0, 1};
  node.prepare();
  node.run();
  CHECK(node.out_data[0][0] == node.in_data[0][(h - 1) * w + (w - 1)]);
  node.in_data[1][3] = w - 0.5f + 1e-3f;
  node.run();
  CHECK(node.out_data[0][0] == 0.0f);
  node.in_data[1][3] = 0.5f - 1e-3f;  // a hair left of column 0
  node.run();
  CHECK(node.out_data[0][0] == 0.0f);
}

TEST(ttb_random_against_independent) {
  int compared = 0, skipped = 0, outside = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int batch = 1 + trial % 3;
    const int h = 5 + static_cast<int>(rng()() % 20), w = 5 + static_cast<int>(rng()() % 20);
    const int c = 1 + static_cast<int>(rng()() % 6);
    const int oh = 3 + static_cast<int>(rng()() % 12), ow = 3 + static_cast<int>(rng()() % 12);
    const int mat_batch = trial % 2 ? batch : 1;
    Node node("TransformTensorBilinear", {{batch, h, w, c}, {mat_batch, 4, 4}},
              {{batch, oh, ow, c}}, ttb_options(oh, ow));
    fill_uniform(node.in_data[0], -4, 4);
    for (int b = 0; b < mat_batch; ++b) {
      const std::vector<float> m = random_similarity(static_cast<float>(w), static_cast<float>(h));
      std::copy(m.begin(), m.end(), node.in_data[1].begin() + b * 16);
    }
    node.prepare();
    node.run();
    for (int b = 0; b < batch; ++b) {
      const std::vector<float> in(node.in_data[0].begin() + static_cast<size_t>(b) * h * w * c,
                                  node.in_data[0].begin() + static_cast<size_t>(b + 1) * h * w * c);
      const float* m = node.in_data[1].data() + (mat_batch == 1 ? 0 : b * 16);
      for (int y = 0; y < oh; ++y) {
        for (int x = 0; x < ow; ++x) {
          for (int ch = 0; ch < c; ++ch) {
            bool near_border = false;
            const double want = expected_sample(in, h, w, c, m, x, y, ch, &near_border);
            const float got =
                node.out_data[0][((static_cast<size_t>(b) * oh + y) * ow + x) * c + ch];
            if (near_border) {
              ++skipped;  // in/out decided by rounding: either answer is right
              continue;
            }
            if (want == 0.0) ++outside;
            ++compared;
            CHECK_NEAR(got, want, 1e-4 * std::max(1.0, std::fabs(want)));
          }
        }
      }
    }
  }
  CHECK(compared > 2000);
  CHECK(outside > 100);
  CHECK(skipped * 100 < compared);
}

TEST(ttb_rejects_bad_nodes) {
  {
    Node node("TransformTensorBilinear", {{1, 8, 8, 2}, {1, 4, 4}}, {{1, 4, 4, 2}},
              ttb_options(4, 4), /*version=*/1);
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformTensorBilinear", {{1, 8, 8, 2}, {1, 4, 4}}, {{1, 4, 5, 2}},
              ttb_options(4, 4));
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformTensorBilinear", {{1, 8, 8, 2}, {1, 4, 4}}, {{1, 4, 4, 3}},
              ttb_options(4, 4));
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformTensorBilinear", {{2, 8, 8, 2}, {3, 4, 4}}, {{2, 4, 4, 2}},
              ttb_options(4, 4));
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformTensorBilinear", {{1, 8, 8, 2}, {1, 3, 3}}, {{1, 4, 4, 2}},
              ttb_options(4, 4));
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformTensorBilinear", {{8, 8, 2}, {1, 4, 4}}, {{1, 4, 4, 2}},
              ttb_options(4, 4));
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformTensorBilinear", {{1, 8, 8, 2}, {1, 4, 4}}, {{1, 4, 4, 2}},
              FlexWriter().map({{"output_height", opt_int(4)}}));
    CHECK_THROWS(node.prepare(), ModelError);
  }
}

// =============================================================================================
// TransformLandmarks

TEST(tl_translation_and_z_passthrough) {
  Node node("TransformLandmarks", {{1, 3, 3}, {1, 4, 4}}, {{1, 3, 3}}, {});
  node.in_data[0] = {1, 2, 7, -4, 5, -8, 0, 0, 9};
  // Column 2 (the z column) must not matter: x and y are transformed with z = 0.
  node.in_data[1] = {1, 0, 100, 10, 0, 1, -100, -20, 5, 5, 5, 5, 0, 0, 0, 1};
  node.prepare();
  node.run();
  const std::vector<float> want = {11, -18, 7, 6, -15, -8, 10, -20, 9};
  CHECK(node.out_data[0] == want);
}

TEST(tl_random_against_independent) {
  for (int trial = 0; trial < 60; ++trial) {
    const int batch = 1 + trial % 3, num = 1 + static_cast<int>(rng()() % 90);
    const int dims = 2 + trial % 2, mat_batch = trial % 4 < 2 ? 1 : batch;
    Node node("TransformLandmarks", {{batch, num, dims}, {mat_batch, 4, 4}},
              {{batch, num, dims}}, {});
    fill_uniform(node.in_data[0], -50, 50);
    fill_uniform(node.in_data[1], -3, 3);
    node.prepare();
    node.run();
    for (int b = 0; b < batch; ++b) {
      const float* m = node.in_data[1].data() + (mat_batch == 1 ? 0 : b * 16);
      for (int i = 0; i < num; ++i) {
        const float* p = node.in_data[0].data() + (static_cast<size_t>(b) * num + i) * dims;
        const float* q = node.out_data[0].data() + (static_cast<size_t>(b) * num + i) * dims;
        double x, y;
        apply4(m, p[0], p[1], &x, &y);
        CHECK_NEAR(q[0], x, 1e-4 * std::max(1.0, std::fabs(x)) + 1e-4);
        CHECK_NEAR(q[1], y, 1e-4 * std::max(1.0, std::fabs(y)) + 1e-4);
        if (dims == 3) CHECK(q[2] == p[2]);
      }
    }
  }
}

TEST(tl_rejects_bad_nodes) {
  {
    Node node("TransformLandmarks", {{1, 5, 2}, {1, 4, 4}}, {{1, 5, 2}}, {}, /*version=*/1);
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformLandmarks", {{1, 5, 4}, {1, 4, 4}}, {{1, 5, 4}}, {});
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformLandmarks", {{1, 1, 5, 2}, {1, 4, 4}}, {{1, 1, 5, 2}}, {});
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformLandmarks", {{1, 5, 2}, {1, 4, 4}}, {{1, 5, 3}}, {});
    CHECK_THROWS(node.prepare(), ModelError);
  }
  {
    Node node("TransformLandmarks", {{1, 5, 2}, {16}}, {{1, 5, 2}}, {});
    CHECK_THROWS(node.prepare(), ModelError);
  }
}

// =============================================================================================
// The attention model's own nodes: real options bytes, real shapes.

TEST(attention_model_custom_nodes) {
  const fmn::ModelDef model = fmn::load_tflite_file(
      std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/face_landmark_with_attention.tflite");
  std::map<std::string, int> counts;
  // (left, right, subset size) per Landmarks2TransformMatrix node, in model order: lips,
  // left eye, right eye.
  const int expected_l2tm[3][3] = {{61, 291, 80}, {33, 133, 71}, {362, 263, 71}};
  int l2tm_seen = 0;
  for (const OperatorDef& op : model.operators) {
    if (op.builtin_code != fmn::builtin::kCustom) continue;
    ++counts[op.custom_code];
    CHECK(op.version == 2);
    std::vector<std::vector<int32_t>> ins, outs;
    for (int32_t t : op.inputs) ins.push_back(model.tensors[static_cast<size_t>(t)].shape);
    for (int32_t t : op.outputs) outs.push_back(model.tensors[static_cast<size_t>(t)].shape);
    Node node(op.custom_code, ins, outs, op.custom_options, op.version);
    node.prepare();

    if (op.custom_code == "Landmarks2TransformMatrix") {
      CHECK(ins.size() == 1 && ins[0] == std::vector<int32_t>({1, 468, 3}));
      const fmn::FlexMap opts =
          fmn::parse_flexbuffer_map(op.custom_options.data(), op.custom_options.size());
      L2TMOptions o;
      for (double d : opts.at("subset_idxs").numbers) o.subset.push_back(static_cast<int>(d));
      o.left = static_cast<int>(opts.at("left_rotation_idx").as_int());
      o.right = static_cast<int>(opts.at("right_rotation_idx").as_int());
      o.target = opts.at("target_rotation_radians").as_float();
      o.ow = static_cast<int>(opts.at("output_width").as_int());
      o.oh = static_cast<int>(opts.at("output_height").as_int());
      o.scale_x = opts.at("scale_x").as_float();
      o.scale_y = opts.at("scale_y").as_float();
      CHECK(o.left == expected_l2tm[l2tm_seen][0]);
      CHECK(o.right == expected_l2tm[l2tm_seen][1]);
      CHECK(static_cast<int>(o.subset.size()) == expected_l2tm[l2tm_seen][2]);
      CHECK(o.ow == 16 && o.oh == 16 && o.scale_x == 1.5 && o.scale_y == 1.5 && o.target == 0.0);
      // A face-sized cloud in the 48x48 feature frame (the model scales landmarks by 1/4).
      fill_landmarks(node.in_data[0].data(), 468, 8.0f, 40.0f);
      node.run();
      const std::vector<double> want = expected_matrix(node.in_data[0].data(), o);
      for (int i = 0; i < 16; ++i) {
        CHECK_NEAR(node.out_data[0][i], want[i], 1e-4 * std::max(1.0, std::fabs(want[i])));
      }
      ++l2tm_seen;
    } else if (op.custom_code == "TransformTensorBilinear") {
      CHECK(outs[0] == std::vector<int32_t>({1, 16, 16, 32}));
    } else {
      CHECK(op.custom_code == "TransformLandmarks");
      CHECK(ins[0].size() == 3 && ins[0][2] == 2);
    }
  }
  CHECK(counts["Landmarks2TransformMatrix"] == 3);
  CHECK(counts["TransformTensorBilinear"] == 3);
  CHECK(counts["TransformLandmarks"] == 5);
}

}  // namespace
