// The ops the full-range face detector adds: DENSIFY (sparse constants, folded at load),
// RESIZE_BILINEAR and DEPTH_TO_SPACE. Reference kernels against hand-computed outputs (the
// values are worked out in the comments), their preparation's checks, and GraphPlan on
// face_detection_full_range_sparse.tflite: every DENSIFY and its DEQUANTIZE is folded, the
// convolutions see dense float32 constants and get tuned CPU kernels.
#define FMN_TEST_MAIN
#include "ops/reference/reference_kernels.h"
#include "testing.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "runtime/graph_plan.h"
#include "executors/interpreter.h"
#include "runtime/kernel.h"

using namespace fmn;

namespace {

TensorView view(void* data, TensorType type, std::vector<int32_t> shape, bool constant) {
  TensorView t;
  t.type = type;
  t.shape = std::move(shape);
  t.data = data;
  t.is_constant = constant;
  return t;
}

// Prepares and runs the reference kernel of `ctx` once.
void run(const OpContext& ctx) {
  std::unique_ptr<Kernel> k = create_reference_kernel(ctx);
  k->prepare(ctx);
  NodeArgs a;
  a.inputs = ctx.inputs;
  a.outputs = ctx.outputs;
  k->run(a, nullptr);
}

template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos) return true;
  std::fprintf(stderr, "  message '%s' lacks '%s'\n", s.c_str(), part.c_str());
  return false;
}

SparseDimension dense(int32_t n) {
  SparseDimension d;
  d.dense_size = n;
  return d;
}
SparseDimension csr(std::vector<int32_t> segments, std::vector<int32_t> indices) {
  SparseDimension d;
  d.csr = true;
  d.segments = std::move(segments);
  d.indices = std::move(indices);
  return d;
}

std::vector<float> densify_f32(const SparsityDef& sp, const std::vector<int32_t>& shape,
                               std::vector<float> values) {
  OperatorDef op;
  op.builtin_code = builtin::kDensify;
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  std::vector<float> out(static_cast<size_t>(n), -99.f);
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "DENSIFY";
  TensorView in = view(values.data(), TensorType::kFloat32, shape, true);
  in.sparsity = &sp;
  ctx.inputs = {in};
  ctx.outputs = {view(out.data(), TensorType::kFloat32, shape, false)};
  run(ctx);
  return out;
}

}  // namespace

TEST(densify_csr_rows) {
  // [3, 4], rows DENSE, columns CSR: row 0 holds columns 1, 3; row 1 nothing; row 2 columns 0, 2.
  SparsityDef sp;
  sp.traversal_order = {0, 1};
  sp.dims = {dense(3), csr({0, 2, 2, 4}, {1, 3, 0, 2})};
  sp.num_values = 4;
  const std::vector<float> got = densify_f32(sp, {3, 4}, {1, 2, 3, 4});
  CHECK(got == (std::vector<float>{0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0}));
}

TEST(densify_column_major_traversal) {
  // [3, 4] traversed columns first (traversal_order 1, 0): column 0 holds row 2 (5), column 1
  // nothing, column 2 row 0 (6), column 3 row 1 (7).
  SparsityDef sp;
  sp.traversal_order = {1, 0};
  sp.dims = {dense(4), csr({0, 1, 1, 2, 3}, {2, 0, 1})};
  sp.num_values = 3;
  const std::vector<float> got = densify_f32(sp, {3, 4}, {5, 6, 7});
  CHECK(got == (std::vector<float>{0, 0, 6, 0, 0, 0, 0, 7, 5, 0, 0, 0}));
}

