// Tuned CPU kernels (create_cpu_kernel) against the reference kernels (create_reference_kernel),
// for every instruction-set level this machine supports (forced with FMN_CPU_ISA), on random
// shapes, strides, paddings, dilations, filter sizes, activations and fused epilogues, without
// a pool and with a 2-thread pool. Tolerance: 1e-5 of max |reference| (plus 1e-6 absolute).
// Also checks that the tuned kernels write every output element and nothing past the output.
#define FMN_TEST_MAIN
#include "ops/reference/reference_kernels.h"
#include "ops/cpu/cpu_backend.h"
#include "testing.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ops/reference/reference_ops.h"
#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace {

using fmn::Activation;
using fmn::OpContext;
using fmn::OperatorDef;
using fmn::Padding;
using fmn::TensorView;

const float kInf = std::numeric_limits<float>::infinity();
constexpr int kGuard = 64;  // floats past each output, must stay untouched

struct Isa {
  const char* env;
  const char* impl;
  bool available;
};

std::vector<Isa> isa_levels() {
  std::vector<Isa> v;
  v.push_back({"generic", "cpu.generic", true});
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  v.push_back({"avx2", "cpu.avx2", avx2});
  v.push_back({"avx512", "cpu.avx512", avx2 && __builtin_cpu_supports("avx512f")});
#endif
  return v;
}

struct ConvCase {
  bool depthwise = false;
  int n = 1, h = 8, w = 8, ic = 4, oc = 4, kh = 3, kw = 3;
  int sh = 1, sw = 1, dh = 1, dw = 1;
  Padding pad = Padding::kSame;
  Activation act = Activation::kNone;
  bool bias = true, residual = false, prelu = false;
  int res_c = 0;  // Epilogue::residual_channels (0: the residual has every output channel)
  float post_lo = -kInf, post_hi = kInf;

  std::string str() const {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%s n%d %dx%dx%d->%d k%dx%d s%d,%d d%d,%d %s act%d bias%d res%d/%d prelu%d "
                  "post[%g,%g]",
                  depthwise ? "dw" : "conv", n, h, w, ic, oc, kh, kw, sh, sw, dh, dw,
                  pad == Padding::kSame ? "SAME" : "VALID", static_cast<int>(act), bias, residual,
                  res_c, prelu, post_lo, post_hi);
    return buf;
  }
};

int out_dim(Padding pad, int in, int k, int s, int d) {
  const int span = (k - 1) * d + 1;
  if (pad == Padding::kSame) return (in + s - 1) / s;
  return in >= span ? (in - span) / s + 1 : 0;
}

