// GraphPlan's fold_pads option: a spatial zero PAD read only by a conv is folded into the conv
// as explicit padding (PlannedNode::padding) and dropped. Checked on small hand-built graphs
// (what folds and what must not: a non-zero PADV2 value, a channel or batch pad, a second
// reader, a graph output) and on every bundled model: the folded plan, run by the tuned and
// by the reference kernels, and the CPU Interpreter match the unfused plan (fuse = false).
#define FMN_TEST_MAIN
#include "ops/reference/reference_kernels.h"
#include "testing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "runtime/conv_geometry.h"
#include "runtime/graph_plan.h"
#include "executors/interpreter.h"
#include "runtime/kernel.h"
#include "plan_testing.h"

using namespace fmn;

namespace {

constexpr size_t kMaxFolded = size_t{256} << 20;

using fmn_test::check_close;
using fmn_test::execute;
using fmn_test::model_path;
using fmn_test::random_inputs;
using fmn_test::count_op;

int count_explicit(const GraphPlan& p) {
  int n = 0;
  for (const PlannedNode& node : p.nodes()) n += node.padding.is_explicit;
  return n;
}

// The CPU plan: fusion, narrow residuals and pad folding, as the Interpreter builds it.
std::unique_ptr<GraphPlan> cpu_plan(const ModelDef& m) {
  return std::unique_ptr<GraphPlan>(new GraphPlan(m, create_reference_kernel, true, kMaxFolded, true, true));
}

std::vector<std::vector<float>> run_interpreter(const ModelDef& m, bool fuse, int threads,
                                                const std::vector<std::vector<float>>& in,
                                                int* pads_left) {
  InterpreterOptions o;
  o.num_threads = threads;
  o.fuse = fuse;
  Interpreter interp(m, o);
  if (pads_left) {
    *pads_left = 0;
    for (const NodeInfo& n : interp.nodes()) *pads_left += n.op == "PAD" || n.op == "PADV2";
  }
  // A folded conv runs on the tuned kernels (depth multiplier 1), not the reference fallback.
  for (const NodeInfo& n : interp.nodes())
    if (n.op.compare(0, 4, "PAD+") == 0 && n.impl == "reference")
      fmn_test::fail(__FILE__, __LINE__, n.op + " fell back to the reference kernel");
  std::vector<std::vector<float>> outs;
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;
  for (const std::vector<float>& v : in) in_ptrs.push_back(v.data());
  for (const TensorInfo& t : interp.outputs()) outs.emplace_back(static_cast<size_t>(t.num_elements()));
  for (std::vector<float>& v : outs) out_ptrs.push_back(v.data());
  interp.run(1, in_ptrs.data(), out_ptrs.data());
  return outs;
}

// ---------------------------------------------------------------------------------------------
// Hand-built graphs: x [1, h, w, c] -> PAD / PADV2 -> conv -> out.

struct Builder {
  ModelDef m;
  std::mt19937 rng{7};
  Builder() { m.buffers.emplace_back(); }
  int32_t tensor(std::vector<int32_t> shape, TensorType type = TensorType::kFloat32) {
    TensorDef t;
    t.name = "t" + std::to_string(m.tensors.size());
    t.shape = std::move(shape);
    t.type = type;
    m.tensors.push_back(t);
    return static_cast<int32_t>(m.tensors.size() - 1);
  }
  template <class T>
  int32_t constant(std::vector<int32_t> shape, TensorType type, const std::vector<T>& values) {
    const int32_t id = tensor(std::move(shape), type);
    std::vector<uint8_t> b(values.size() * sizeof(T));
    std::memcpy(b.data(), values.data(), b.size());
    m.buffers.push_back(std::move(b));
    m.tensors[id].buffer = static_cast<uint32_t>(m.buffers.size() - 1);
    return id;
  }
  int32_t random_constant(std::vector<int32_t> shape) {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = u(rng);
    return constant(std::move(shape), TensorType::kFloat32, v);
  }
  void op(int32_t code, std::vector<int32_t> in, std::vector<int32_t> out, BuiltinOptions o = {}) {
    OperatorDef d;
    d.builtin_code = code;
    d.inputs = std::move(in);
    d.outputs = std::move(out);
    d.options = o;
    m.operators.push_back(d);
  }
};

struct PadCase {
  int h = 9, w = 9, c = 8;
  int pads[8] = {0, 0, 0, 1, 0, 1, 0, 0};  // n, h, w, c (before, after)
  bool v2 = false;
  float value = 0.f;
  bool depthwise = true;
  int k = 3, stride = 2, dilation = 1;
  Padding padding = Padding::kValid;
  bool second_reader = false;  // the PAD's output also feeds a second conv (a graph output)
  bool pad_is_output = false;  // the PAD's output is a graph output
};

ModelDef pad_model(const PadCase& pc) {
  Builder b;
  const int32_t x = b.tensor({1, pc.h, pc.w, pc.c});
  const int ph = pc.h + pc.pads[2] + pc.pads[3], pw = pc.w + pc.pads[4] + pc.pads[5];
  const int pcn = pc.c + pc.pads[6] + pc.pads[7], pn = 1 + pc.pads[0] + pc.pads[1];
  const int32_t y = b.tensor({pn, ph, pw, pcn});
  const int32_t paddings = b.constant<int32_t>({4, 2}, TensorType::kInt32,
                                               std::vector<int32_t>(pc.pads, pc.pads + 8));
  std::vector<int32_t> pad_in = {x, paddings};
  if (pc.v2) pad_in.push_back(b.constant<float>({}, TensorType::kFloat32, {pc.value}));
  b.op(pc.v2 ? builtin::kPadv2 : builtin::kPad, pad_in, {y});

  auto conv = [&](int k, int stride) {
    BuiltinOptions o;
    o.padding = pc.padding;
    o.stride_h = o.stride_w = stride;
    o.dilation_h = o.dilation_w = pc.dilation;
    o.depth_multiplier = 1;
    const int eff = (k - 1) * pc.dilation + 1;
    const int oh = pc.padding == Padding::kSame ? (ph + stride - 1) / stride : (ph - eff) / stride + 1;
    const int ow = pc.padding == Padding::kSame ? (pw + stride - 1) / stride : (pw - eff) / stride + 1;
    const int oc = pc.depthwise ? pcn : 5;
    const int32_t w = pc.depthwise ? b.random_constant({1, k, k, pcn}) : b.random_constant({oc, k, k, pcn});
    const int32_t bias = b.random_constant({oc});
    const int32_t out = b.tensor({pn, oh, ow, oc});
    b.op(pc.depthwise ? builtin::kDepthwiseConv2d : builtin::kConv2d, {y, w, bias}, {out}, o);
    return out;
  };
  const int32_t out = conv(pc.k, pc.stride);
  b.m.inputs = {x};
  b.m.outputs = {out};
  if (pc.second_reader) b.m.outputs.push_back(conv(1, 1));
  if (pc.pad_is_output) b.m.outputs.push_back(y);
  return b.m;
}

// Builds the case, checks whether the PAD folded, and that every way of running it agrees
// with the unfused plan run by the reference kernels.
void check_case(const PadCase& pc, bool expect_fold, const std::string& what) {
  const ModelDef m = pad_model(pc);
  const std::unique_ptr<GraphPlan> folded = cpu_plan(m);
  const GraphPlan unfused(m, create_reference_kernel, false);
  const GraphPlan fused_no_fold(m, create_reference_kernel, true, kMaxFolded, true, false);
  const int32_t pad_code = pc.v2 ? builtin::kPadv2 : builtin::kPad;
  CHECK(count_op(unfused, pad_code) == 1);
  CHECK(count_op(fused_no_fold, pad_code) == 1);
  CHECK(count_explicit(fused_no_fold) == 0);
  const int left = count_op(*folded, pad_code);
  if (left != (expect_fold ? 0 : 1) || count_explicit(*folded) != (expect_fold ? 1 : 0))
    fmn_test::fail(__FILE__, __LINE__,
                   what + ": expected the PAD " + (expect_fold ? "folded" : "kept") + ", " +
                       std::to_string(left) + " left");
  const std::vector<std::vector<float>> in = random_inputs(unfused, 3);
  const std::vector<std::vector<float>> want = execute(unfused, in, false);
  check_close(execute(*folded, in, false), want, 1e-5f, what + " folded, reference kernels");
  check_close(execute(*folded, in, true), want, 1e-5f, what + " folded, tuned kernels");
  check_close(run_interpreter(m, true, 1, in, nullptr), want, 1e-5f, what + " interpreter");
  check_close(run_interpreter(m, true, 2, in, nullptr), want, 1e-5f, what + " interpreter, 2 threads");
}

}  // namespace

