// CONCATENATION on GL: one dispatch per input, each copying its slab into the output (the
// slabs are disjoint, so the dispatches are independent), with the fused activation.
// For axis k: outer = prod(out.shape[:k]), an input's chunk = its dims[k:] product, the output
// row = out.shape[k:] product; input i lands at column offset sum of the previous chunks.
#include <string>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"

namespace fmn {
namespace gl {

namespace {
// Declarations (x, y) from glsl_load_buffer / glsl_store_buffer. With PAIRS (fp16 output)
// each invocation copies items 2i and 2i+1; they are one aligned word store only when they
// land next to each other on a word boundary (otherwise per-half atomic stores).
const std::string kConcatGlsl = R"(
int dst_index(int s, int item) {
  int o = item / CHUNK;
  int k = item - o * CHUNK;
  return s * N_OUT + o * OUT_ROW + OFFSET + k;
}
float value(int s, int item) {
  float v = ld_x(s * IN_STRIDE + item);
)" + glsl_clamp_activation("v") + R"(  return v;
}
void main() {
  int s = sample_index();
#ifdef PAIRS
  int i0 = item_index() * 2;
  if (i0 >= OUTER * CHUNK) return;
  int e0 = dst_index(s, i0);
  float v0 = value(s, i0);
  if (i0 + 1 < OUTER * CHUNK) {
    int e1 = dst_index(s, i0 + 1);
    float v1 = value(s, i0 + 1);
    if (e1 == e0 + 1) {
      st2_y(e0, v0, v1);
    } else {
      st_y(e0, v0);
      st_y(e1, v1);
    }
  } else {
    st_y(e0, v0);
  }
#else
  int item = item_index();
  if (item >= OUTER * CHUNK) return;
  st_y(dst_index(s, item), value(s, item));
#endif
}
)";
}  // namespace

void build_concatenation(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const GlTensor& dst = node.outputs[0];
  const int rank = static_cast<int>(dst.shape.size());
  int axis = node.op->options.axis;
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= dst.shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= dst.shape[d];
  const int64_t out_row = dst.shape[axis] * inner;
  int64_t offset = 0;
  for (const GlTensor& t : node.inputs) {
    const int64_t chunk = t.shape[axis] * inner;
    ShaderDefines d;
    d.set("OUTER", outer);
    d.set("CHUNK", chunk);
    d.set("OUT_ROW", out_row);
    d.set("OFFSET", offset);
    d.set("N_OUT", dst.numel());
    d.set("IN_STRIDE", t.constant() ? 0 : t.numel());
    activation_defines(node.op->options.activation, &d);
    if (dst.f16) d.flag("PAIRS");
    offset += chunk;
    if (chunk == 0) continue;
    GlDispatch disp;
    disp.label = node.op_name;
    disp.grid = per_element_grid(outer * chunk, dst.f16);
    disp.program = bc.program(d.header(disp.grid) + glsl_load_buffer("x", 0, t.f16) +
                                  glsl_store_buffer("y", 1, dst.f16) + kConcatGlsl,
                              "concatenation");
    disp.bindings = {{0, operand_buffer(t, bc)}, {1, dst.buffer}};
    out->push_back(std::move(disp));
  }
}

}  // namespace gl
}  // namespace fmn
