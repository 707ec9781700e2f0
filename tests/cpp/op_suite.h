// The op suite shared by the GPU backends' tests (test_gl_ops.cc, test_cuda_ops.cc): every op
// family on random shapes (odd channel counts, strides, dilations, SAME/VALID, masks), batch
// 1..3, fused epilogues, constant and activation operands. Each case builds a small model,
// runs it through the backend's executor and through an independent per-sample loop over
// create_reference_kernel(), and compares within 1e-5 of the largest reference magnitude.
//
// The including file defines, before including this header:
//   bool backend_ready();   false: the backend is unavailable (its tests return early)
//   std::unique_ptr<fmn::Executor> make_executor(const fmn::ModelDef&, int max_batch, bool fuse);
//   OP_PREFIX               the test-name prefix (gl_, cuda_)
// and includes testing.h (with FMN_TEST_MAIN) and gl_test_util.h (ModelBuilder, random data).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "ops/reference/reference_kernels.h"
#include "ops/reference/reference_ops.h"
#include "runtime/executor.h"
#include "runtime/kernel.h"
#include "testing.h"

#define OP_TEST_NAMED(n) TEST(n)
#define OP_TEST(name) OP_TEST_NAMED(FMN_CAT(OP_PREFIX, name))

using namespace fmn;
using namespace gltest;

namespace {

std::mt19937& rng() {
  static std::mt19937 r(20240611u);
  return r;
}
int rand_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng()); }
std::vector<float> rand_floats(int64_t n, float lo = -1.f, float hi = 1.f) { return uniform_floats(rng(), n, lo, hi); }

// Runs the model's operators in order, one sample at a time, with reference kernels only
// (no folding, no fusion). Returns the graph outputs, sample-major.
std::vector<std::vector<float>> reference_run(const ModelDef& m, int batch,
                                              const std::vector<std::vector<float>>& inputs) {
  std::vector<std::vector<float>> outs(m.outputs.size());
  for (int s = 0; s < batch; ++s) {
    std::map<int32_t, std::vector<uint8_t>> data;
    for (size_t i = 0; i < m.inputs.size(); ++i) {
      const int64_t n = numel(m.tensors[m.inputs[i]].shape);
      std::vector<uint8_t>& d = data[m.inputs[i]];
      d.resize(static_cast<size_t>(n) * 4);
      std::memcpy(d.data(), inputs[i].data() + n * s, d.size());
    }
    for (size_t t = 0; t < m.tensors.size(); ++t)
      if (m.tensors[t].buffer && !m.buffers[m.tensors[t].buffer].empty()) data[static_cast<int32_t>(t)] = m.buffers[m.tensors[t].buffer];
    for (const OperatorDef& op : m.operators) {
      OpContext ctx;
      ctx.op = &op;
      ctx.op_name = op.builtin_code == builtin::kCustom ? op.custom_code : builtin_name(op.builtin_code);
      auto view = [&](int32_t id, bool output) {
        TensorView v;
        if (id < 0) return v;
        v.type = m.tensors[id].type;
        v.shape = m.tensors[id].shape;
        std::vector<uint8_t>& d = data[id];
        if (output) d.assign(static_cast<size_t>(numel(v.shape)) * tensor_type_size(v.type) + 8, 0);
        v.data = d.data();
        v.is_constant = m.tensors[id].buffer != 0;
        return v;
      };
      for (int32_t id : op.inputs) ctx.inputs.push_back(view(id, false));
      for (int32_t id : op.outputs) ctx.outputs.push_back(view(id, true));
      std::unique_ptr<Kernel> k = create_reference_kernel(ctx);
      std::vector<uint8_t> scratch(k->prepare(ctx) + 64);
      NodeArgs a;
      a.inputs = ctx.inputs;
      a.outputs = ctx.outputs;
      a.scratch = scratch.data();
      k->run(a, nullptr);
    }
    for (size_t j = 0; j < m.outputs.size(); ++j) {
      const int64_t n = numel(m.tensors[m.outputs[j]].shape);
      const float* p = reinterpret_cast<const float*>(data[m.outputs[j]].data());
      outs[j].insert(outs[j].end(), p, p + n);
    }
  }
  return outs;
}

