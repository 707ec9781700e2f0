// PAD (zeros) on GL, rank <= 6: one invocation per output element; paddings are a constant
// int32 [rank, 2] operand (validated by the reference kernel's prepare()).
#include <string>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"

namespace fmn {
namespace gl {

namespace {
// Declarations (x, y) from glsl_load_buffer / glsl_store_buffer; main() is kPerElementMain.
const char* const kPadGlsl = R"(
float value(int s, int item) {
  int rem = item;
  int src = 0;
  int stride = 1;
  bool inside = true;
  for (int d = 5; d >= 0; --d) {
    int i = rem % OD[d] - BEFORE[d];
    rem /= OD[d];
    inside = inside && i >= 0 && i < ID[d];
    src += i * stride;
    stride *= ID[d];
  }
  return inside ? ld_x(s * IN_STRIDE + src) : 0.0;
}
)";
}  // namespace

void build_pad(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const GlTensor& in = node.inputs[0];
  const GlTensor& pads = node.inputs[1];
  const GlTensor& dst = node.outputs[0];
  const int rank = static_cast<int>(in.shape.size());
  if (rank > 6) throw GlUnsupportedError(node.op_name + ": rank above 6");
  std::vector<int64_t> od(6, 1), id(6, 1), before(6, 0);
  for (int i = 0; i < rank; ++i) {
    od[6 - rank + i] = dst.shape[i];
    id[6 - rank + i] = in.shape[i];
    before[6 - rank + i] = pads.i32()[2 * i];
  }
  ShaderDefines d;
  d.set("N_ITEMS", dst.numel());
  d.set("IN_STRIDE", in.constant() ? 0 : in.numel());
  if (dst.f16) d.flag("PAIRS");
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = per_element_grid(dst.numel(), dst.f16);
  disp.program = bc.program(d.header(disp.grid) + glsl_int_array("OD", od) + glsl_int_array("ID", id) +
                                glsl_int_array("BEFORE", before) + glsl_load_buffer("x", 0, in.f16) +
                                glsl_store_buffer("y", 1, dst.f16) + kPadGlsl + kPerElementMain,
                            "pad");
  disp.bindings = {{0, operand_buffer(in, bc)}, {1, dst.buffer}};
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