TEST(densify_blocks) {
  // [4, 4] in 2x2 blocks (block_map 0, 1): the 2x2 grid of blocks is DENSE over block rows and
  // CSR over block columns (block row 0 holds block column 1, block row 1 block column 0); each
  // block is stored whole, row-major: 1..4 at rows 0-1 / columns 2-3, 5..8 at rows 2-3 /
  // columns 0-1.
  SparsityDef sp;
  sp.traversal_order = {0, 1, 2, 3};
  sp.block_map = {0, 1};
  sp.dims = {dense(2), csr({0, 1, 2}, {1, 0}), dense(2), dense(2)};
  sp.num_values = 8;
  const std::vector<float> got = densify_f32(sp, {4, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(got == (std::vector<float>{0, 0, 1, 2,  //
                                   0, 0, 3, 4,  //
                                   5, 6, 0, 0,  //
                                   7, 8, 0, 0}));
}

TEST(densify_float16_and_checks) {
  // The rows case on float16 values (1, 2, 3, 4 = 0x3c00, 0x4000, 0x4200, 0x4400): the bits are
  // moved unchanged, zeros elsewhere.
  SparsityDef sp;
  sp.traversal_order = {0, 1};
  sp.dims = {dense(3), csr({0, 2, 2, 4}, {1, 3, 0, 2})};
  sp.num_values = 4;
  std::vector<uint16_t> values = {0x3c00, 0x4000, 0x4200, 0x4400};
  std::vector<uint16_t> out(12, 0xffff);
  OperatorDef op;
  op.builtin_code = builtin::kDensify;
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "DENSIFY";
  TensorView in = view(values.data(), TensorType::kFloat16, {3, 4}, true);
  in.sparsity = &sp;
  ctx.inputs = {in};
  ctx.outputs = {view(out.data(), TensorType::kFloat16, {3, 4}, false)};
  run(ctx);
  CHECK(out == (std::vector<uint16_t>{0, 0x3c00, 0, 0x4000, 0, 0, 0, 0, 0x4200, 0, 0x4400, 0}));

  OpContext bad = ctx;
  bad.outputs[0].type = TensorType::kFloat32;
  CHECK(contains(error_of([&] { run(bad); }), "output type FLOAT32 differs from the input's FLOAT16"));
  bad = ctx;
  bad.inputs[0].sparsity = nullptr;
  CHECK(contains(error_of([&] { run(bad); }), "input must be a sparse constant"));
  bad = ctx;
  bad.outputs[0].shape = {4, 3};
  CHECK(contains(error_of([&] { run(bad); }), "output has shape [4,3]"));
}

namespace {

std::vector<float> resize(const std::vector<float>& in, std::vector<int32_t> in_shape, int oh, int ow,
                          bool align_corners, bool half_pixel) {
  OperatorDef op;
  op.builtin_code = builtin::kResizeBilinear;
  op.options.align_corners = align_corners;
  op.options.half_pixel_centers = half_pixel;
  std::vector<float> x = in;
  std::vector<int32_t> size = {oh, ow};
  std::vector<float> out(static_cast<size_t>(in_shape[0]) * oh * ow * in_shape[3], -99.f);
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "RESIZE_BILINEAR";
  ctx.inputs = {view(x.data(), TensorType::kFloat32, in_shape, false),
                view(size.data(), TensorType::kInt32, {2}, true)};
  ctx.outputs = {view(out.data(), TensorType::kFloat32, {in_shape[0], oh, ow, in_shape[3]}, false)};
  run(ctx);
  return out;
}

// out[y][x][c] = c == 0 ? a * P[y] + P[x] : 10 - (a * P[y] + P[x]) for a 2-channel input holding
// f = a * row + column and 10 - f: bilinear interpolation of a linear function is that function
// at the (clamped) source coordinates, and P lists them per output index.
bool matches_linear(const std::vector<float>& got, int oh, int ow, float a, const std::vector<float>& py,
                    const std::vector<float>& px, int batch = 1) {
  bool ok = true;
  for (int b = 0; b < batch; ++b)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x)
        for (int c = 0; c < 2; ++c) {
          const float f = a * py[y] + px[x] + static_cast<float>(b);
          const float want = c == 0 ? f : 10.f - f;
          const float v = got[static_cast<size_t>(((b * oh + y) * ow + x) * 2 + c)];
          if (!(std::fabs(v - want) <= 1e-6f)) {
            std::fprintf(stderr, "  b%d y%d x%d c%d: got %g, want %g\n", b, y, x, c, v, want);
            ok = false;
          }
        }
  return ok;
}

std::vector<float> linear_input(int h, int w, float a, int batch = 1) {
  std::vector<float> v;
  for (int b = 0; b < batch; ++b)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const float f = a * static_cast<float>(y) + static_cast<float>(x) + static_cast<float>(b);
        v.push_back(f);
        v.push_back(10.f - f);
      }
  return v;
}

}  // namespace

TEST(resize_bilinear_2x_three_modes) {
  const std::vector<float> in = linear_input(2, 2, 2.f);
  // half_pixel_centers (what the detector uses): source (o + 0.5) * 0.5 - 0.5 = -0.25, 0.25,
  // 0.75, 1.25; -0.25 reads row 0 alone (rows floor -> 0, ceil -> 0) and 1.25 row 1 alone.
  CHECK(matches_linear(resize(in, {1, 2, 2, 2}, 4, 4, false, true), 4, 4, 2.f, {0, .25f, .75f, 1},
                       {0, .25f, .75f, 1}));
  // align_corners: scale (2 - 1) / (4 - 1): sources 0, 1/3, 2/3, 1.
  CHECK(matches_linear(resize(in, {1, 2, 2, 2}, 4, 4, true, false), 4, 4, 2.f, {0, 1 / 3.f, 2 / 3.f, 1},
                       {0, 1 / 3.f, 2 / 3.f, 1}));
  // Neither: sources o * 0.5 = 0, 0.5, 1, 1.5; 1.5 has ceil 2, clamped to row 1.
  CHECK(matches_linear(resize(in, {1, 2, 2, 2}, 4, 4, false, false), 4, 4, 2.f, {0, .5f, 1, 1},
                       {0, .5f, 1, 1}));
}