// Runs `m` on the backend under test (make_executor; max_batch for GL) and on the reference; true when every output agrees within
// tol * max|ref| (+ a tiny absolute floor for all-zero outputs).
// `given` replaces the random data of the first given.size() inputs.
bool compare_model(const ModelDef& m, int batch, const std::string& what, double tol = 1e-5,
                   int max_batch = -1, bool fuse = true, std::vector<NodeInfo>* plan = nullptr,
                   const std::vector<std::vector<float>>& given = {}) {
  if (!backend_ready()) return true;
  std::vector<std::vector<float>> inputs;
  for (int32_t id : m.inputs) inputs.push_back(rand_floats(numel(m.tensors[id].shape) * batch, -2.f, 2.f));
  for (size_t i = 0; i < given.size(); ++i) inputs[i] = given[i];
  const std::vector<std::vector<float>> want = reference_run(m, batch, inputs);
  std::unique_ptr<Executor> exec = make_executor(m, max_batch > 0 ? max_batch : batch, fuse);
  Executor& ex = *exec;
  if (plan) *plan = ex.nodes();
  std::vector<std::vector<float>> got(m.outputs.size());
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;
  for (auto& v : inputs) in_ptrs.push_back(v.data());
  for (size_t j = 0; j < got.size(); ++j) {
    got[j].assign(want[j].size(), std::nanf(""));
    out_ptrs.push_back(got[j].data());
  }
  ex.run(batch, in_ptrs.data(), out_ptrs.data());
  bool ok = true;
  for (size_t j = 0; j < got.size(); ++j) {
    const OutputError e = output_error(got[j], want[j]);
    if (!(e.max_err <= tol * e.max_ref + 1e-7)) {
      ok = false;
      std::fprintf(stderr, "  %s: output %zu (%zu values, batch %d): max error %g at %zu (got %g, ref %g), max|ref| %g\n",
                   what.c_str(), j, want[j].size(), batch, e.max_err, e.worst, got[j][e.worst], want[j][e.worst],
                   e.max_ref);
    }
  }
  return ok;
}

Padding rand_padding() { return rand_int(0, 1) ? Padding::kSame : Padding::kValid; }
Activation rand_activation() {
  const Activation a[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6, Activation::kReluN1To1};
  return a[rand_int(0, 3)];
}
std::string shape_text(const std::vector<int32_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

// One conv / depthwise node with random geometry; returns false when the geometry gives an
// empty output (the caller draws again).
bool make_conv(ModelBuilder* b, bool depthwise, int* out_id, std::string* what) {
  const int ih = rand_int(1, 9), iw = rand_int(1, 9);
  const int ic = std::vector<int>{1, 2, 3, 5, 8, 13}[rand_int(0, 5)];
  const int kh = rand_int(1, 3) * 2 - 1 + (rand_int(0, 3) == 0 ? 1 : 0), kw = rand_int(1, 3);
  const int sh = rand_int(1, 2), sw = rand_int(1, 3), dh = rand_int(1, 2), dw = rand_int(1, 2);
  const Padding pad = rand_padding();
  const int dm = depthwise ? rand_int(1, 2) : 1;
  const int oc = depthwise ? ic * dm : std::vector<int>{1, 3, 4, 7, 9}[rand_int(0, 4)];
  int pt, pl;
  const int oh = ref::conv_output_size(pad, ih, kh, sh, dh, &pt);
  const int ow = ref::conv_output_size(pad, iw, kw, sw, dw, &pl);
  if (oh <= 0 || ow <= 0) return false;
  const int in = b->input({1, ih, iw, ic});
  const std::vector<int32_t> wshape = depthwise ? std::vector<int32_t>{1, kh, kw, oc} : std::vector<int32_t>{oc, kh, kw, ic};
  const int w = b->fconst(wshape, rand_floats(numel(wshape)));
  const int bias = rand_int(0, 3) ? b->fconst({oc}, rand_floats(oc)) : -1;
  const int out = b->tensor({1, oh, ow, oc});
  OperatorDef& op = b->op(depthwise ? builtin::kDepthwiseConv2d : builtin::kConv2d, {in, w, bias}, {out});
  op.options.padding = pad;
  op.options.stride_h = sh; op.options.stride_w = sw;
  op.options.dilation_h = dh; op.options.dilation_w = dw;
  op.options.depth_multiplier = dm;
  op.options.activation = rand_activation();
  *out_id = out;
  *what = std::string(depthwise ? "depthwise" : "conv") + " in" + shape_text({1, ih, iw, ic}) + " w" + shape_text(wshape) +
          " s" + std::to_string(sh) + "x" + std::to_string(sw) + " d" + std::to_string(dh) + "x" + std::to_string(dw) +
          (pad == Padding::kSame ? " same" : " valid") + (bias < 0 ? " nobias" : "");
  return true;
}

}  // namespace

