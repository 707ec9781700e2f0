// GL executor with fp16 storage (GlExecutorOptions::fp16_storage) against the CPU interpreter
// with reference kernels (fp32):
// - the host half-float conversion against the compiler's _Float16 (exhaustive round trip);
// - every op family on small odd shapes, batch 3, with the op's inputs and outputs stored as
//   halves (each case wraps the op between an ADD 0 that writes a half-float tensor and an
//   ADD 0 that reads it back into the fp32 graph output): within 2e-3 of max|ref|;
// - storage choices: graph outputs (also through a RESHAPE alias) stay fp32, activations
//   shrink;
// - the three face models on a smooth synthetic image in each model's input range: the mesh
//   outputs within 2e-3 of max|ref|, the face flag within 1e-2 absolute; prints every
//   output's relative error and fp32 / fp16 run times.
// Without a usable GL device the tests print SKIP and pass, unless FMN_TEST_REQUIRE_GL=1.
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "executors/gl_executor.h"
#include "ops/gl/gl_probe.h"
#include "ops/gl/kernels/gl_kernels.h"
#include "executors/interpreter.h"
#include "gl_test_util.h"

using namespace fmn;
using namespace gltest;

namespace {

std::mt19937& rng() {
  static std::mt19937 r(16021u);
  return r;
}
std::vector<float> rand_floats(int64_t n, float lo = -2.f, float hi = 2.f) { return uniform_floats(rng(), n, lo, hi); }

// Graph inputs and outputs pass through ADD 0, so that the tensors between are stored as halves.
struct HalfModelBuilder : ModelBuilder {
  // A graph input followed by ADD 0: returns the (half-float stored) internal copy.
  int internal_input(const std::vector<int32_t>& shape) {
    const int in = tensor(shape);
    m.inputs.push_back(in);
    const int t = tensor(shape);
    op(builtin::kAdd, {in, fconst({1}, {0.f})}, {t});
    return t;
  }
  // ADD 0 from an internal tensor into a new graph output.
  void output_of(int t) {
    const int out = tensor(m.tensors[t].shape);
    op(builtin::kAdd, {t, fconst({1}, {0.f})}, {out});
    m.outputs.push_back(out);
  }
};

struct Compared {
  std::vector<double> rel_err, max_ref;
};

// Runs `m` on GL with fp16 storage and on the reference interpreter; relative error per output.
Compared run_compare(const ModelDef& m, int batch, const std::vector<std::vector<float>>& inputs,
                     bool fp16 = true, gl::GlExecutor** keep = nullptr) {
  Compared c;
  InterpreterOptions ro;
  ro.tuned_kernels = false;
  Interpreter reference(m, ro);
  gl::GlExecutorOptions o;
  o.fp16_storage = fp16;
  std::unique_ptr<gl::GlExecutor> ex(new gl::GlExecutor(m, context(), batch, o));
  CHECK(ex->fp16_storage() == fp16);
  std::vector<const float*> in_ptrs;
  for (const auto& v : inputs) in_ptrs.push_back(v.data());
  std::vector<std::vector<float>> want(m.outputs.size()), got(m.outputs.size());
  std::vector<float*> wp, gp;
  for (size_t j = 0; j < m.outputs.size(); ++j) {
    const size_t n = static_cast<size_t>(numel(m.tensors[m.outputs[j]].shape) * batch);
    want[j].assign(n, 0.f);
    got[j].assign(n, std::nanf(""));
    wp.push_back(want[j].data());
    gp.push_back(got[j].data());
  }
  reference.run(batch, in_ptrs.data(), wp.data());
  ex->run(batch, in_ptrs.data(), gp.data());
  for (size_t j = 0; j < m.outputs.size(); ++j) {
    const OutputError e = output_error(got[j], want[j]);
    c.max_ref.push_back(e.max_ref);
    c.rel_err.push_back(e.relative());
  }
  if (keep) *keep = ex.release();
  return c;
}

// Per-op check: random inputs in [-2, 2], batch 3, every output within tol of max|ref|.
void check_op(const HalfModelBuilder& b, const std::string& what, double tol = 2e-3) {
  if (!context()) return;
  const int batch = 3;
  std::vector<std::vector<float>> inputs;
  for (int32_t id : b.m.inputs) inputs.push_back(rand_floats(numel(b.m.tensors[id].shape) * batch));
  const Compared c = run_compare(b.m, batch, inputs);
  for (size_t j = 0; j < c.rel_err.size(); ++j) {
    const bool ok = c.rel_err[j] <= tol && c.max_ref[j] > 0;
    std::printf("  %-34s output %zu: max|ref| %-8.3g relative error %.3g%s\n", what.c_str(), j, c.max_ref[j],
                c.rel_err[j], ok ? "" : "  FAIL");
    CHECK(ok);
  }
}

OperatorDef& conv(ModelBuilder& b, int x, int oc, int kh, int kw, int stride, int dil, Padding pad, int* out,
                  bool depthwise = false, int dm = 1) {
  const std::vector<int32_t>& s = b.m.tensors[x].shape;
  const int ih = s[1], iw = s[2], ic = s[3];
  auto osize = [&](int i, int k) {
    const int ek = (k - 1) * dil + 1;
    return pad == Padding::kSame ? (i + stride - 1) / stride : (i - ek + stride) / stride;
  };
  if (depthwise) oc = ic * dm;
  const std::vector<int32_t> wshape = depthwise ? std::vector<int32_t>{1, kh, kw, oc} : std::vector<int32_t>{oc, kh, kw, ic};
  const int w = b.fconst(wshape, rand_floats(numel(wshape), -0.5f, 0.5f));
  const int bias = b.fconst({oc}, rand_floats(oc, -0.5f, 0.5f));
  *out = b.tensor({1, osize(ih, kh), osize(iw, kw), oc});
  OperatorDef& o = b.op(depthwise ? builtin::kDepthwiseConv2d : builtin::kConv2d, {x, w, bias}, {*out});
  o.options.padding = pad;
  o.options.stride_h = o.options.stride_w = stride;
  o.options.dilation_h = o.options.dilation_w = dil;
  if (depthwise) o.options.depth_multiplier = dm;
  return o;
}

}  // namespace

