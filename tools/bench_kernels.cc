// Micro-benchmark of the tuned CPU conv / depthwise kernels on the layer shapes of
// face_landmark.tflite and face_detection_short_range.tflite (single thread unless a thread
// count is given). Prints per-layer time and GFLOP/s (2 flops per multiply-add), per-type
// totals, and the summed time per model; then the detector's PAD and MAX_POOL_2D nodes.
//
// Build (from the repository root, after building fmn_core in build/):
//   g++ -O3 -std=c++17 -Icpp tools/bench_kernels.cc build/libfmn_core.a -lpthread -o bench_kernels
// Run: ./bench_kernels [threads [kind substring]] [FMN_CPU_ISA=generic|avx2|avx512 in the environment]
#include <algorithm>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace {

struct Layer {
  const char* model;
  const char* kind;  // "conv1x1", "conv_first", "conv_kxk", "dw3x3", ...
  bool depthwise;
  int h, ic, oc, k, stride;
  fmn::Padding pad;
  bool residual, prelu;
};

// A memory-bound node: "pad" (channels ic -> oc, zero fill after) or "maxpool" (2x2 stride 2,
// SAME) on an h x h x ic input.
struct SimpleLayer {
  const char* model;
  const char* kind;
  int h, ic, oc;
};

double bench_simple(const SimpleLayer& l, fmn::ThreadPool* pool, std::string* impl) {
  using fmn::TensorView;
  const bool pad = std::string(l.kind) == "pad";
  const int oh = pad ? l.h : (l.h + 1) / 2;
  const int oc = pad ? l.oc : l.ic;
  std::vector<float> in(static_cast<size_t>(l.h) * l.h * l.ic + 16, 0.5f);
  std::vector<float> out(static_cast<size_t>(oh) * oh * oc + 16, 0.f);
  const int32_t paddings[8] = {0, 0, 0, 0, 0, 0, 0, l.oc - l.ic};
  fmn::OperatorDef op;
  op.builtin_code = pad ? fmn::builtin::kPad : fmn::builtin::kMaxPool2d;
  op.options.padding = fmn::Padding::kSame;
  op.options.stride_h = op.options.stride_w = 2;
  op.options.filter_h = op.options.filter_w = 2;
  fmn::OpContext ctx;
  ctx.op = &op;
  ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {1, l.h, l.h, l.ic}, in.data(), false}};
  if (pad)
    ctx.inputs.push_back(TensorView{fmn::TensorType::kInt32, {4, 2},
                                    const_cast<int32_t*>(paddings), true});
  ctx.outputs = {TensorView{fmn::TensorType::kFloat32, {1, oh, oh, oc}, out.data(), false}};
  std::unique_ptr<fmn::Kernel> k = fmn::create_cpu_kernel(ctx);
  if (!k) {
    std::fprintf(stderr, "no tuned kernel for a %s layer\n", l.kind);
    std::exit(1);
  }
  k->prepare(ctx);
  *impl = k->impl_name();
  fmn::NodeArgs args;
  args.inputs = ctx.inputs;
  args.outputs = ctx.outputs;
  double best = 1e30;
  const int reps = 200;
  for (int trial = 0; trial < 7; ++trial) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) k->run(args, pool);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count() / reps);
  }
  return best;
}