std::vector<float> random_vec(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// Runs kernel k (prepared on ctx) and returns its output; `out` is prefilled with NaN and
// kGuard sentinel floats follow it.
std::vector<float> run_kernel(const fmn::Kernel& k, size_t scratch, const OpContext& ctx,
                              size_t out_elems, fmn::ThreadPool* pool, bool* guard_ok) {
  std::vector<float> out(out_elems + kGuard, std::numeric_limits<float>::quiet_NaN());
  for (int i = 0; i < kGuard; ++i) out[out_elems + i] = 12345.f;
  std::vector<unsigned char> scratch_buf(scratch + 64);
  fmn::NodeArgs args;
  args.inputs = ctx.inputs;
  args.outputs = ctx.outputs;
  args.outputs[0].data = out.data();
  args.scratch = scratch ? scratch_buf.data() + (64 - reinterpret_cast<uintptr_t>(scratch_buf.data()) % 64) % 64 : nullptr;
  k.run(args, pool);
  *guard_ok = true;
  for (int i = 0; i < kGuard; ++i) *guard_ok = *guard_ok && out[out_elems + i] == 12345.f;
  out.resize(out_elems);
  return out;
}

// Checks every available ISA level's tuned kernel against the reference on one case.
void check_conv_case(const ConvCase& c, std::mt19937& rng, fmn::ThreadPool* pool2) {
  const int oc = c.depthwise ? c.ic : c.oc;
  const int oh = out_dim(c.pad, c.h, c.kh, c.sh, c.dh);
  const int ow = out_dim(c.pad, c.w, c.kw, c.sw, c.dw);
  if (oh < 1 || ow < 1) return;
  std::vector<float> input = random_vec(rng, static_cast<size_t>(c.n) * c.h * c.w * c.ic, -1.f, 1.f);
  const size_t filter_elems = c.depthwise ? static_cast<size_t>(c.kh) * c.kw * c.ic
                                          : static_cast<size_t>(oc) * c.kh * c.kw * c.ic;
  std::vector<float> filter = random_vec(rng, filter_elems, -1.f, 1.f);
  std::vector<float> bias = random_vec(rng, static_cast<size_t>(oc), -1.f, 1.f);
  const size_t out_elems = static_cast<size_t>(c.n) * oh * ow * oc;
  std::vector<float> residual = random_vec(rng, out_elems, -2.f, 2.f);
  // A narrow residual: [n, oh, ow, res_c]; `residual` then holds it zero-padded to oc channels,
  // the operand an unfused ADD of the channel PAD would see.
  const int res_c = c.residual ? c.res_c : 0;
  std::vector<float> narrow;
  if (res_c > 0) {
    const size_t pixels = out_elems / static_cast<size_t>(oc);
    narrow.resize(pixels * static_cast<size_t>(res_c));
    for (size_t px = 0; px < pixels; ++px)
      for (int ch = 0; ch < oc; ++ch) {
        float& v = residual[px * oc + ch];
        if (ch < res_c) narrow[px * res_c + ch] = v; else v = 0.f;
      }
  }
  std::vector<float> alpha = random_vec(rng, static_cast<size_t>(oc), -0.5f, 1.5f);

  OperatorDef op;
  op.builtin_code = c.depthwise ? fmn::builtin::kDepthwiseConv2d : fmn::builtin::kConv2d;
  op.options.padding = c.pad;
  op.options.stride_h = c.sh;
  op.options.stride_w = c.sw;
  op.options.dilation_h = c.dh;
  op.options.dilation_w = c.dw;
  op.options.depth_multiplier = 1;
  op.options.activation = c.act;

  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = c.depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D";
  TensorView in{fmn::TensorType::kFloat32, {c.n, c.h, c.w, c.ic}, input.data(), false};
  TensorView wt{fmn::TensorType::kFloat32,
                c.depthwise ? std::vector<int32_t>{1, c.kh, c.kw, c.ic}
                            : std::vector<int32_t>{oc, c.kh, c.kw, c.ic},
                filter.data(), true};
  TensorView b{fmn::TensorType::kFloat32, {oc}, c.bias ? bias.data() : nullptr, c.bias};
  TensorView out{fmn::TensorType::kFloat32, {c.n, oh, ow, oc}, nullptr, false};
  ctx.inputs = {in, wt, b};
  if (c.residual) {
    ctx.inputs.push_back(TensorView{fmn::TensorType::kFloat32, {c.n, oh, ow, oc}, residual.data(), false});
    ctx.epilogue.has_residual = true;
  }
  if (c.prelu) ctx.epilogue.prelu_alpha = alpha.data();
  ctx.epilogue.post_lo = c.post_lo;
  ctx.epilogue.post_hi = c.post_hi;
  ctx.outputs = {out};

  // The reference on the full-width (zero-padded) residual is the expected result; with a
  // narrow residual the reference on it must agree exactly.
  std::unique_ptr<fmn::Kernel> ref = fmn::create_reference_kernel(ctx);
  const size_t ref_scratch = ref->prepare(ctx);
  bool guard = true;
  const std::vector<float> want = run_kernel(*ref, ref_scratch, ctx, out_elems, nullptr, &guard);
  if (res_c > 0) {
    ctx.inputs[3] =
        TensorView{fmn::TensorType::kFloat32, {c.n, oh, ow, res_c}, narrow.data(), false};
    ctx.epilogue.residual_channels = res_c;
    std::unique_ptr<fmn::Kernel> ref_narrow = fmn::create_reference_kernel(ctx);
    const size_t s = ref_narrow->prepare(ctx);
    const std::vector<float> got = run_kernel(*ref_narrow, s, ctx, out_elems, nullptr, &guard);
    bool same = true;
    for (size_t i = 0; i < out_elems; ++i) same = same && got[i] == want[i];
    if (!same) fmn_test::fail(__FILE__, __LINE__, "reference narrow residual differs: " + c.str());
  }
  float max_abs = 0.f;
  for (float v : want) max_abs = std::max(max_abs, std::fabs(v));
  const float tol = 1e-5f * max_abs + 1e-6f;

  for (const Isa& isa : isa_levels()) {
    if (!isa.available) continue;
    setenv("FMN_CPU_ISA", isa.env, 1);
    std::unique_ptr<fmn::Kernel> k = fmn::create_cpu_kernel(ctx);
    unsetenv("FMN_CPU_ISA");
    if (!k) {
      fmn_test::fail(__FILE__, __LINE__, "no tuned kernel for " + c.str());
      continue;
    }
    CHECK(std::string(k->impl_name()) == isa.impl);
    const size_t scratch = k->prepare(ctx);
    for (fmn::ThreadPool* pool : {static_cast<fmn::ThreadPool*>(nullptr), pool2}) {
      bool guard_ok = false;
      const std::vector<float> got = run_kernel(*k, scratch, ctx, out_elems, pool, &guard_ok);
      if (!guard_ok) fmn_test::fail(__FILE__, __LINE__, std::string(isa.env) + " wrote past output: " + c.str());
      float worst = 0.f;
      size_t worst_i = 0;
      for (size_t i = 0; i < out_elems; ++i) {
        const float d = std::fabs(got[i] - want[i]);
        if (!(d <= worst)) {  // NaN (unwritten) counts as worst
          worst = std::isnan(d) ? kInf : d;
          worst_i = i;
        }
      }
      if (!(worst <= tol)) {
        fmn_test::fail(__FILE__, __LINE__,
                       std::string(isa.env) + (pool ? " pool2" : " serial") + " " + c.str() +
                           ": max err " + std::to_string(worst) + " at " + std::to_string(worst_i) +
                           " (got " + std::to_string(got[worst_i]) + ", want " +
                           std::to_string(want[worst_i]) + ", tol " + std::to_string(tol) + ")");
      }
    }
  }
}

Activation random_act(std::mt19937& rng) {
  static const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6,
                                    Activation::kReluN1To1};
  return acts[rng() % 4];
}

void randomize_epilogue(ConvCase& c, std::mt19937& rng) {
  c.act = random_act(rng);
  c.bias = rng() % 5 != 0;
  c.residual = rng() % 2 == 0;
  c.prelu = rng() % 2 == 0;
  if (rng() % 3 == 0) {
    c.post_lo = -0.5f;
    c.post_hi = 1.5f;
  } else if (rng() % 4 == 0) {
    c.post_lo = 0.f;
  }
}

}  // namespace

TEST(conv_random_shapes) {
  std::mt19937 rng(1234);
  fmn::ThreadPool pool(2);
  for (int iter = 0; iter < 160; ++iter) {
    ConvCase c;
    c.n = 1 + static_cast<int>(rng() % 3);
    c.h = 1 + static_cast<int>(rng() % 13);
    c.w = 1 + static_cast<int>(rng() % 13);
    c.ic = 1 + static_cast<int>(rng() % 40);
    c.oc = 1 + static_cast<int>(rng() % 90);
    static const int ks[] = {1, 1, 3, 5, 2};
    c.kh = ks[rng() % 5];
    c.kw = rng() % 4 == 0 ? ks[rng() % 5] : c.kh;
    c.sh = 1 + static_cast<int>(rng() % 2);
    c.sw = rng() % 4 == 0 ? 1 + static_cast<int>(rng() % 3) : c.sh;
    c.dh = rng() % 5 == 0 ? 2 : 1;
    c.dw = rng() % 5 == 0 ? 2 : 1;
    c.pad = rng() % 2 ? Padding::kSame : Padding::kValid;
    randomize_epilogue(c, rng);
    check_conv_case(c, rng, &pool);
  }
}