OP_TEST(conv2d_random) {
  if (!backend_ready()) return;
  for (int it = 0; it < 24; ++it) {
    ModelBuilder b;
    int out;
    std::string what;
    if (!make_conv(&b, false, &out, &what)) { --it; continue; }
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, what));
  }
}

OP_TEST(depthwise_conv2d_random) {
  if (!backend_ready()) return;
  for (int it = 0; it < 24; ++it) {
    ModelBuilder b;
    int out;
    std::string what;
    if (!make_conv(&b, true, &out, &what)) { --it; continue; }
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, what));
  }
}

// conv / depthwise followed by ADD (residual), PRELU, RELU: checks the fused plan and values.
OP_TEST(conv_fused_epilogues) {
  if (!backend_ready()) return;
  for (int it = 0; it < 16; ++it) {
    ModelBuilder b;
    int conv_out;
    std::string what;
    const bool depthwise = it % 2 == 1;
    if (!make_conv(&b, depthwise, &conv_out, &what)) { --it; continue; }
    b.m.operators.back().options.activation = Activation::kNone;
    const std::vector<int32_t> shape = b.m.tensors[conv_out].shape;
    const int oc = shape[3];
    int cur = conv_out;
    std::string expect = depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D";
    const int kind = it % 4;  // 0: +ADD+PRELU, 1: +ADD(relu6), 2: +PRELU, 3: +ADD+RELU
    if (kind != 2) {
      // Residual: a second graph input, or a constant.
      const int res = (it / 4) % 2 == 0 ? b.input(shape) : b.fconst(shape, rand_floats(numel(shape)));
      const int sum = b.tensor(shape);
      OperatorDef& add = b.op(builtin::kAdd, {res, cur}, {sum});
      if (kind == 1) add.options.activation = Activation::kRelu6;
      cur = sum;
      expect += "+ADD";
    }
    if (kind == 0 || kind == 2) {
      const int alpha = b.fconst({1, 1, oc}, rand_floats(oc, -0.5f, 0.5f));
      const int y = b.tensor(shape);
      b.op(builtin::kPrelu, {cur, alpha}, {y});
      cur = y;
      expect += "+PRELU";
    } else if (kind == 3) {
      const int y = b.tensor(shape);
      b.op(builtin::kRelu, {cur}, {y});
      cur = y;
      expect += "+RELU";
    }
    b.m.outputs = {cur};
    std::vector<NodeInfo> plan;
    CHECK(compare_model(b.m, 1 + it % 3, what + " " + expect, 1e-5, -1, true, &plan));
    CHECK(plan.size() == 1 && plan[0].op == expect);
    if (plan.size() != 1 || plan[0].op != expect)
      std::fprintf(stderr, "  plan: %s, expected %s\n", plan.empty() ? "-" : plan[0].op.c_str(), expect.c_str());
    // The same model unfused runs every node on its own.
    CHECK(compare_model(b.m, 2, what + " " + expect + " unfused", 1e-5, -1, false, &plan));
    CHECK(plan.size() >= 2);
  }
}

OP_TEST(max_pool_random) {
  if (!backend_ready()) return;
  for (int it = 0; it < 12; ++it) {
    ModelBuilder b;
    const int ih = rand_int(1, 9), iw = rand_int(1, 9), c = rand_int(1, 11);
    const int fh = rand_int(1, 3), fw = rand_int(1, 3), sh = rand_int(1, 2), sw = rand_int(1, 2);
    const Padding pad = rand_padding();
    int pt;
    const int oh = ref::conv_output_size(pad, ih, fh, sh, 1, &pt), ow = ref::conv_output_size(pad, iw, fw, sw, 1, &pt);
    if (oh <= 0 || ow <= 0) { --it; continue; }
    const int in = b.input({1, ih, iw, c});
    const int out = b.tensor({1, oh, ow, c});
    OperatorDef& op = b.op(builtin::kMaxPool2d, {in}, {out});
    op.options.padding = pad;
    op.options.filter_h = fh; op.options.filter_w = fw;
    op.options.stride_h = sh; op.options.stride_w = sw;
    op.options.activation = rand_activation();
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, "max_pool " + shape_text({1, ih, iw, c})));
  }
}