// The compiler's _Float16 is the oracle here; GCC has it on x86-64, clang 14 only with
// AVX512-FP16 (the sanitizer build uses clang: these two tests are then not built).
#if defined(__FLT16_MAX__)
TEST(fp16_half_conversion_matches_float16) {
  // Every half: half -> float -> half is the identity (NaNs stay NaN).
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = gl::half_to_float(static_cast<uint16_t>(h));
    const _Float16 ref = static_cast<_Float16>(f);
    uint16_t ref_bits;
    std::memcpy(&ref_bits, &ref, 2);
    const bool nan = ((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff);
    if (nan) {
      CHECK(std::isnan(f));
      CHECK((gl::float_to_half(f) & 0x7c00) == 0x7c00 && (gl::float_to_half(f) & 0x3ff));
      continue;
    }
    CHECK(static_cast<float>(ref) == f || (f != f));
    CHECK(gl::float_to_half(f) == h);
  }
  // Random floats over the whole range (normals, subnormals, ties, overflow) vs _Float16.
  std::uniform_int_distribution<uint32_t> bits;
  int mismatches = 0;
  for (int i = 0; i < 2000000; ++i) {
    uint32_t x = bits(rng());
    if (i % 4 == 1) x = (x & 0x80000000u) | (0x33000000u + x % 0x14800000u);  // near the half range
    if (i % 4 == 2) x &= 0xffffe000u | ((x & 1u) << 12);                      // exact ties
    float f;
    std::memcpy(&f, &x, 4);
    if (std::isnan(f)) continue;
    const _Float16 ref = static_cast<_Float16>(f);
    uint16_t ref_bits;
    std::memcpy(&ref_bits, &ref, 2);
    if (gl::float_to_half(f) != ref_bits && ++mismatches < 5)
      std::printf("  float_to_half(%a) = 0x%04x, _Float16 gives 0x%04x\n", static_cast<double>(f),
                  gl::float_to_half(f), ref_bits);
  }
  CHECK(mismatches == 0);
}
#endif  // __FLT16_MAX__