TEST(fold_depthwise_valid_bottom_right) {
  PadCase pc;  // the detector's pattern: pad 1 after, 3x3 stride 2 VALID
  check_case(pc, true, "dw 3x3 s2 pad(0,1,0,1)");
}

TEST(fold_depthwise_asymmetric_all_sides) {
  PadCase pc;
  const int pads[8] = {0, 0, 2, 1, 1, 3, 0, 0};
  std::copy(pads, pads + 8, pc.pads);
  pc.stride = 1;
  pc.k = 5;
  check_case(pc, true, "dw 5x5 s1 pad(2,1,1,3)");
  pc.dilation = 2;
  check_case(pc, true, "dw 5x5 s1 d2 pad(2,1,1,3)");
}

TEST(fold_same_padding_combines) {
  PadCase pc;
  pc.padding = Padding::kSame;
  const int pads[8] = {0, 0, 1, 0, 0, 2, 0, 0};
  std::copy(pads, pads + 8, pc.pads);
  for (int stride : {1, 2}) {
    pc.stride = stride;
    pc.depthwise = true;
    check_case(pc, true, "dw SAME s" + std::to_string(stride));
    pc.depthwise = false;
    check_case(pc, true, "conv SAME s" + std::to_string(stride));
  }
}

TEST(fold_conv_valid) {
  PadCase pc;
  pc.depthwise = false;
  check_case(pc, true, "conv 3x3 s2 VALID");
  // A 1x1 conv over a padded input: the output is larger than the input (not pointwise).
  const int pads[8] = {0, 0, 1, 2, 2, 1, 0, 0};
  std::copy(pads, pads + 8, pc.pads);
  pc.k = 1;
  pc.stride = 1;
  check_case(pc, true, "conv 1x1 s1 over a padded input");
  // Padding after only: no padding before, yet not pointwise (out_h, out_w > in_h, in_w).
  const int after_only[8] = {0, 0, 0, 2, 0, 3, 0, 0};
  std::copy(after_only, after_only + 8, pc.pads);
  check_case(pc, true, "conv 1x1 s1 padded after only");
  pc.c = 3;  // few input channels: the direct conv
  pc.h = pc.w = 40;
  pc.k = 3;
  check_case(pc, true, "conv 3x3 ic 3 (direct)");
}