OP_TEST(binary_broadcast) {
  if (!backend_ready()) return;
  for (int it = 0; it < 18; ++it) {
    ModelBuilder b;
    const std::vector<int32_t> shape = {1, rand_int(1, 5), rand_int(1, 6), rand_int(1, 7)};
    std::vector<int32_t> other;
    switch (it % 6) {
      case 0: other = shape; break;
      case 1: other = {1, 1, shape[3]}; break;
      case 2: other = {shape[3]}; break;
      case 3: other = {1}; break;
      case 4: other = {1, shape[1], 1, 1}; break;
      default: other = {1, 1, shape[2], 1}; break;
    }
    const bool constant_other = (it / 6) % 2 == 0;
    const int a = b.input(shape);
    const int o = constant_other ? b.fconst(other, rand_floats(numel(other))) : b.input(other);
    const int out = b.tensor(ref::broadcast_shape(shape, other));
    const int32_t code = it % 3 == 0 ? builtin::kMul : it % 3 == 1 ? builtin::kAdd : builtin::kPrelu;
    OperatorDef& op = it % 2 ? b.op(code, {a, o}, {out}) : b.op(code, {o, a}, {out});
    if (code == builtin::kPrelu) op.inputs = {a, o};
    else op.options.activation = rand_activation();
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, builtin_name(code) + " " + shape_text(shape) + " with " + shape_text(other)));
  }
}

OP_TEST(unary) {
  if (!backend_ready()) return;
  for (int32_t code : {builtin::kRelu, builtin::kRelu6, builtin::kLogistic}) {
    for (int batch = 1; batch <= 3; ++batch) {
      ModelBuilder b;
      const std::vector<int32_t> shape = {1, rand_int(1, 9), rand_int(1, 9), rand_int(1, 9)};
      const int in = b.input(shape);
      const int out = b.tensor(shape);
      b.op(code, {in}, {out});
      b.m.outputs = {out};
      CHECK(compare_model(b.m, batch, builtin_name(code) + " " + shape_text(shape)));
    }
  }
}

OP_TEST(pad) {
  if (!backend_ready()) return;
  for (int it = 0; it < 9; ++it) {
    ModelBuilder b;
    const std::vector<int32_t> shape = {1, rand_int(1, 6), rand_int(1, 6), rand_int(1, 9)};
    std::vector<int32_t> pads = {0, 0, rand_int(0, 2), rand_int(0, 2), rand_int(0, 2), rand_int(0, 2), rand_int(0, 3), rand_int(0, 5)};
    std::vector<int32_t> out_shape = shape;
    for (int d = 0; d < 4; ++d) out_shape[d] += pads[2 * d] + pads[2 * d + 1];
    const int in = b.input(shape);
    const int p = b.iconst({4, 2}, pads);
    const int out = b.tensor(out_shape);
    b.op(builtin::kPad, {in, p}, {out});
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, "pad " + shape_text(shape) + " -> " + shape_text(out_shape)));
  }
}

OP_TEST(concatenation) {
  if (!backend_ready()) return;
  for (int it = 0; it < 9; ++it) {
    ModelBuilder b;
    const int rank = 3 + it % 2;
    std::vector<int32_t> base = rank == 3 ? std::vector<int32_t>{1, rand_int(1, 9), rand_int(1, 5)}
                                          : std::vector<int32_t>{1, rand_int(1, 4), rand_int(1, 4), rand_int(1, 6)};
    const int axis = rand_int(1, rank - 1);
    const int parts = rand_int(2, 3);
    std::vector<int32_t> ins;
    std::vector<int32_t> out_shape = base;
    out_shape[axis] = 0;
    for (int k = 0; k < parts; ++k) {
      std::vector<int32_t> s = base;
      s[axis] = rand_int(1, 4);
      out_shape[axis] += s[axis];
      ins.push_back(k == 1 && it % 3 == 0 ? b.fconst(s, rand_floats(numel(s))) : b.input(s));
    }
    const int out = b.tensor(out_shape);
    OperatorDef& op = b.op(builtin::kConcatenation, ins, {out});
    op.options.axis = axis == rank - 1 && it % 2 ? -1 : axis;
    op.options.activation = it % 4 == 0 ? Activation::kRelu : Activation::kNone;
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, "concat axis " + std::to_string(axis) + " -> " + shape_text(out_shape)));
  }
}