TEST(conv_pointwise_random) {
  std::mt19937 rng(99);
  fmn::ThreadPool pool(2);
  for (int iter = 0; iter < 120; ++iter) {
    ConvCase c;
    c.n = 1 + static_cast<int>(rng() % 3);
    c.h = 1 + static_cast<int>(rng() % 20);
    c.w = 1 + static_cast<int>(rng() % 20);
    c.ic = 1 + static_cast<int>(rng() % 140);
    // Every third case takes a reduction length with a fully unrolled tile.
    static const int fixed_k[] = {16, 24, 32};
    if (iter % 3 == 0) c.ic = fixed_k[(iter / 3) % 3];
    c.oc = 1 + static_cast<int>(rng() % 150);
    c.kh = c.kw = 1;
    randomize_epilogue(c, rng);
    check_conv_case(c, rng, &pool);
  }
}

TEST(depthwise_random_shapes) {
  std::mt19937 rng(777);
  fmn::ThreadPool pool(2);
  for (int iter = 0; iter < 160; ++iter) {
    ConvCase c;
    c.depthwise = true;
    c.n = 1 + static_cast<int>(rng() % 3);
    c.h = 1 + static_cast<int>(rng() % 17);
    c.w = 1 + static_cast<int>(rng() % 17);
    c.ic = 1 + static_cast<int>(rng() % 70);
    static const int ks[] = {3, 3, 5, 1, 2, 4};
    c.kh = ks[rng() % 6];
    c.kw = rng() % 4 == 0 ? ks[rng() % 6] : c.kh;
    c.sh = 1 + static_cast<int>(rng() % 2);
    c.sw = rng() % 4 == 0 ? 1 + static_cast<int>(rng() % 3) : c.sh;
    c.dh = rng() % 5 == 0 ? 2 : 1;
    c.dw = rng() % 5 == 0 ? 2 : 1;
    c.pad = rng() % 2 ? Padding::kSame : Padding::kValid;
    randomize_epilogue(c, rng);
    check_conv_case(c, rng, &pool);
  }
}

// Few input channels and rows of >= 16 output pixels: the AVX-512 pixel-vectorised direct conv
// (other levels, and out_c 9..16, use the tiled GEMM), over its limits: in_c <= 4,
// out_c <= 24, k_h <= 7, stride_w 1 or 2, with partial 16-pixel blocks, padded rows and
// columns and every epilogue.
TEST(conv_few_input_channels_random) {
  std::mt19937 rng(71);
  fmn::ThreadPool pool(2);
  for (int iter = 0; iter < 60; ++iter) {
    ConvCase c;
    c.n = 1 + static_cast<int>(rng() % 2);
    c.h = 1 + static_cast<int>(rng() % 12);
    c.w = 16 + static_cast<int>(rng() % 60);
    c.ic = 1 + static_cast<int>(rng() % 4);
    c.oc = 1 + static_cast<int>(rng() % 24);
    static const int ks[] = {1, 2, 3, 5, 7};
    c.kh = ks[rng() % 5];
    c.kw = rng() % 4 == 0 ? ks[rng() % 5] : c.kh;
    c.sh = 1 + static_cast<int>(rng() % 2);
    c.sw = c.w >= 32 && rng() % 2 ? 2 : 1;
    c.pad = rng() % 2 ? Padding::kSame : Padding::kValid;
    randomize_epilogue(c, rng);
    check_conv_case(c, rng, &pool);
  }
}

// The layer shapes of face_landmark and face_detection_short_range.
TEST(model_layer_shapes) {
  std::mt19937 rng(5);
  fmn::ThreadPool pool(2);
  auto conv = [](int h, int ic, int oc, int k, int s, Padding pad) {
    ConvCase c;
    c.h = c.w = h;
    c.ic = ic;
    c.oc = oc;
    c.kh = c.kw = k;
    c.sh = c.sw = s;
    c.pad = pad;
    return c;
  };
  ConvCase first = conv(192, 3, 16, 3, 2, Padding::kSame);
  first.prelu = true;
  check_conv_case(first, rng, &pool);
  ConvCase det_first = conv(128, 3, 24, 5, 2, Padding::kSame);
  det_first.act = Activation::kRelu;
  check_conv_case(det_first, rng, &pool);
  ConvCase pw = conv(96, 16, 16, 1, 1, Padding::kSame);
  pw.residual = pw.prelu = true;
  check_conv_case(pw, rng, &pool);
  ConvCase pw2 = conv(32, 36, 42, 1, 1, Padding::kSame);
  pw2.residual = true;
  pw2.post_lo = 0.f;
  check_conv_case(pw2, rng, &pool);
  ConvCase head = conv(3, 32, 1404, 3, 1, Padding::kValid);
  check_conv_case(head, rng, &pool);
  ConvCase dw = conv(96, 16, 16, 3, 1, Padding::kSame);
  dw.depthwise = true;
  check_conv_case(dw, rng, &pool);
  ConvCase dw2 = conv(96, 16, 16, 3, 2, Padding::kSame);
  dw2.depthwise = true;
  check_conv_case(dw2, rng, &pool);
  ConvCase dw3 = conv(34, 88, 88, 3, 2, Padding::kValid);
  dw3.depthwise = true;
  check_conv_case(dw3, rng, &pool);
  ConvCase dw5 = conv(16, 56, 56, 5, 1, Padding::kSame);
  dw5.depthwise = true;
  dw5.residual = true;
  check_conv_case(dw5, rng, &pool);
}

