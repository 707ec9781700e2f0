// MEAN / SUM over constant axes and TRANSPOSE on GL (rank <= 6): one invocation per output
// element. A reduction walks its reduced elements in row-major order and accumulates in fp32
// (the CPU reference accumulates in double; the difference is at float rounding level for
// the blendshape model's 2..146-element reductions).
#include <string>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"

namespace fmn {
namespace gl {

namespace {

// Right-aligned 6-d row-major strides of `shape`.
std::vector<int64_t> strides6(const std::vector<int32_t>& shape) {
  std::vector<int64_t> st(6, 0);
  int64_t s = 1;
  const int rank = static_cast<int>(shape.size());
  for (int d = rank - 1; d >= 0; --d) {
    st[6 - rank + d] = s;
    s *= shape[d];
  }
  return st;
}

// Kept (OD) and reduced (RD) extents in the input's 6-d index space; the output element
// `item` indexes the kept dimensions, the loop index k the reduced ones.
const char* const kReduceGlsl = R"(
float value(int s, int item) {
  int base = 0;
  int rem = item;
  for (int d = 5; d >= 0; --d) {
    int i = rem % OD[d];
    rem /= OD[d];
    base += i * ISTRIDE[d];
  }
  float acc = 0.0;
  for (int k = 0; k < R_COUNT; ++k) {
    int off = base;
    int r = k;
    for (int d = 5; d >= 0; --d) {
      int i = r % RD[d];
      r /= RD[d];
      off += i * ISTRIDE[d];
    }
    acc += ld_x(s * IN_STRIDE + off);
  }
#ifdef MEAN
  acc /= float(R_COUNT);
#endif
  return acc;
}
)";

// Output element `item` decomposed over the output dims (OD); input offset via the permuted
// input strides (PSTRIDE[d] = input stride of input dim perm[d]).
const char* const kTransposeGlsl = R"(
float value(int s, int item) {
  int src = 0;
  int rem = item;
  for (int d = 5; d >= 0; --d) {
    int i = rem % OD[d];
    rem /= OD[d];
    src += i * PSTRIDE[d];
  }
  return ld_x(s * IN_STRIDE + src);
}
)";

void dispatch(const GlNode& node, GlBuildContext& bc, ShaderDefines& d, const std::string& arrays,
              const char* body, std::vector<GlDispatch>* out) {
  const GlTensor& in = node.inputs[0];
  const GlTensor& dst = node.outputs[0];
  d.set("N_ITEMS", dst.numel());
  d.set("IN_STRIDE", in.constant() ? 0 : in.numel());
  if (dst.f16) d.flag("PAIRS");
  if (dst.numel() == 0) return;
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = per_element_grid(dst.numel(), dst.f16);
  disp.program = bc.program(d.header(disp.grid) + arrays + glsl_load_buffer("x", 0, in.f16) +
                                glsl_store_buffer("y", 1, dst.f16) + body + kPerElementMain,
                            node.op_name);
  disp.bindings = {{0, operand_buffer(in, bc)}, {1, dst.buffer}};
  out->push_back(std::move(disp));
}

}  // namespace

void build_reduce(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const GlTensor& in = node.inputs[0];
  const GlTensor& axes = node.inputs[1];
  const int rank = static_cast<int>(in.shape.size());
  if (rank > 6) throw GlUnsupportedError(node.op_name + ": rank above 6");
  if (!axes.constant()) throw GlUnsupportedError(node.op_name + ": axes must be constant");
  std::vector<bool> reduced(rank, false);
  for (int64_t i = 0; i < axes.numel(); ++i) {
    int32_t a = axes.i32()[i];
    reduced[a < 0 ? a + rank : a] = true;  // range checked by the reference kernel's prepare
  }
  std::vector<int64_t> od(6, 1), rd(6, 1);
  int64_t r_count = 1;
  for (int d = 0; d < rank; ++d) {
    if (reduced[d]) {
      rd[6 - rank + d] = in.shape[d];
      r_count *= in.shape[d];
    } else {
      od[6 - rank + d] = in.shape[d];
    }
  }
  ShaderDefines d;
  d.set("R_COUNT", r_count);
  if (node.op->builtin_code == builtin::kMean) d.flag("MEAN");
  dispatch(node, bc, d,
           glsl_int_array("OD", od) + glsl_int_array("RD", rd) + glsl_int_array("ISTRIDE", strides6(in.shape)),
           kReduceGlsl, out);
}

void build_transpose(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const GlTensor& in = node.inputs[0];
  const GlTensor& perm = node.inputs[1];
  const int rank = static_cast<int>(in.shape.size());
  if (rank > 6) throw GlUnsupportedError(node.op_name + ": rank above 6");
  if (!perm.constant()) throw GlUnsupportedError(node.op_name + ": perm must be constant");
  const std::vector<int64_t> ist = strides6(in.shape);
  std::vector<int64_t> od(6, 1), pstride(6, 0);
  for (int d = 0; d < rank; ++d) {
    const int32_t p = perm.i32()[d];
    od[6 - rank + d] = in.shape[p];
    pstride[6 - rank + d] = ist[6 - rank + p];
  }
  ShaderDefines d;
  dispatch(node, bc, d, glsl_int_array("OD", od) + glsl_int_array("PSTRIDE", pstride), kTransposeGlsl, out);
}

}  // namespace gl
}  // namespace fmn