OP_TEST(strided_slice) {
  if (!backend_ready()) return;
  for (int it = 0; it < 12; ++it) {
    ModelBuilder b;
    const std::vector<int32_t> shape = {1, rand_int(1, 6), rand_int(1, 7), rand_int(1, 8)};
    std::vector<int32_t> begin(4), end(4), strides(4);
    for (int d = 0; d < 4; ++d) {
      strides[d] = d == 0 ? 1 : std::vector<int>{1, 2, -1, 3, -2}[rand_int(0, 4)];
      begin[d] = rand_int(-shape[d], shape[d]);
      end[d] = rand_int(-shape[d] - 1, shape[d] + 1);
    }
    OperatorDef op;
    op.builtin_code = builtin::kStridedSlice;
    op.options.begin_mask = rand_int(0, 15) & ~1;
    op.options.end_mask = rand_int(0, 15) & ~1;
    op.options.shrink_axis_mask = it % 3 == 0 ? 1 : 0;
    if (it % 4 == 1) op.options.shrink_axis_mask |= 4;
    begin[0] = 0; end[0] = 1;
    // Output shape by the reference's own rule: let its prepare() tell us.
    ModelBuilder probe;
    const int in = b.input(shape);
    const int bb = b.iconst({4}, begin), ee = b.iconst({4}, end), ss = b.iconst({4}, strides);
    std::vector<int32_t> out_shape;
    for (int d = 0; d < 4; ++d) {
      const int32_t dim = shape[d];
      const int32_t s = strides[d];
      auto clampi = [&](int32_t v) { if (v < 0) v += dim; return s > 0 ? std::min(std::max(v, 0), dim) : std::min(std::max(v, -1), dim - 1); };
      int32_t bgn = ((op.options.begin_mask >> d) & 1) ? (s > 0 ? 0 : dim - 1) : clampi(begin[d]);
      int32_t e = ((op.options.end_mask >> d) & 1) ? (s > 0 ? dim : -1) : clampi(end[d]);
      const bool shrink = (op.options.shrink_axis_mask >> d) & 1;
      if (shrink) { if (bgn < 0 || bgn >= dim) { out_shape.clear(); break; } continue; }
      const int32_t n = s > 0 ? (e > bgn ? (e - bgn + s - 1) / s : 0) : (bgn > e ? (bgn - e - s - 1) / (-s) : 0);
      out_shape.push_back(n);
    }
    if (out_shape.empty() || numel(out_shape) == 0) { --it; continue; }
    const int out = b.tensor(out_shape);
    op.inputs = {in, bb, ee, ss};
    op.outputs = {out};
    b.m.operators.push_back(op);
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, "strided_slice " + shape_text(shape) + " -> " + shape_text(out_shape)));
  }
}