TEST(resize_bilinear_other_sizes) {
  // 3x3 -> 2x2, half pixel: scale 1.5, sources 0.25 and 1.75.
  CHECK(matches_linear(resize(linear_input(3, 3, 3.f), {1, 3, 3, 2}, 2, 2, false, true), 2, 2, 3.f,
                       {.25f, 1.75f}, {.25f, 1.75f}));
  // 2x3 -> 3x5, align corners, batch 2 (sample b adds b): rows 0, 0.5, 1; columns 0, 0.5, .., 2.
  CHECK(matches_linear(resize(linear_input(2, 3, 4.f, 2), {2, 2, 3, 2}, 3, 5, true, false), 3, 5, 4.f,
                       {0, .5f, 1}, {0, .5f, 1, 1.5f, 2}, 2));
  // A single output row with align_corners: the scale stays ih / oh = 2 (sources 0 for row 0).
  CHECK(matches_linear(resize(linear_input(2, 2, 2.f), {1, 2, 2, 2}, 1, 2, true, false), 1, 2, 2.f, {0},
                       {0, 1}));
}

TEST(resize_bilinear_checks) {
  std::vector<float> x(8), out(32);
  std::vector<int32_t> size = {4, 4};
  OperatorDef op;
  op.builtin_code = builtin::kResizeBilinear;
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "RESIZE_BILINEAR";
  ctx.inputs = {view(x.data(), TensorType::kFloat32, {1, 2, 2, 2}, false),
                view(size.data(), TensorType::kInt32, {2}, true)};
  ctx.outputs = {view(out.data(), TensorType::kFloat32, {1, 4, 4, 2}, false)};
  run(ctx);
  OpContext bad = ctx;
  bad.outputs[0].shape = {1, 4, 3, 2};
  CHECK(contains(error_of([&] { run(bad); }), "output has shape [1,4,3,2] but the op computes [1,4,4,2]"));
  bad = ctx;
  bad.inputs[1].is_constant = false;
  CHECK(contains(error_of([&] { run(bad); }), "size must be a constant int32 [2]"));
  OperatorDef both = op;
  both.options.align_corners = both.options.half_pixel_centers = true;
  bad = ctx;
  bad.op = &both;
  CHECK(contains(error_of([&] { run(bad); }), "cannot both be set"));
  std::vector<int32_t> zero = {0, 4};
  bad = ctx;
  bad.inputs[1].data = zero.data();
  CHECK(contains(error_of([&] { run(bad); }), "out of range"));
}

TEST(depth_to_space) {
  OperatorDef op;
  op.builtin_code = builtin::kDepthToSpace;
  op.options.block_size = 2;
  // [1,1,1,4] -> [1,2,2,1]: the four channels become the 2x2 block, row-major.
  {
    std::vector<float> in = {1, 2, 3, 4}, out(4, -1);
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = "DEPTH_TO_SPACE";
    ctx.inputs = {view(in.data(), TensorType::kFloat32, {1, 1, 1, 4}, false)};
    ctx.outputs = {view(out.data(), TensorType::kFloat32, {1, 2, 2, 1}, false)};
    run(ctx);
    CHECK(out == (std::vector<float>{1, 2, 3, 4}));
  }
  // [1,1,2,8] (pixel 0 holds 0..7, pixel 1 8..15) -> [1,2,4,2]: out[y][x] = the channel pair
  // ((y % 2) * 2 + x % 2) of input pixel x / 2: row 0 = 0 1 | 2 3 | 8 9 | 10 11,
  // row 1 = 4 5 | 6 7 | 12 13 | 14 15.
  std::vector<float> in(16), out(16, -1);
  for (int i = 0; i < 16; ++i) in[i] = static_cast<float>(i);
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "DEPTH_TO_SPACE";
  ctx.inputs = {view(in.data(), TensorType::kFloat32, {1, 1, 2, 8}, false)};
  ctx.outputs = {view(out.data(), TensorType::kFloat32, {1, 2, 4, 2}, false)};
  run(ctx);
  CHECK(out == (std::vector<float>{0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15}));

  OpContext bad = ctx;
  bad.inputs[0].shape = {1, 1, 2, 6};
  CHECK(contains(error_of([&] { run(bad); }), "not a multiple of block_size^2 = 4"));
  OperatorDef zero = op;
  zero.options.block_size = 0;
  bad = ctx;
  bad.op = &zero;
  CHECK(contains(error_of([&] { run(bad); }), "block_size 0 must be in 1..64"));
}

namespace {

std::string full_range_path() {
  return std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/face_detection_full_range_sparse.tflite";
}

}  // namespace