TEST(fold_padv2_zero) {
  PadCase pc;
  pc.v2 = true;
  pc.value = 0.f;
  check_case(pc, true, "PADV2 value 0");
}

TEST(no_fold_padv2_nonzero) {
  PadCase pc;
  pc.v2 = true;
  pc.value = 0.5f;
  check_case(pc, false, "PADV2 value 0.5");
}

TEST(no_fold_channel_pad) {
  PadCase pc;
  const int pads[8] = {0, 0, 0, 1, 0, 1, 0, 4};
  std::copy(pads, pads + 8, pc.pads);
  pc.depthwise = false;
  check_case(pc, false, "H, W and channel pad");
}

TEST(no_fold_batch_pad) {
  PadCase pc;
  const int pads[8] = {0, 1, 0, 1, 0, 1, 0, 0};
  std::copy(pads, pads + 8, pc.pads);
  // Batch 2 out of a batch-1 input: plan-level check only (the interpreter runs batch 1).
  const ModelDef m = pad_model(pc);
  CHECK(count_op(*cpu_plan(m), builtin::kPad) == 1);
  CHECK(count_explicit(*cpu_plan(m)) == 0);
}

TEST(no_fold_second_reader) {
  PadCase pc;
  pc.second_reader = true;
  check_case(pc, false, "PAD read by two convs");
}