OP_TEST(custom_ops_from_attention_model) {
  if (!backend_ready()) return;
  const ModelDef model = load_tflite_file(std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/face_landmark_with_attention.tflite");
  const OperatorDef* l2tm = nullptr;
  const OperatorDef* ttb = nullptr;
  const OperatorDef* tl = nullptr;
  for (const OperatorDef& op : model.operators) {
    if (op.custom_code == "Landmarks2TransformMatrix" && !l2tm) l2tm = &op;
    if (op.custom_code == "TransformTensorBilinear" && !ttb) ttb = &op;
    if (op.custom_code == "TransformLandmarks" && !tl) tl = &op;
  }
  CHECK(l2tm && ttb && tl);
  if (!l2tm || !ttb || !tl) return;
  // Landmarks2TransformMatrix on landmarks in a 48-unit frame (as in the model). The matrix's
  // consumers get a separate, exactly known matrix input (a rotated, scaled patch frame placed
  // around the map centre, partly outside it) so that each op is compared on its own: sampling
  // random data amplifies the ulp-level differences of GL's atan/sin/cos.
  for (int batch = 1; batch <= 3; ++batch) {
    ModelBuilder b;
    const int mat_in = b.input({1, 4, 4});
    const int lm = b.input({1, 468, 3});
    const int feat = b.input({1, 48, 48, 5});
    const int pts2 = b.input({1, 71, 2});
    const int pts3 = b.input({1, 20, 3});
    const int lm_scaled = b.tensor({1, 468, 3});
    b.op(builtin::kMul, {lm, b.fconst({1}, {6.f})}, {lm_scaled});
    const int lm_shift = b.tensor({1, 468, 3});
    b.op(builtin::kAdd, {lm_scaled, b.fconst({3}, {24.f, 24.f, 0.f})}, {lm_shift});
    const int mat = b.tensor({1, 4, 4});
    OperatorDef o1 = *l2tm;
    o1.inputs = {lm_shift};
    o1.outputs = {mat};
    b.m.operators.push_back(o1);
    const int sampled = b.tensor({1, 16, 16, 5});
    OperatorDef o2 = *ttb;
    o2.inputs = {feat, mat_in};
    o2.outputs = {sampled};
    b.m.operators.push_back(o2);
    const int out2 = b.tensor({1, 71, 2});
    OperatorDef o3 = *tl;
    o3.inputs = {pts2, mat_in};
    o3.outputs = {out2};
    b.m.operators.push_back(o3);
    const int out3 = b.tensor({1, 20, 3});
    o3.inputs = {pts3, mat_in};
    o3.outputs = {out3};
    b.m.operators.push_back(o3);
    b.m.outputs = {mat, sampled, out2, out3};
    std::vector<float> mats;
    for (int s = 0; s < batch; ++s) {
      const float angle = rand_floats(1, -3.f, 3.f)[0], scale = rand_floats(1, 1.f, 3.5f)[0];
      const float c = scale * std::cos(angle), sn = scale * std::sin(angle);
      const std::vector<float> shift = rand_floats(2, 16.f, 32.f);
      const float m16[16] = {c, -sn, 0, shift[0] - 8 * c + 8 * sn, sn, c, 0, shift[1] - 8 * sn - 8 * c,
                             0, 0, 1, 0, 0, 0, 0, 1};
      mats.insert(mats.end(), m16, m16 + 16);
    }
    CHECK(compare_model(b.m, batch, "custom ops", 1e-5, -1, true, nullptr, {mats}));
  }
}

// RESIZE_BILINEAR in all three coordinate modes (up, down, non-integer ratios) and
// DEPTH_TO_SPACE, batch 1..3, the model's own batch 1 and 2. (Last in the file: they draw from
// the shared generator after every other test.)
OP_TEST(resize_bilinear) {
  if (!backend_ready()) return;
  for (int it = 0; it < 12; ++it) {
    ModelBuilder b;
    const int n = it % 4 == 3 ? 2 : 1;
    const std::vector<int32_t> shape = {n, rand_int(1, 7), rand_int(1, 7), rand_int(1, 9)};
    const int oh = it < 3 ? shape[1] * 2 : rand_int(1, 13), ow = it < 3 ? shape[2] * 2 : rand_int(1, 13);
    const int in = b.input(shape);
    const int out = b.tensor({n, oh, ow, shape[3]});
    OperatorDef& op = b.op(builtin::kResizeBilinear, {in, b.iconst({2}, {oh, ow})}, {out});
    const int mode = it % 3;  // 0: half pixel centers (the detector's), 1: align corners, 2: neither
    op.options.half_pixel_centers = mode == 0;
    op.options.align_corners = mode == 1;
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, "resize_bilinear mode " + std::to_string(mode) + " " + shape_text(shape) +
                                             " -> " + std::to_string(oh) + "x" + std::to_string(ow)));
  }
}

OP_TEST(depth_to_space) {
  if (!backend_ready()) return;
  for (int it = 0; it < 8; ++it) {
    ModelBuilder b;
    const int bs = it < 4 ? 2 : rand_int(1, 3);
    const int c = rand_int(1, 5), n = it % 4 == 3 ? 2 : 1;
    const std::vector<int32_t> shape = {n, rand_int(1, 6), rand_int(1, 6), c * bs * bs};
    const int in = b.input(shape);
    const int out = b.tensor({n, shape[1] * bs, shape[2] * bs, c});
    b.op(builtin::kDepthToSpace, {in}, {out}).options.block_size = bs;
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, "depth_to_space bs " + std::to_string(bs) + " " + shape_text(shape)));
  }
}