// Narrow residuals (Epilogue::residual_channels: the fused ADD of a channel PAD, reading the
// PAD's input) on every conv path: tiled GEMM, pointwise (fixed and runtime K), depthwise with
// fixed and runtime filter sizes, and the AVX-512 direct conv; residual widths below, at and
// across vector-lane boundaries.
TEST(narrow_residual_random) {
  std::mt19937 rng(4242);
  fmn::ThreadPool pool(2);
  for (int iter = 0; iter < 200; ++iter) {
    ConvCase c;
    const int kind = iter % 4;  // 0 conv, 1 pointwise, 2 depthwise, 3 few input channels
    c.n = 1 + static_cast<int>(rng() % 2);
    c.h = 1 + static_cast<int>(rng() % 12);
    c.w = kind == 3 ? 16 + static_cast<int>(rng() % 40) : 1 + static_cast<int>(rng() % 14);
    c.ic = kind == 3 ? 1 + static_cast<int>(rng() % 4) : 1 + static_cast<int>(rng() % 70);
    if (kind == 1 && iter % 8 == 1) c.ic = 16 + 8 * static_cast<int>(rng() % 3);
    c.oc = kind == 3 ? 2 + static_cast<int>(rng() % 23) : 2 + static_cast<int>(rng() % 90);
    c.depthwise = kind == 2;
    if (c.depthwise && c.ic < 2) c.ic = 2;
    static const int ks[] = {3, 5, 1, 2, 3};
    c.kh = kind == 1 ? 1 : ks[rng() % 5];
    c.kw = kind == 1 ? 1 : rng() % 4 == 0 ? ks[rng() % 5] : c.kh;
    c.sh = kind == 1 ? 1 : 1 + static_cast<int>(rng() % 2);
    c.sw = kind == 1 ? 1 : kind == 3 ? (c.w >= 32 && rng() % 2 ? 2 : 1) : c.sh;
    c.pad = kind == 1 || rng() % 2 ? Padding::kSame : Padding::kValid;
    randomize_epilogue(c, rng);
    c.residual = true;
    const int oc = c.depthwise ? c.ic : c.oc;
    c.res_c = 1 + static_cast<int>(rng() % static_cast<uint32_t>(oc - 1));
    check_conv_case(c, rng, &pool);
  }
  // The detector's shapes: a 1x1 conv 24 -> 28 over a 3-channel-PAD residual, 16x16 depthwise
  // blocks of 88 -> 96, and the first layers' direct conv with a narrow residual.
  ConvCase pw;
  pw.h = pw.w = 64;
  pw.ic = 24;
  pw.oc = 28;
  pw.kh = pw.kw = 1;
  pw.residual = true;
  pw.res_c = 24;
  pw.post_lo = 0.f;
  check_conv_case(pw, rng, &pool);
  ConvCase wide = pw;
  wide.h = wide.w = 16;
  wide.ic = 88;
  wide.oc = 96;
  wide.res_c = 88;
  check_conv_case(wide, rng, &pool);
  ConvCase dw;
  dw.depthwise = true;
  dw.h = dw.w = 32;
  dw.ic = 40;
  dw.kh = dw.kw = 5;
  dw.residual = true;
  dw.res_c = 33;
  dw.prelu = true;
  check_conv_case(dw, rng, &pool);
  ConvCase direct;
  direct.h = direct.w = 64;
  direct.ic = 3;
  direct.oc = 24;
  direct.kh = direct.kw = 5;
  direct.residual = true;
  direct.res_c = 17;
  check_conv_case(direct, rng, &pool);
}

// An invalid residual_channels (>= out_c, or a residual of the wrong width) is refused.
TEST(narrow_residual_invalid) {
  std::vector<float> filter(8 * 4, 0.5f), res(2 * 2 * 8, 1.f);
  OperatorDef op;
  op.builtin_code = fmn::builtin::kConv2d;
  op.options.padding = Padding::kSame;
  op.options.stride_h = op.options.stride_w = 1;
  op.options.dilation_h = op.options.dilation_w = 1;
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "CONV_2D";
  ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {1, 2, 2, 4}, nullptr, false},
                TensorView{fmn::TensorType::kFloat32, {8, 1, 1, 4}, filter.data(), true},
                TensorView{fmn::TensorType::kFloat32, {8}, nullptr, false},
                TensorView{fmn::TensorType::kFloat32, {1, 2, 2, 8}, res.data(), false}};
  ctx.outputs = {TensorView{fmn::TensorType::kFloat32, {1, 2, 2, 8}, nullptr, false}};
  ctx.epilogue.has_residual = true;
  ctx.epilogue.residual_channels = 8;  // == out_c
  CHECK(!fmn::create_cpu_kernel(ctx));
  CHECK_THROWS(fmn::create_reference_kernel(ctx)->prepare(ctx), fmn::ModelError);
  ctx.epilogue.residual_channels = 5;  // residual still 8 wide
  CHECK(!fmn::create_cpu_kernel(ctx));
  CHECK_THROWS(fmn::create_reference_kernel(ctx)->prepare(ctx), fmn::ModelError);
  ctx.inputs[3].shape = {1, 2, 2, 5};
  CHECK(fmn::create_cpu_kernel(ctx) != nullptr);
  fmn::create_reference_kernel(ctx)->prepare(ctx);
}