TEST(no_fold_graph_output) {
  PadCase pc;
  pc.pad_is_output = true;
  check_case(pc, false, "PAD output is a graph output");
}

// ---------------------------------------------------------------------------------------------
// The bundled models.

namespace {

void check_model(const char* file, bool expect_all_folded) {
  const ModelDef model = load_tflite_file(model_path(file));
  const std::unique_ptr<GraphPlan> folded = cpu_plan(model);
  const GraphPlan no_fold(model, create_reference_kernel, true, kMaxFolded, true, false);
  const GraphPlan unfused(model, create_reference_kernel, false);
  const std::string name(file);
  const int before = count_op(no_fold, builtin::kPad);
  const int after = count_op(*folded, builtin::kPad);
  std::printf("%s: %d PADs in the fused plan without fold_pads, %d with; %d explicit convs\n", file,
              before, after, count_explicit(*folded));
  CHECK(before - after == count_explicit(*folded));
  CHECK(folded->nodes().size() + static_cast<size_t>(count_explicit(*folded)) == no_fold.nodes().size());
  if (expect_all_folded) {
    CHECK(before > 0);
    CHECK(after == 0);
  }

  const std::vector<std::vector<float>> in = random_inputs(unfused, 11);
  const std::vector<std::vector<float>> want = execute(unfused, in, false);
  check_close(execute(*folded, in, false), want, 1e-5f, name + " folded vs unfused, reference");
  check_close(execute(*folded, in, true), want, 1e-5f, name + " folded (tuned) vs unfused (reference)");
  const std::vector<std::vector<float>> want_tuned = execute(unfused, in, true);
  check_close(execute(*folded, in, true), want_tuned, 1e-5f, name + " folded vs unfused, tuned");
  int pads_left = -1;
  const std::vector<std::vector<float>> interp_unfused = run_interpreter(model, false, 1, in, nullptr);
  check_close(run_interpreter(model, true, 1, in, &pads_left), interp_unfused, 1e-5f,
              name + " interpreter folded vs fuse=false");
  check_close(run_interpreter(model, true, 2, in, nullptr), interp_unfused, 1e-5f,
              name + " interpreter folded (2 threads) vs fuse=false");
  CHECK(pads_left == after);
}

}  // namespace

TEST(fold_face_detection_full_range) {
  check_model("face_detection_full_range_sparse.tflite", true);
}
TEST(fold_face_detection_short_range) { check_model("face_detection_short_range.tflite", false); }
TEST(fold_face_landmark) { check_model("face_landmark.tflite", false); }
TEST(fold_face_landmark_with_attention) {
  check_model("face_landmark_with_attention.tflite", false);
}

// Output sizes near 2^31: computed in 64 bits, never wrapped (UBSan found SAME padding's
// in + stride - 1 overflowing); what does not fit in 32 bits is a ModelError.
TEST(conv_output_size_does_not_overflow) {
  int before = -1;
  const int big = 2147483600;
  CHECK(fmn::conv_output_size(fmn::Padding::kSame, big, 3, 65536, 1, &before) ==
        static_cast<int>((static_cast<int64_t>(big) + 65535) / 65536));
  CHECK(before == 0);
  CHECK(fmn::conv_output_size(fmn::Padding::kSame, 2147483647, 3, 1, 1, &before) == 2147483647);
  CHECK(before == 1);
  // VALID with an effective extent of 65535 * 65536 + 1 > 2^31: no output, no wrap.
  CHECK_THROWS(fmn::conv_output_size(fmn::Padding::kValid, big, 65536, 1, 65536, &before),
               fmn::ModelError);
  CHECK(fmn::conv_output_size_explicit(big - 1000, 100, 100, 3, 2, 1, &before) ==
        (big - 800 - 3) / 2 + 1);
  CHECK(before == 100);
  CHECK_THROWS(fmn::conv_output_size_explicit(big, 1000, 1000, 3, 1, 1, &before), fmn::ModelError);
}