double bench_layer(const Layer& l, fmn::ThreadPool* pool, double* gflops, std::string* impl) {
  using fmn::TensorView;
  const int oc = l.depthwise ? l.ic : l.oc;
  const int oh = l.pad == fmn::Padding::kSame ? (l.h + l.stride - 1) / l.stride
                                              : (l.h - l.k) / l.stride + 1;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  // Activations on 64-byte boundaries, as the interpreter's arenas place them.
  std::vector<std::vector<float>> keep;
  auto rnd = [&](size_t n) {
    keep.emplace_back(n + 16);
    float* p = keep.back().data();
    p += ((64 - reinterpret_cast<uintptr_t>(p) % 64) % 64) / sizeof(float);
    for (size_t i = 0; i < n; ++i) p[i] = u(rng);
    return p;
  };
  float* in = rnd(static_cast<size_t>(l.h) * l.h * l.ic);
  float* w = rnd(static_cast<size_t>(l.depthwise ? 1 : oc) * l.k * l.k * l.ic);
  float* b = rnd(static_cast<size_t>(oc));
  float* alpha = rnd(static_cast<size_t>(oc));
  float* out = rnd(static_cast<size_t>(oh) * oh * oc);
  float* res = rnd(static_cast<size_t>(oh) * oh * oc);
  fmn::OperatorDef op;
  op.builtin_code = l.depthwise ? fmn::builtin::kDepthwiseConv2d : fmn::builtin::kConv2d;
  op.options.padding = l.pad;
  op.options.stride_h = op.options.stride_w = l.stride;
  fmn::OpContext ctx;
  ctx.op = &op;
  ctx.inputs = {TensorView{fmn::TensorType::kFloat32, {1, l.h, l.h, l.ic}, in, false},
                TensorView{fmn::TensorType::kFloat32,
                           l.depthwise ? std::vector<int32_t>{1, l.k, l.k, l.ic}
                                       : std::vector<int32_t>{oc, l.k, l.k, l.ic},
                           w, true},
                TensorView{fmn::TensorType::kFloat32, {oc}, b, true}};
  if (l.residual) {
    ctx.inputs.push_back(TensorView{fmn::TensorType::kFloat32, {1, oh, oh, oc}, res, false});
    ctx.epilogue.has_residual = true;
  }
  if (l.prelu) ctx.epilogue.prelu_alpha = alpha;
  ctx.outputs = {TensorView{fmn::TensorType::kFloat32, {1, oh, oh, oc}, out, false}};
  std::unique_ptr<fmn::Kernel> k = fmn::create_cpu_kernel(ctx);
  if (!k) {
    std::fprintf(stderr, "no tuned kernel for a %s layer\n", l.kind);
    std::exit(1);
  }
  k->prepare(ctx);
  *impl = k->impl_name();
  fmn::NodeArgs args;
  args.inputs = ctx.inputs;
  args.outputs = ctx.outputs;
  const double macs = static_cast<double>(oh) * oh * oc * l.k * l.k * (l.depthwise ? 1 : l.ic);
  const int reps = std::max(5, static_cast<int>(2e7 / macs));
  double best = 1e30;
  for (int trial = 0; trial < 7; ++trial) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) k->run(args, pool);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count() / reps);
  }
  *gflops = 2 * macs / best * 1e-9;
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const std::string only = argc > 2 ? argv[2] : "";  // run only layers whose kind contains this
  std::unique_ptr<fmn::ThreadPool> pool;
  if (threads > 1) pool.reset(new fmn::ThreadPool(threads));
  const fmn::Padding S = fmn::Padding::kSame, V = fmn::Padding::kValid;
  std::vector<Layer> layers;
  // face_landmark (PReLU and residual fused as the interpreter does).
  const char* L = "landmark";
  layers.push_back({L, "conv_first3x3s2", false, 192, 3, 16, 3, 2, S, false, true});
  const int lm_blocks[][3] = {{96, 16, 2}, {48, 32, 2}, {24, 64, 2}, {12, 128, 2}, {6, 128, 2}, {3, 128, 1}};
  for (const auto& blk : lm_blocks) {
    for (int i = 0; i < blk[2]; ++i) {
      layers.push_back({L, "dw3x3", true, blk[0], blk[1], blk[1], 3, 1, S, false, false});
      layers.push_back({L, "conv1x1", false, blk[0], blk[1], blk[1], 1, 1, S, true, true});
    }
    if (blk[0] > 3) {
      layers.push_back({L, "dw3x3s2", true, blk[0], blk[1], blk[1], 3, 2, S, false, false});
      const int next_c = blk[1] < 128 ? blk[1] * 2 : 128;
      layers.push_back({L, "conv1x1", false, blk[0] / 2, blk[1], next_c, 1, 1, S, true, true});
    }
  }
  layers.push_back({L, "conv1x1", false, 3, 128, 32, 1, 1, S, false, true});
  layers.push_back({L, "dw3x3", true, 3, 32, 32, 3, 1, S, false, false});
  layers.push_back({L, "conv1x1", false, 3, 32, 32, 1, 1, S, true, true});
  layers.push_back({L, "conv_head3x3", false, 3, 32, 1404, 3, 1, V, false, false});
  // face_detection_short_range.
  const char* D = "detector";
  layers.push_back({D, "conv_first5x5s2", false, 128, 3, 24, 5, 2, S, false, false});
  const int det[][4] = {{64, 24, 24, 1}, {64, 24, 28, 1}, {32, 28, 32, 1}, {32, 32, 36, 1},
                        {32, 36, 42, 1}, {16, 42, 48, 1}, {16, 48, 56, 1}, {16, 56, 64, 1},
                        {16, 64, 72, 1}, {16, 72, 80, 1}, {16, 80, 88, 1}, {8, 88, 96, 1},
                        {8, 96, 96, 1},  {8, 96, 96, 1},  {8, 96, 96, 1},  {8, 96, 96, 1}};
  for (const auto& d : det) {
    layers.push_back({D, "dw3x3", true, d[0], d[1], d[1], 3, 1, S, false, false});
    layers.push_back({D, "conv1x1", false, d[0], d[1], d[2], 1, 1, S, true, false});
  }
  layers.push_back({D, "dw3x3s2", true, 64, 28, 28, 3, 2, S, false, false});
  layers.push_back({D, "dw3x3s2", true, 32, 42, 42, 3, 2, S, false, false});
  layers.push_back({D, "dw3x3s2", true, 16, 88, 88, 3, 2, S, false, false});
  layers.push_back({D, "conv1x1", false, 16, 88, 32, 1, 1, S, false, false});
  layers.push_back({D, "conv1x1", false, 16, 88, 2, 1, 1, S, false, false});
  layers.push_back({D, "conv1x1", false, 8, 96, 96, 1, 1, S, false, false});
  layers.push_back({D, "conv1x1", false, 8, 96, 6, 1, 1, S, false, false});

  std::vector<SimpleLayer> simple;
  const int det_pads[][3] = {{64, 24, 28}, {32, 28, 32}, {32, 32, 36}, {32, 36, 42},
                             {16, 42, 48}, {16, 48, 56}, {16, 56, 64}, {16, 64, 72},
                             {16, 72, 80}, {16, 80, 88}, {8, 88, 96}};
  for (const auto& d : det_pads) simple.push_back({D, "pad", d[0], d[1], d[2]});
  simple.push_back({D, "maxpool", 64, 28, 28});
  simple.push_back({D, "maxpool", 32, 42, 42});
  simple.push_back({D, "maxpool", 16, 88, 88});

  std::map<std::string, double> model_time, kind_time, kind_flops;
  std::string impl;
  for (const Layer& l : layers) {
    if (!only.empty() && std::string(l.kind).find(only) == std::string::npos) continue;
    double gf = 0;
    const double t = bench_layer(l, pool.get(), &gf, &impl);
    std::printf("%-9s %-16s %3dx%-3d %4d->%-4d  %8.2f us  %6.1f GFLOP/s\n", l.model, l.kind, l.h,
                l.h, l.ic, l.depthwise ? l.ic : l.oc, t * 1e6, gf);
    model_time[l.model] += t;
    const std::string key = std::string(l.model) + " " + l.kind;
    kind_time[key] += t;
    kind_flops[key] += gf * t;
  }
  std::map<std::string, double> simple_model_time;
  for (const SimpleLayer& l : simple) {
    if (!only.empty() && std::string(l.kind).find(only) == std::string::npos) continue;
    std::string simple_impl;
    const double t = bench_simple(l, pool.get(), &simple_impl);
    std::printf("%-9s %-16s %3dx%-3d %4d->%-4d  %8.2f us  (%s)\n", l.model, l.kind, l.h, l.h,
                l.ic, l.oc, t * 1e6, simple_impl.c_str());
    simple_model_time[l.model] += t;
    kind_time[std::string(l.model) + " " + l.kind] += t;
  }
  std::printf("\nimpl %s, %d thread(s)\n", impl.c_str(), threads);
  for (const auto& kv : kind_time)
    std::printf("%-28s %8.1f us  %6.1f GFLOP/s\n", kv.first.c_str(), kv.second * 1e6,
                kind_flops[kv.first] / kv.second);
  for (const auto& kv : simple_model_time)
    std::printf("total %-10s pad+pool: %8.1f us\n", kv.first.c_str(), kv.second * 1e6);
  for (const auto& kv : model_time)
    std::printf("total %-10s conv+dw: %8.1f us\n", kv.first.c_str(), kv.second * 1e6);
  return 0;
}