TEST(declines_uncovered_nodes) {
  std::vector<float> input(2 * 4 * 4 * 3), filter(1 * 3 * 3 * 6), bias(6);
  OperatorDef op;
  op.builtin_code = fmn::builtin::kDepthwiseConv2d;
  op.options.depth_multiplier = 2;
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "DEPTHWISE_CONV_2D";
  ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {2, 4, 4, 3}, input.data(), false},
                TensorView{fmn::TensorType::kFloat32, {1, 3, 3, 6}, filter.data(), true},
                TensorView{fmn::TensorType::kFloat32, {6}, bias.data(), true}};
  ctx.outputs = {TensorView{fmn::TensorType::kFloat32, {2, 4, 4, 6}, nullptr, false}};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // depth multiplier 2
  op.builtin_code = fmn::builtin::kConv2d;
  op.options.activation = Activation::kTanh;
  ctx.inputs[1].shape = {6, 3, 3, 3};
  ctx.outputs[0].shape = {2, 4, 4, 6};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // unsupported fused activation
  op.options.activation = Activation::kNone;
  CHECK(fmn::create_cpu_kernel(ctx) != nullptr);
  ctx.inputs[1].is_constant = false;
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // run-time filter
  ctx.inputs[1].is_constant = true;
  ctx.outputs[0].shape = {2, 4, 4, 5};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // inconsistent output shape
  op.builtin_code = fmn::builtin::kReshape;
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);
}

namespace {

// Runs the reference and the tuned kernel of one op at every ISA level and compares them
// exactly (both select or copy input values).
void check_exact_op(const OpContext& ctx, size_t out_elems, fmn::ThreadPool* pool2,
                    const std::string& what) {
  std::unique_ptr<fmn::Kernel> ref = fmn::create_reference_kernel(ctx);
  bool guard = true;
  const std::vector<float> want = run_kernel(*ref, ref->prepare(ctx), ctx, out_elems, nullptr, &guard);
  for (const Isa& isa : isa_levels()) {
    if (!isa.available) continue;
    setenv("FMN_CPU_ISA", isa.env, 1);
    std::unique_ptr<fmn::Kernel> k = fmn::create_cpu_kernel(ctx);
    unsetenv("FMN_CPU_ISA");
    if (!k) {
      fmn_test::fail(__FILE__, __LINE__, "no tuned kernel for " + what);
      return;
    }
    CHECK(std::string(k->impl_name()) == isa.impl);
    const size_t scratch = k->prepare(ctx);
    for (fmn::ThreadPool* pool : {static_cast<fmn::ThreadPool*>(nullptr), pool2}) {
      bool guard_ok = false;
      const std::vector<float> got = run_kernel(*k, scratch, ctx, out_elems, pool, &guard_ok);
      if (!guard_ok) fmn_test::fail(__FILE__, __LINE__, "wrote past output: " + what);
      size_t bad = 0;
      for (size_t i = 0; i < out_elems; ++i) bad += !(got[i] == want[i]);
      if (bad)
        fmn_test::fail(__FILE__, __LINE__, std::string(isa.env) + " " + what + ": " +
                                               std::to_string(bad) + " of " +
                                               std::to_string(out_elems) + " differ");
    }
  }
}

}  // namespace

TEST(max_pool_random_shapes) {
  std::mt19937 rng(31);
  fmn::ThreadPool pool(2);
  for (int iter = 0; iter < 120; ++iter) {
    const int n = 1 + static_cast<int>(rng() % 3), h = 1 + static_cast<int>(rng() % 30),
              w = 1 + static_cast<int>(rng() % 30), c = 1 + static_cast<int>(rng() % 70);
    OperatorDef op;
    op.builtin_code = fmn::builtin::kMaxPool2d;
    op.options.filter_h = 1 + static_cast<int>(rng() % 3);
    op.options.filter_w = rng() % 3 == 0 ? 1 + static_cast<int>(rng() % 3) : op.options.filter_h;
    op.options.stride_h = 1 + static_cast<int>(rng() % 3);
    op.options.stride_w = rng() % 3 == 0 ? 1 + static_cast<int>(rng() % 3) : op.options.stride_h;
    op.options.padding = rng() % 2 ? Padding::kSame : Padding::kValid;
    op.options.activation = random_act(rng);
    const int oh = out_dim(op.options.padding, h, op.options.filter_h, op.options.stride_h, 1);
    const int ow = out_dim(op.options.padding, w, op.options.filter_w, op.options.stride_w, 1);
    if (oh < 1 || ow < 1) continue;
    std::vector<float> input = random_vec(rng, static_cast<size_t>(n) * h * w * c, -2.f, 2.f);
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "MAX_POOL_2D";
    ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {n, h, w, c}, input.data(), false}};
    ctx.outputs = {TensorView{fmn::TensorType::kFloat32, {n, oh, ow, c}, nullptr, false}};
    char what[128];
    std::snprintf(what, sizeof what, "max_pool n%d %dx%dx%d f%dx%d s%d,%d pad%d", n, h, w, c,
                  op.options.filter_h, op.options.filter_w, op.options.stride_h,
                  op.options.stride_w, static_cast<int>(op.options.padding));
    check_exact_op(ctx, static_cast<size_t>(n) * oh * ow * c, &pool, what);
  }
}

TEST(pad_random_shapes) {
  std::mt19937 rng(47);
  fmn::ThreadPool pool(2);
  for (int iter = 0; iter < 120; ++iter) {
    const int shape[4] = {1 + static_cast<int>(rng() % 2), 1 + static_cast<int>(rng() % 20),
                          1 + static_cast<int>(rng() % 20), 1 + static_cast<int>(rng() % 50)};
    std::vector<int32_t> pads(8);
    std::vector<int32_t> out_shape(4);
    for (int d = 0; d < 4; ++d) {
      // Mostly channel padding (as the models use), sometimes spatial or batch padding.
      const bool padded = d == 3 || rng() % 4 == 0;
      pads[2 * d] = padded ? static_cast<int32_t>(rng() % 3) : 0;
      pads[2 * d + 1] = padded ? static_cast<int32_t>(rng() % 20) : 0;
      out_shape[d] = shape[d] + pads[2 * d] + pads[2 * d + 1];
    }
    std::vector<float> input =
        random_vec(rng, static_cast<size_t>(shape[0]) * shape[1] * shape[2] * shape[3], -2.f, 2.f);
    OperatorDef op;
    op.builtin_code = fmn::builtin::kPad;
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "PAD";
    ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {shape[0], shape[1], shape[2], shape[3]},
                             input.data(), false},
                  TensorView{fmn::TensorType::kInt32, {4, 2}, pads.data(), true}};
    ctx.outputs = {TensorView{fmn::TensorType::kFloat32, out_shape, nullptr, false}};
    size_t out_elems = 1;
    for (int32_t d : out_shape) out_elems *= static_cast<size_t>(d);
    check_exact_op(ctx, out_elems, &pool, "pad iteration " + std::to_string(iter));
  }
}