TEST(fp16_conv2d) {
  {
    HalfModelBuilder b;  // odd IC (element reads), OC 6 (half-word tail), bias, fused PRELU
    const int x = b.internal_input({1, 7, 9, 5});
    int y;
    conv(b, x, 6, 3, 3, 1, 1, Padding::kSame, &y);
    const int z = b.tensor(b.m.tensors[y].shape);
    b.op(builtin::kPrelu, {y, b.fconst({6}, rand_floats(6, 0.f, 0.5f))}, {z});
    b.output_of(z);
    check_op(b, "conv 3x3 5->6 +PRELU");
  }
  {
    HalfModelBuilder b;  // even IC (pair reads), OC 7 (shared words), stride 2, dilation 2, VALID
    const int x = b.internal_input({1, 11, 10, 8});
    int y;
    conv(b, x, 7, 3, 2, 2, 2, Padding::kValid, &y).options.activation = Activation::kRelu6;
    b.output_of(y);
    check_op(b, "conv 3x2 s2 d2 8->7 RELU6");
  }
  {
    HalfModelBuilder b;  // 1x1 conv with a fused half-float residual and RELU
    const int x = b.internal_input({1, 6, 5, 8});
    int y;
    conv(b, x, 8, 1, 1, 1, 1, Padding::kSame, &y);
    const int s = b.tensor({1, 6, 5, 8});
    b.op(builtin::kAdd, {y, x}, {s}).options.activation = Activation::kRelu;
    b.output_of(s);
    check_op(b, "conv 1x1 8->8 +ADD(residual) RELU");
  }
}

TEST(fp16_depthwise_conv2d) {
  {
    HalfModelBuilder b;  // DM 1, OC % 4 == 0 (two-word reads)
    const int x = b.internal_input({1, 9, 9, 8});
    int y;
    conv(b, x, 0, 3, 3, 2, 1, Padding::kSame, &y, true);
    b.output_of(y);
    check_op(b, "depthwise 3x3 s2 C8");
  }
  {
    HalfModelBuilder b;  // DM 2 on odd channels, dilation, residual from a half-float tensor
    const int x = b.internal_input({1, 7, 6, 3});
    int y;
    conv(b, x, 0, 3, 3, 1, 2, Padding::kSame, &y, true, 2);
    const int other = b.internal_input({1, 7, 6, 6});
    const int s = b.tensor({1, 7, 6, 6});
    b.op(builtin::kAdd, {y, other}, {s});
    b.output_of(s);
    check_op(b, "depthwise 3x3 d2 C3 DM2 +ADD");
  }
}