TEST(full_range_plan_folds_sparse_weights) {
  const ModelDef model = load_tflite_file(full_range_path());
  const GraphPlan plan(model, create_reference_kernel, true);
  int densify = 0, dequantize = 0, conv = 0, resize = 0, d2s = 0;
  for (const PlannedNode& n : plan.nodes()) {
    densify += n.op.builtin_code == builtin::kDensify;
    dequantize += n.op.builtin_code == builtin::kDequantize;
    resize += n.op.builtin_code == builtin::kResizeBilinear;
    d2s += n.op.builtin_code == builtin::kDepthToSpace;
    if (n.op.builtin_code != builtin::kConv2d && n.op.builtin_code != builtin::kDepthwiseConv2d) continue;
    ++conv;
    const int32_t w = n.inputs[1];
    CHECK(plan.is_constant(w) && plan.tensors()[w].type == TensorType::kFloat32 && !plan.tensors()[w].sparsity);
  }
  CHECK(densify == 0 && dequantize == 0);
  CHECK(conv == 49 + 42 && resize == 3 && d2s == 2);
  // A folded filter equals the sparse one expanded: tensor 14's first row (output channel 0)
  // holds 15 stored values at the columns its first segment lists, zero elsewhere.
  const TensorDef& sparse = model.tensors[14];
  int32_t folded = -1;
  for (const OperatorDef& op : model.operators)
    if (op.builtin_code == builtin::kDensify && op.inputs[0] == 14) folded = op.outputs[0];
  for (const OperatorDef& op : model.operators)
    if (op.builtin_code == builtin::kDequantize && op.inputs[0] == folded) folded = op.outputs[0];
  CHECK(folded >= 0 && plan.is_constant(folded));
  const float* w = static_cast<const float*>(plan.constant(folded));
  const SparseDimension& cols = sparse.sparsity->dims[3];
  const uint16_t* values = reinterpret_cast<const uint16_t*>(model.buffers[sparse.buffer].data());
  std::vector<bool> stored(32, false);
  for (int32_t i = cols.segments[0]; i < cols.segments[1]; ++i) {
    stored[cols.indices[i]] = true;
    uint32_t h = values[i], sign = (h & 0x8000u) << 16, e = (h >> 10) & 31, m = h & 1023;
    const float want = (sign ? -1.f : 1.f) * (e ? std::ldexp(static_cast<float>(m | 1024), static_cast<int>(e) - 25)
                                                : std::ldexp(static_cast<float>(m), -24));
    CHECK(w[cols.indices[i]] == want);
  }
  for (int c = 0; c < 32; ++c)
    if (!stored[c]) CHECK(w[c] == 0.f);

  // The CPU interpreter: tuned kernels for every conv (dense constant weights), the new ops
  // on their reference kernels.
  InterpreterOptions o;
  o.num_threads = 1;
  Interpreter interp(model, o);
  int tuned = 0;
  for (const NodeInfo& n : interp.nodes()) {
    CHECK(n.op != "DENSIFY" && n.op != "DEQUANTIZE");
    // A conv with a folded spatial PAD is named "PAD+CONV_2D" / "PAD+DEPTHWISE_CONV_2D".
    const std::string op = n.op.compare(0, 4, "PAD+") == 0 ? n.op.substr(4) : n.op;
    if (op.compare(0, 4, "CONV") == 0 || op.compare(0, 9, "DEPTHWISE") == 0) {
      if (n.impl == "reference") std::fprintf(stderr, "  %s runs on the reference kernel\n", n.op.c_str());
      tuned += n.impl != "reference";
    }
  }
  CHECK(tuned == 49 + 42);
}

TEST(sparse_tensor_read_by_other_ops_is_rejected) {
  // DEQUANTIZE wired to the sparse tensor itself (skipping its DENSIFY) would read the stored
  // values as if dense: GraphPlan refuses.
  ModelDef model = load_tflite_file(full_range_path());
  int32_t densified = -1;
  for (const OperatorDef& op : model.operators)
    if (op.builtin_code == builtin::kDensify && op.inputs[0] == 14) densified = op.outputs[0];
  for (OperatorDef& op : model.operators)
    if (op.builtin_code == builtin::kDequantize && op.inputs[0] == densified) op.inputs[0] = 14;
  CHECK(contains(error_of([&] { GraphPlan p(model, create_reference_kernel, true); }),
                 "tensor 'model_1/model/conv2d_1/Conv2D_dequantize' is sparse; DEQUANTIZE reads it as input 0 "
                 "but only DENSIFY can"));
  // A sparse graph output.
  ModelDef m2 = load_tflite_file(full_range_path());
  m2.outputs.push_back(14);
  CHECK(contains(error_of([&] { GraphPlan p(m2, create_reference_kernel, true); }), "is a sparse constant"));
}