// Channel-only padding after the channels (the detector's residual PADs, vectorised copy):
// every in_c / out_c pairing around the vector widths, including the detector's pairs.
TEST(pad_channels_after) {
  std::mt19937 rng(53);
  fmn::ThreadPool pool(2);
  std::vector<std::pair<int, int>> chans = {{24, 28}, {28, 32}, {32, 36}, {36, 42}, {42, 48},
                                            {48, 56}, {56, 64}, {64, 72}, {72, 80}, {80, 88},
                                            {88, 96}, {3, 3},   {16, 16}, {8, 40}, {1, 17}};
  for (int i = 0; i < 40; ++i) {
    const int ic = 1 + static_cast<int>(rng() % 70);
    chans.push_back({ic, ic + static_cast<int>(rng() % 40)});
  }
  for (const auto& ch : chans) {
    const int n = 1 + static_cast<int>(rng() % 2), h = 1 + static_cast<int>(rng() % 9),
              w = 1 + static_cast<int>(rng() % 9);
    std::vector<int32_t> pads = {0, 0, 0, 0, 0, 0, 0, ch.second - ch.first};
    std::vector<float> input =
        random_vec(rng, static_cast<size_t>(n) * h * w * ch.first, -2.f, 2.f);
    OperatorDef op;
    op.builtin_code = fmn::builtin::kPad;
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "PAD";
    ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {n, h, w, ch.first}, input.data(), false},
                  TensorView{fmn::TensorType::kInt32, {4, 2}, pads.data(), true}};
    ctx.outputs = {TensorView{fmn::TensorType::kFloat32, {n, h, w, ch.second}, nullptr, false}};
    check_exact_op(ctx, static_cast<size_t>(n) * h * w * ch.second, &pool,
                   "pad channels " + std::to_string(ch.first) + "->" + std::to_string(ch.second));
  }
}

// ---------------------------------------------------------------------------------------------
// Elementwise, reduction and layout ops (ops/cpu/cpu_tensor_ops.cc): one portable
// implementation for every ISA level, bit-identical to the reference kernels.

namespace {

// Runs the reference and the tuned kernel of ctx and compares them bit for bit (NaN equal to
// NaN). Fails when the tuned backend declines the node.
void check_tensor_op(const OpContext& ctx, const std::string& what) {
  size_t out_elems = 1;
  for (int32_t d : ctx.outputs[0].shape) out_elems *= static_cast<size_t>(d);
  std::unique_ptr<fmn::Kernel> ref = fmn::create_reference_kernel(ctx);
  bool guard = true;
  const std::vector<float> want = run_kernel(*ref, ref->prepare(ctx), ctx, out_elems, nullptr, &guard);
  std::unique_ptr<fmn::Kernel> k = fmn::create_cpu_kernel(ctx);
  if (!k) {
    fmn_test::fail(__FILE__, __LINE__, "no tuned kernel for " + what);
    return;
  }
  CHECK(std::string(k->impl_name()) == "cpu.generic");
  bool guard_ok = false;
  const std::vector<float> got = run_kernel(*k, k->prepare(ctx), ctx, out_elems, nullptr, &guard_ok);
  if (!guard_ok) fmn_test::fail(__FILE__, __LINE__, "wrote past output: " + what);
  size_t bad = 0;
  for (size_t i = 0; i < out_elems; ++i)
    bad += !(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])));
  if (bad)
    fmn_test::fail(__FILE__, __LINE__, what + ": " + std::to_string(bad) + " of " +
                                           std::to_string(out_elems) + " differ");
}

std::vector<int32_t> random_shape(std::mt19937& rng, int rank, int max_dim) {
  std::vector<int32_t> s(static_cast<size_t>(rank));
  for (int32_t& d : s) d = rng() % 3 == 0 ? 1 : 1 + static_cast<int32_t>(rng() % max_dim);
  return s;
}

std::string shape_text(const std::vector<int32_t>& s) {
  std::string t = "(";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + ")";
}

size_t count_of(const std::vector<int32_t>& s) {
  size_t n = 1;
  for (int32_t d : s) n *= static_cast<size_t>(d);
  return n;
}

}  // namespace