TEST(fp16_elementwise_pool_pad_concat_slice) {
  {
    HalfModelBuilder b;
    const int a = b.internal_input({1, 5, 5, 3});
    const int c = b.internal_input({1, 1, 1, 3});
    const int add = b.tensor({1, 5, 5, 3});
    b.op(builtin::kAdd, {a, c}, {add});
    const int mul = b.tensor({1, 5, 5, 3});
    b.op(builtin::kMul, {add, b.fconst({3}, {0.5f, -1.5f, 2.f})}, {mul});
    const int pr = b.tensor({1, 5, 5, 3});
    b.op(builtin::kPrelu, {mul, b.fconst({1, 1, 3}, {0.1f, 0.2f, 0.3f})}, {pr});
    const int lg = b.tensor({1, 5, 5, 3});
    b.op(builtin::kLogistic, {pr}, {lg});
    const int r6 = b.tensor({1, 5, 5, 3});
    b.op(builtin::kRelu6, {mul}, {r6});
    b.output_of(pr);
    b.output_of(lg);
    b.output_of(r6);
    check_op(b, "ADD(bcast) MUL PRELU LOGISTIC RELU6");
  }
  {
    HalfModelBuilder b;
    const int x = b.internal_input({1, 7, 7, 3});
    const int p = b.tensor({1, 4, 4, 3});
    OperatorDef& o = b.op(builtin::kMaxPool2d, {x}, {p});
    o.options.padding = Padding::kSame;
    o.options.stride_h = o.options.stride_w = 2;
    o.options.filter_h = o.options.filter_w = 2;
    b.output_of(p);
    check_op(b, "MAX_POOL_2D 2x2 s2 C3");
  }
  {
    HalfModelBuilder b;
    const int x = b.internal_input({1, 5, 5, 3});
    const int p = b.tensor({1, 7, 8, 3});
    b.op(builtin::kPad, {x, b.iconst({4, 2}, {0, 0, 1, 1, 2, 1, 0, 0})}, {p});
    const int y = b.internal_input({1, 7, 8, 5});
    const int cat = b.tensor({1, 7, 8, 8});
    b.op(builtin::kConcatenation, {p, y}, {cat}).options.axis = 3;
    const int sl = b.tensor({1, 3, 4, 7});
    OperatorDef& s = b.op(builtin::kStridedSlice,
                          {cat, b.iconst({4}, {0, 1, 0, 1}), b.iconst({4}, {1, 7, 8, 8}), b.iconst({4}, {1, 2, 2, 1})},
                          {sl});
    (void)s;
    b.output_of(cat);
    b.output_of(sl);
    check_op(b, "PAD CONCATENATION(3+5) STRIDED_SLICE");
  }
}

TEST(fp16_storage_choices) {
  if (!context()) return;
  // A graph output produced through a RESHAPE alias of a conv output keeps fp32 storage (the
  // result is exact to the fp32 path up to the half-stored input of the conv).
  HalfModelBuilder b;
  const int x = b.internal_input({1, 4, 4, 6});
  int y;
  conv(b, x, 4, 1, 1, 1, 1, Padding::kSame, &y);
  const int r = b.tensor({1, 64});
  b.op(builtin::kReshape, {y, b.iconst({2}, {1, 64})}, {r});
  b.m.outputs.push_back(r);
  std::vector<std::vector<float>> in = {rand_floats(96 * 2)};
  gl::GlExecutor* e16 = nullptr;
  gl::GlExecutor* e32 = nullptr;
  const Compared c16 = run_compare(b.m, 2, in, true, &e16);
  const Compared c32 = run_compare(b.m, 2, in, false, &e32);
  std::printf("  reshape-aliased output: relative error fp16 %.3g, fp32 %.3g\n", c16.rel_err[0], c32.rel_err[0]);
  CHECK(c16.rel_err[0] <= 2e-3);
  CHECK(c32.rel_err[0] <= 1e-5);
  CHECK(c16.rel_err[0] > c32.rel_err[0]);  // the half-stored input and weights do show
  CHECK(e16->activation_bytes() < e32->activation_bytes());
  CHECK(e16->constant_bytes() < e32->constant_bytes());
  delete e16;
  delete e32;
}

