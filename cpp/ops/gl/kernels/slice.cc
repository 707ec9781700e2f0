// STRIDED_SLICE on GL (rank <= 6; begin/end/strides constant int32; begin, end and shrink
// masks and `offset`; no ellipsis or new-axis masks): one invocation per output element.
// The per-dimension start, step and count follow TFLite's rules: negative indices count from
// the end, indices clamp to the dimension, a shrunk dimension takes one element at begin.
// (RESHAPE needs no kernel: the executor lets its output share the input's storage.)
#include <algorithm>
#include <string>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"

namespace fmn {
namespace gl {

namespace {
// Declarations (x, y) from glsl_load_buffer / glsl_store_buffer; main() is kPerElementMain.
const char* const kSliceGlsl = R"(
float value(int s, int item) {
  int rem = item;
  int src = 0;
  for (int d = 5; d >= 0; --d) {
    int i = rem % COUNT[d];
    rem /= COUNT[d];
    src += (BEGIN[d] + i * STEP[d]) * ISTRIDE[d];
  }
  return ld_x(s * IN_STRIDE + src);
}
)";
}  // namespace

void build_strided_slice(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const GlTensor& in = node.inputs[0];
  const GlTensor& dst = node.outputs[0];
  const BuiltinOptions& o = node.op->options;
  const int rank = static_cast<int>(in.shape.size());
  if (rank > 6) throw GlUnsupportedError(node.op_name + ": rank above 6");
  if (o.ellipsis_mask || o.new_axis_mask)
    throw GlUnsupportedError(node.op_name + ": ellipsis and new-axis masks are not supported");
  std::vector<int64_t> begin(6, 0), step(6, 1), count(6, 1), istride(6, 0);
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    istride[6 - rank + d] = stride;
    stride *= in.shape[d];
  }
  for (int d = 0; d < rank; ++d) {
    const int32_t dim = in.shape[d];
    int32_t b = node.inputs[1].i32()[d], e = node.inputs[2].i32()[d], s = node.inputs[3].i32()[d];
    if (s == 0) throw GlUnsupportedError(node.op_name + ": stride 0");
    if (o.offset) e = b + e;
    auto clamp_index = [&](int32_t v) {
      if (v < 0) v += dim;
      return s > 0 ? std::min(std::max(v, 0), dim) : std::min(std::max(v, -1), dim - 1);
    };
    const bool shrink = (o.shrink_axis_mask >> d) & 1;
    b = ((o.begin_mask >> d) & 1) ? (s > 0 ? 0 : dim - 1) : clamp_index(b);
    if (shrink) {
      e = b + 1;
      s = 1;
    } else if ((o.end_mask >> d) & 1) {
      e = s > 0 ? dim : -1;
    } else {
      e = clamp_index(e);
    }
    const int32_t n = s > 0 ? (e > b ? (e - b + s - 1) / s : 0) : (b > e ? (b - e - s - 1) / (-s) : 0);
    begin[6 - rank + d] = b;
    step[6 - rank + d] = s;
    count[6 - rank + d] = n;
  }
  ShaderDefines d;
  d.set("N_ITEMS", dst.numel());
  d.set("IN_STRIDE", in.constant() ? 0 : in.numel());
  if (dst.f16) d.flag("PAIRS");
  if (dst.numel() == 0) return;
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = per_element_grid(dst.numel(), dst.f16);
  disp.program = bc.program(d.header(disp.grid) + glsl_int_array("BEGIN", begin) + glsl_int_array("STEP", step) +
                                glsl_int_array("COUNT", count) + glsl_int_array("ISTRIDE", istride) +
                                glsl_load_buffer("x", 0, in.f16) + glsl_store_buffer("y", 1, dst.f16) +
                                kSliceGlsl + kPerElementMain,
                            "strided_slice");
  disp.bindings = {{0, operand_buffer(in, bc)}, {1, dst.buffer}};
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