TEST(binary_broadcast_random_shapes) {
  std::mt19937 rng(61);
  const int32_t codes[] = {fmn::builtin::kAdd, fmn::builtin::kMul, fmn::builtin::kSub,
                           fmn::builtin::kDiv, fmn::builtin::kSquaredDifference};
  // The blendshapes model's shapes, then random broadcasts of ranks 0..6.
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> shapes = {
      {{1, 1, 97, 64}, {1, 1, 97, 1}}, {{1, 1, 97, 1}, {64}}, {{1, 1, 97, 64}, {1, 1, 97, 64}},
      {{1, 146, 2}, {1, 1, 2}},        {{1, 146, 2}, {1, 1, 1}}, {{1, 1, 146, 2}, {}},
      {{}, {}},                        {{3, 1, 5}, {1, 4, 1}}};
  for (int i = 0; i < 200; ++i) {
    const int rank = static_cast<int>(rng() % 7);
    std::vector<int32_t> out = random_shape(rng, rank, 9), a = out, b = out;
    for (int d = 0; d < rank; ++d) {
      if (rng() % 3 == 0) a[d] = 1;
      if (rng() % 3 == 0) b[d] = 1;
    }
    // Sometimes drop leading dimensions of one operand (right-aligned broadcasting).
    if (rank > 0 && rng() % 3 == 0) b.erase(b.begin(), b.begin() + 1 + rng() % rank);
    shapes.push_back({a, b});
  }
  for (size_t s = 0; s < shapes.size(); ++s) {
    const std::vector<int32_t>& as = shapes[s].first;
    const std::vector<int32_t>& bs = shapes[s].second;
    const std::vector<int32_t> os = fmn::ref::broadcast_shape(as, bs);
    std::vector<float> a = random_vec(rng, count_of(as), -2.f, 2.f);
    std::vector<float> b = random_vec(rng, count_of(bs), 0.25f, 2.f);
    OperatorDef op;
    op.builtin_code = codes[s % 5];
    if (op.builtin_code != fmn::builtin::kSquaredDifference) op.options.activation = random_act(rng);
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "BINARY";
    const bool b_const = rng() % 2 == 0;
    ctx.inputs = {TensorView{fmn::TensorType::kFloat32, as, a.data(), false},
                  TensorView{fmn::TensorType::kFloat32, bs, b.data(), b_const}};
    ctx.outputs = {TensorView{fmn::TensorType::kFloat32, os, nullptr, false}};
    check_tensor_op(ctx, "binary op " + std::to_string(op.builtin_code) + " " + shape_text(as) +
                             " x " + shape_text(bs));
  }
}

TEST(unary_ops_random) {
  std::mt19937 rng(67);
  const int32_t codes[] = {fmn::builtin::kNeg, fmn::builtin::kSqrt, fmn::builtin::kRsqrt,
                           fmn::builtin::kLogistic};
  for (int i = 0; i < 40; ++i) {
    const std::vector<int32_t> shape = random_shape(rng, 1 + static_cast<int>(rng() % 4), 20);
    std::vector<float> in = random_vec(rng, count_of(shape), -3.f, 3.f);  // NaNs for sqrt < 0
    OperatorDef op;
    op.builtin_code = codes[i % 4];
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "UNARY";
    ctx.inputs = {TensorView{fmn::TensorType::kFloat32, shape, in.data(), false}};
    ctx.outputs = {TensorView{fmn::TensorType::kFloat32, shape, nullptr, false}};
    check_tensor_op(ctx, "unary op " + std::to_string(op.builtin_code) + " " + shape_text(shape));
  }
}

TEST(reduce_random_axes) {
  std::mt19937 rng(71);
  int covered = 0;
  for (int i = 0; i < 300; ++i) {
    const int rank = 1 + static_cast<int>(rng() % 5);
    const std::vector<int32_t> shape = random_shape(rng, rank, 12);
    // A contiguous block of axes (what the tuned kernel covers), written in any order and
    // sometimes negative; every 5th case an arbitrary axis set (it may decline those).
    std::vector<int32_t> axes;
    const bool block = i % 5 != 0;
    const int first = static_cast<int>(rng() % rank);
    const int count = 1 + static_cast<int>(rng() % (rank - first));
    for (int d = 0; d < rank; ++d) {
      const bool take = block ? (d >= first && d < first + count) : rng() % 2 == 0;
      if (take) axes.push_back(rng() % 2 ? d - rank : d);
    }
    if (axes.empty()) axes.push_back(first);
    std::shuffle(axes.begin(), axes.end(), rng);
    std::vector<bool> red(static_cast<size_t>(rank), false);
    for (int32_t ax : axes) red[static_cast<size_t>(ax < 0 ? ax + rank : ax)] = true;
    OperatorDef op;
    op.builtin_code = i % 2 ? fmn::builtin::kMean : fmn::builtin::kSum;
    op.options.keep_dims = rng() % 2 == 0;
    std::vector<int32_t> out;
    for (int d = 0; d < rank; ++d) {
      if (!red[d]) out.push_back(shape[d]);
      else if (op.options.keep_dims) out.push_back(1);
    }
    std::vector<float> in = random_vec(rng, count_of(shape), -2.f, 2.f);
    std::vector<int32_t> axes_data = axes;
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "REDUCE";
    ctx.inputs = {TensorView{fmn::TensorType::kFloat32, shape, in.data(), false},
                  TensorView{fmn::TensorType::kInt32, {static_cast<int32_t>(axes_data.size())},
                             axes_data.data(), true}};
    ctx.outputs = {TensorView{fmn::TensorType::kFloat32, out, nullptr, false}};
    const std::string what = "reduce " + shape_text(shape) + " axes " + shape_text(axes);
    if (block) {
      check_tensor_op(ctx, what);
      ++covered;
    } else if (fmn::create_cpu_kernel(ctx)) {
      check_tensor_op(ctx, what);
    }
  }
  CHECK(covered >= 200);
}

TEST(transpose_random_perms) {
  std::mt19937 rng(73);
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> cases = {
      {{1, 1, 97, 64}, {0, 1, 3, 2}}, {{1, 1, 146, 2}, {0, 1, 3, 2}}, {{1, 1, 2, 96}, {0, 1, 3, 2}},
      {{7}, {0}}, {{1, 1, 1}, {2, 0, 1}}};
  for (int i = 0; i < 150; ++i) {
    const int rank = 1 + static_cast<int>(rng() % 6);
    std::vector<int32_t> perm(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) perm[d] = d;
    std::shuffle(perm.begin(), perm.end(), rng);
    cases.push_back({random_shape(rng, rank, rank > 4 ? 5 : 40), perm});
  }
  for (const auto& c : cases) {
    const std::vector<int32_t>& shape = c.first;
    std::vector<int32_t> perm = c.second, out(shape.size());
    for (size_t d = 0; d < shape.size(); ++d) out[d] = shape[static_cast<size_t>(perm[d])];
    std::vector<float> in = random_vec(rng, count_of(shape), -2.f, 2.f);
    OperatorDef op;
    op.builtin_code = fmn::builtin::kTranspose;
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "TRANSPOSE";
    ctx.inputs = {TensorView{fmn::TensorType::kFloat32, shape, in.data(), false},
                  TensorView{fmn::TensorType::kInt32, {static_cast<int32_t>(perm.size())},
                             perm.data(), true}};
    ctx.outputs = {TensorView{fmn::TensorType::kFloat32, out, nullptr, false}};
    check_tensor_op(ctx, "transpose " + shape_text(shape) + " perm " + shape_text(perm));
  }
}