namespace {

// A smooth synthetic "image" in [lo, hi]: soft gradients, a bright ellipse (face-sized) and
// low-frequency texture, different per channel and per sample.
std::vector<float> smooth_image(int h, int w, int c, int batch, float lo, float hi) {
  std::vector<float> v(static_cast<size_t>(h) * w * c * batch);
  size_t i = 0;
  for (int s = 0; s < batch; ++s)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int ch = 0; ch < c; ++ch) {
          const float u = (x + 0.5f) / w - 0.5f, t = (y + 0.5f) / h - 0.5f;
          const float blob = std::exp(-(u * u / 0.06f + t * t / 0.1f));
          const float tex = 0.15f * std::sin(9.f * u + 2.f * ch + s) * std::cos(7.f * t - ch);
          const float g = 0.25f + 0.2f * u - 0.1f * t + 0.05f * ch;
          const float n = std::min(1.f, std::max(0.f, g + 0.45f * blob + tex));
          v[i++] = lo + (hi - lo) * n;
        }
  return v;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Median of `reps` batch-1 runs.
double time_runs(gl::GlExecutor& ex, const std::vector<const float*>& in, const std::vector<float*>& out, int reps) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    ex.run(1, in.data(), out.data());
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void check_model(const char* file, float lo, float hi) {
  gl::GlContext* ctx = context();
  if (!ctx) return;
  const std::string path = std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/" + file;
  const ModelDef model = load_tflite_file(path);
  const int batch = 2;
  const std::vector<int32_t>& s = model.tensors[model.inputs[0]].shape;
  std::vector<std::vector<float>> inputs = {smooth_image(s[1], s[2], s[3], batch, lo, hi)};
  gl::GlExecutor* ex16 = nullptr;
  const Compared c = run_compare(model, batch, inputs, true, &ex16);
  std::unique_ptr<gl::GlExecutor> e16(ex16);

  // Timings, batch 1: fp32 vs fp16 storage (median of 5 after a warm-up run).
  gl::GlExecutorOptions o32;
  gl::GlExecutor e32(model, ctx, 1, o32);
  std::vector<const float*> in = {inputs[0].data()};
  std::vector<std::vector<float>> outs;
  std::vector<float*> out;
  for (const TensorInfo& t : e32.outputs()) outs.emplace_back(static_cast<size_t>(t.num_elements() * batch));
  for (auto& v : outs) out.push_back(v.data());
  time_runs(e32, in, out, 1);
  time_runs(*e16, in, out, 1);
  const double t32 = time_runs(e32, in, out, 5), t16 = time_runs(*e16, in, out, 5);
  std::printf("%s: batch-1 run fp32 %.1f ms, fp16 %.1f ms; activations %.2f -> %.2f MiB, constants %.2f -> %.2f MiB "
              "(fp16 executor sized for batch %d)\n",
              file, t32 * 1e3, t16 * 1e3, e32.activation_bytes() / 1048576.0,
              e16->activation_bytes() / 1048576.0 / batch, e32.constant_bytes() / 1048576.0,
              e16->constant_bytes() / 1048576.0, batch);

  for (size_t j = 0; j < c.rel_err.size(); ++j) {
    const std::string& name = e16->outputs()[j].name;
    // The landmark models' face flag is their one single-value output (a logit).
    const bool is_detector = std::string(file).find("detection") != std::string::npos;
    const bool is_flag = !is_detector && e16->outputs()[j].num_elements() == 1;
    const double abs_err = c.rel_err[j] * c.max_ref[j];
    // Landmark coordinates: 2e-3 of max|ref|. Face flag: 1e-2 absolute. Detector outputs
    // (box regressors, score logits): 1e-2 of max|ref|.
    const bool ok = is_flag ? abs_err <= 1e-2 : c.rel_err[j] <= (is_detector ? 1e-2 : 2e-3);
    std::printf("  %-24s max|ref| %-9.4g max err %-9.3g (%.2e relative)%s%s\n", name.c_str(), c.max_ref[j], abs_err,
                c.rel_err[j], is_flag ? " [face flag]" : "", ok ? "" : "  FAIL");
    CHECK(ok);
    CHECK(c.max_ref[j] > 0);
  }
}

}  // namespace

TEST(fp16_model_face_detection_short_range) { check_model("face_detection_short_range.tflite", -1.f, 1.f); }
TEST(fp16_model_face_landmark) { check_model("face_landmark.tflite", 0.f, 1.f); }
TEST(fp16_model_face_landmark_with_attention) { check_model("face_landmark_with_attention.tflite", 0.f, 1.f); }