// The Tasks models' elementwise ops (blendshapes: SUB, DIV, SQUARED_DIFFERENCE, NEG, SQRT,
// RSQRT) with broadcasting and constant operands. SQRT / RSQRT / DIV draw positive operands.
OP_TEST(tasks_elementwise) {
  if (!backend_ready()) return;
  const int32_t binaries[] = {builtin::kSub, builtin::kDiv, builtin::kSquaredDifference};
  for (int it = 0; it < 12; ++it) {
    ModelBuilder b;
    const std::vector<int32_t> shape = {1, rand_int(1, 5), rand_int(1, 6), rand_int(1, 7)};
    const std::vector<int32_t> other = it % 3 == 0 ? shape : it % 3 == 1 ? std::vector<int32_t>{shape[3]}
                                                                          : std::vector<int32_t>{1, shape[1], 1, 1};
    const int32_t code = binaries[it % 3];
    const int a = b.input(shape);
    const int o = it % 2 ? b.fconst(other, rand_floats(numel(other), 0.5f, 2.f)) : b.input(other);
    const int out = b.tensor(shape);
    b.op(code, {a, o}, {out});
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, builtin_name(code) + " " + shape_text(shape) + " with " + shape_text(other)));
  }
  for (int32_t code : {builtin::kNeg, builtin::kSqrt, builtin::kRsqrt}) {
    ModelBuilder b;
    const std::vector<int32_t> shape = {1, rand_int(1, 9), rand_int(1, 9)};
    const int in = b.input(shape);
    const int mid = b.tensor(shape);
    // x * x + 0.25 > 0, so SQRT and RSQRT see positive values whatever the random input.
    b.op(builtin::kMul, {in, in}, {mid});
    const int pos = b.tensor(shape);
    b.op(builtin::kAdd, {mid, b.fconst({1}, {0.25f})}, {pos});
    const int out = b.tensor(shape);
    b.op(code, {pos}, {out});
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 2, builtin_name(code) + " " + shape_text(shape)));
  }
}

// MEAN and SUM over every subset of axes of a 3-D and a 4-D input, keep_dims both ways.
OP_TEST(tasks_reduce) {
  if (!backend_ready()) return;
  for (int it = 0; it < 16; ++it) {
    ModelBuilder b;
    const int rank = 3 + it % 2;
    std::vector<int32_t> shape = {1};
    for (int d = 1; d < rank; ++d) shape.push_back(rand_int(1, it < 4 ? 40 : 7));
    const int mask = 1 + rand_int(0, (1 << rank) - 2);
    std::vector<int32_t> axes, out_shape;
    const bool keep = it % 4 < 2;
    for (int d = 0; d < rank; ++d) {
      if (mask >> d & 1) {
        axes.push_back(it % 3 == 0 ? d - rank : d);
        if (keep) out_shape.push_back(1);
      } else {
        out_shape.push_back(shape[d]);
      }
    }
    const int32_t code = it % 2 ? builtin::kSum : builtin::kMean;
    const int in = b.input(shape);
    const int out = b.tensor(out_shape);
    b.op(code, {in, b.iconst({static_cast<int32_t>(axes.size())}, axes)}, {out}).options.keep_dims = keep;
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + it % 3, builtin_name(code) + " " + shape_text(shape) + " axes mask " + std::to_string(mask)));
  }
}

OP_TEST(tasks_transpose) {
  if (!backend_ready()) return;
  const std::vector<std::vector<int32_t>> perms = {{0, 2, 1}, {0, 3, 1, 2}, {0, 2, 3, 1}, {0, 1, 3, 2}, {2, 0, 1}};
  for (size_t it = 0; it < perms.size() * 2; ++it) {
    const std::vector<int32_t>& perm = perms[it % perms.size()];
    ModelBuilder b;
    std::vector<int32_t> shape;
    for (size_t d = 0; d < perm.size(); ++d) shape.push_back(d == 0 && perm[0] == 0 ? 1 : rand_int(1, 6));
    if (perm[0] != 0) shape[0] = 1;
    std::vector<int32_t> out_shape;
    for (int32_t p : perm) out_shape.push_back(shape[static_cast<size_t>(p)]);
    const int in = b.input(shape);
    const int out = b.tensor(out_shape);
    b.op(builtin::kTranspose, {in, b.iconst({static_cast<int32_t>(perm.size())}, perm)}, {out});
    b.m.outputs = {out};
    CHECK(compare_model(b.m, 1 + static_cast<int>(it % 3), "transpose " + shape_text(shape) + " perm " + shape_text(perm)));
  }
}