TEST(resize_bilinear_random_shapes) {
  std::mt19937 rng(79);
  fmn::ThreadPool pool(2);
  // The full-range detector's upsamplings first, then random sizes and options.
  struct Case { std::vector<int32_t> in; int oh, ow; bool align, half; };
  std::vector<Case> cases = {{{1, 6, 6, 256}, 12, 12, false, false},
                             {{1, 12, 12, 128}, 24, 24, false, false},
                             {{1, 24, 24, 64}, 48, 48, false, false}};
  for (int i = 0; i < 80; ++i) {
    Case c;
    c.in = {1 + static_cast<int32_t>(rng() % 2), 1 + static_cast<int32_t>(rng() % 13),
            1 + static_cast<int32_t>(rng() % 13), 1 + static_cast<int32_t>(rng() % 40)};
    c.oh = 1 + static_cast<int>(rng() % 30);
    c.ow = 1 + static_cast<int>(rng() % 30);
    const int mode = static_cast<int>(rng() % 3);
    c.align = mode == 1;
    c.half = mode == 2;
    cases.push_back(c);
  }
  for (const Case& c : cases) {
    std::vector<float> in = random_vec(rng, count_of(c.in), -2.f, 2.f);
    std::vector<int32_t> size = {c.oh, c.ow};
    const std::vector<int32_t> out = {c.in[0], c.oh, c.ow, c.in[3]};
    OperatorDef op;
    op.builtin_code = fmn::builtin::kResizeBilinear;
    op.options.align_corners = c.align;
    op.options.half_pixel_centers = c.half;
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "RESIZE_BILINEAR";
    ctx.inputs = {TensorView{fmn::TensorType::kFloat32, c.in, in.data(), false},
                  TensorView{fmn::TensorType::kInt32, {2}, size.data(), true}};
    ctx.outputs = {TensorView{fmn::TensorType::kFloat32, out, nullptr, false}};
    const std::string what = "resize " + shape_text(c.in) + " -> " + std::to_string(c.oh) + "x" +
                             std::to_string(c.ow) + (c.align ? " align" : "") + (c.half ? " half" : "");
    check_tensor_op(ctx, what);
    // With the pool: the same values.
    std::unique_ptr<fmn::Kernel> ref = fmn::create_reference_kernel(ctx);
    std::unique_ptr<fmn::Kernel> k = fmn::create_cpu_kernel(ctx);
    if (!k) continue;  // reported by check_tensor_op
    bool g1 = false, g2 = false;
    const size_t n = count_of(out);
    const std::vector<float> want = run_kernel(*ref, ref->prepare(ctx), ctx, n, nullptr, &g1);
    const std::vector<float> got = run_kernel(*k, k->prepare(ctx), ctx, n, &pool, &g2);
    CHECK(g2);
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) bad += !(got[i] == want[i]);
    if (bad) fmn_test::fail(__FILE__, __LINE__, what + " (2 threads): " + std::to_string(bad) + " differ");
  }
  // Declined: a run-time size, both alignment options.
  std::vector<float> in(16);
  std::vector<int32_t> size = {4, 4};
  OperatorDef op;
  op.builtin_code = fmn::builtin::kResizeBilinear;
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "RESIZE_BILINEAR";
  ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {1, 2, 2, 4}, in.data(), false},
                TensorView{fmn::TensorType::kInt32, {2}, size.data(), false}};
  ctx.outputs = {TensorView{fmn::TensorType::kFloat32, {1, 4, 4, 4}, nullptr, false}};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);
  ctx.inputs[1].is_constant = true;
  CHECK(fmn::create_cpu_kernel(ctx) != nullptr);
  op.options.align_corners = op.options.half_pixel_centers = true;
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);
}

TEST(tensor_ops_decline_what_they_do_not_cover) {
  std::vector<float> a(12), b(12);
  std::vector<int32_t> axes = {0, 2};
  OperatorDef op;
  op.builtin_code = fmn::builtin::kMean;
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "MEAN";
  ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {2, 3, 2}, a.data(), false},
                TensorView{fmn::TensorType::kInt32, {2}, axes.data(), true}};
  ctx.outputs = {TensorView{fmn::TensorType::kFloat32, {3}, nullptr, false}};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // axes {0, 2} around a kept axis
  axes = {0, 1};
  ctx.outputs[0].shape = {3};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // wrong output shape
  ctx.outputs[0].shape = {2};
  CHECK(fmn::create_cpu_kernel(ctx) != nullptr);
  ctx.inputs[1].is_constant = false;
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // run-time axes
  op.builtin_code = fmn::builtin::kAdd;
  ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {2, 3}, a.data(), false},
                TensorView{fmn::TensorType::kFloat32, {3, 2}, b.data(), false}};
  ctx.outputs[0].shape = {2, 3};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // shapes that do not broadcast
  ctx.inputs[1] = TensorView{fmn::TensorType::kInt32, {3}, b.data(), false};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // integer operand
  ctx.inputs[1] = TensorView{fmn::TensorType::kFloat32, {3}, nullptr, true};
  CHECK(fmn::create_cpu_kernel(ctx) == nullptr);  // a constant without data
}
