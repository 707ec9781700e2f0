// Elementwise ops on GL: ADD, MUL, SUB, DIV (numpy broadcasting, fused activation),
// SQUARED_DIFFERENCE (broadcasting), PRELU (alpha broadcast against x), RELU, RELU6, LOGISTIC,
// NEG, SQRT, RSQRT. One invocation per output element.
// Broadcast: both operands are right-aligned against the output shape (rank <= 6); a
// dimension of size 1 has stride 0. An activation operand is per sample (stride = its numel),
// a constant one is shared by every sample.
#include <string>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"
#include "ops/reference/reference_ops.h"

namespace fmn {
namespace gl {

namespace {

// Binary ops first: op <= kOpLastBinary takes two operands.
enum ElementOp { kOpAdd = 0, kOpMul = 1, kOpPrelu = 2, kOpSub = 3, kOpDiv = 4, kOpSqDiff = 5,
                 kOpLastBinary = 5, kOpRelu = 6, kOpRelu6 = 7, kOpLogistic = 8, kOpNeg = 9,
                 kOpSqrt = 10, kOpRsqrt = 11 };

// Declarations (a, bv, y) come from glsl_load_buffer / glsl_store_buffer; main() is
// kPerElementMain.
const std::string kElementwiseGlsl = R"(
float value(int s, int item) {
  int ia = item, ib = item;
#ifdef BROADCAST
  ia = 0; ib = 0;
  int rem = item;
  for (int d = 5; d >= 0; --d) {
    int i = rem % OD[d];
    rem /= OD[d];
    ia += i * SA[d];
    ib += i * SB[d];
  }
#endif
  float v = ld_a(s * A_STRIDE + ia);
#ifdef BINARY
  float w = ld_bv(s * B_STRIDE + ib);
#endif
#if OP == 0
  v = v + w;
#elif OP == 1
  v = v * w;
#elif OP == 2
  v = v >= 0.0 ? v : v * w;
#elif OP == 3
  v = v - w;
#elif OP == 4
  v = v / w;
#elif OP == 5
  v = (v - w) * (v - w);
#elif OP == 6
  v = max(v, 0.0);
#elif OP == 7
  v = min(max(v, 0.0), 6.0);
#elif OP == 8
  v = 1.0 / (1.0 + exp(-v));
#elif OP == 9
  v = -v;
#elif OP == 10
  v = sqrt(v);
#elif OP == 11
  v = inversesqrt(v);
#endif
)" + glsl_clamp_activation("v") + R"(  return v;
}
)";

// Strides of `shape` in the 6-d index space of `out` (right-aligned, 0 where broadcast).
std::vector<int64_t> broadcast_strides(const std::vector<int32_t>& shape, const std::vector<int32_t>& out) {
  std::vector<int64_t> s(6, 0);
  int64_t stride = 1;
  for (int i = 5; i >= 0; --i) {
    const int oi = i - (6 - static_cast<int>(out.size()));
    const int si = i - (6 - static_cast<int>(shape.size()));
    const int32_t d = si >= 0 ? shape[si] : 1;
    (void)oi;
    s[i] = d == 1 ? 0 : stride;
    stride *= d;
  }
  return s;
}

}  // namespace

void build_elementwise(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const int32_t code = node.op->builtin_code;
  int op;
  switch (code) {
    case builtin::kAdd: op = kOpAdd; break;
    case builtin::kMul: op = kOpMul; break;
    case builtin::kPrelu: op = kOpPrelu; break;
    case builtin::kRelu: op = kOpRelu; break;
    case builtin::kRelu6: op = kOpRelu6; break;
    case builtin::kLogistic: op = kOpLogistic; break;
    case builtin::kSub: op = kOpSub; break;
    case builtin::kDiv: op = kOpDiv; break;
    case builtin::kSquaredDifference: op = kOpSqDiff; break;
    case builtin::kNeg: op = kOpNeg; break;
    case builtin::kSqrt: op = kOpSqrt; break;
    case builtin::kRsqrt: op = kOpRsqrt; break;
    default: throw GlUnsupportedError(node.op_name + ": not an elementwise op");
  }
  const bool binary = op <= kOpLastBinary;
  const GlTensor& a = node.inputs[0];
  const GlTensor& dst = node.outputs[0];
  if (dst.shape.size() > 6) throw GlUnsupportedError(node.op_name + ": rank above 6");
  ShaderDefines d;
  d.set("OP", op);
  d.set("N_ITEMS", dst.numel());
  if (dst.f16) d.flag("PAIRS");
  d.set("A_STRIDE", a.constant() ? 0 : a.numel());
  std::string arrays;
  if (binary) {
    const GlTensor& b = node.inputs[1];
    d.flag("BINARY");
    d.set("B_STRIDE", b.constant() ? 0 : b.numel());
    if (a.shape != dst.shape || b.shape != dst.shape) {
      d.flag("BROADCAST");
      std::vector<int64_t> od(6, 1);
      for (size_t i = 0; i < dst.shape.size(); ++i) od[6 - dst.shape.size() + i] = dst.shape[i];
      arrays = glsl_int_array("OD", od) + glsl_int_array("SA", broadcast_strides(a.shape, dst.shape)) +
               glsl_int_array("SB", broadcast_strides(b.shape, dst.shape));
    }
  } else if (a.shape != dst.shape) {
    throw GlUnsupportedError(node.op_name + ": output shape differs from the input's");
  }
  if (op == kOpAdd || op == kOpMul || op == kOpSub || op == kOpDiv) activation_defines(node.op->options.activation, &d);
  std::string decl = glsl_load_buffer("a", 0, a.f16) + glsl_store_buffer("y", 2, dst.f16);
  if (binary) decl += glsl_load_buffer("bv", 1, node.inputs[1].f16);
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = per_element_grid(dst.numel(), dst.f16);
  disp.program = bc.program(d.header(disp.grid) + arrays + decl + kElementwiseGlsl + kPerElementMain, "elementwise");
  disp.bindings = {{0, operand_buffer(a, bc)}, {2, dst.buffer}};
  if (binary) disp.bindings.push_back({1, operand_buffer(node.inputs[1], bc)});
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
