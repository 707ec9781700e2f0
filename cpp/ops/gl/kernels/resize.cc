// RESIZE_BILINEAR and DEPTH_TO_SPACE on GL (float32 NHWC, any model batch): one invocation per
// output element. RESIZE_BILINEAR follows TFLite's reference (ops/reference/reference_ops.h):
// the same float scale, source coordinate, clamped floor / ceil rows and weights; the output
// size is the constant operand the reference kernel's prepare() validated.
#include <string>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"

namespace fmn {
namespace gl {

namespace {
// Declarations (x, y) from glsl_load_buffer / glsl_store_buffer; main() is kPerElementMain.
const char* const kResizeBilinearGlsl = R"(
float value(int s, int item) {
  int c = item % CH;
  int p = item / CH;
  int ox = p % OW;
  p /= OW;
  int oy = p % OH;
  int b = p / OH;
#ifdef HALF_PIXEL
  float sy = (float(oy) + 0.5) * HS - 0.5;
  float sx = (float(ox) + 0.5) * WS - 0.5;
#else
  float sy = float(oy) * HS;
  float sx = float(ox) * WS;
#endif
  int y0 = max(int(floor(sy)), 0);
  int y1 = min(int(ceil(sy)), IH - 1);
  int x0 = max(int(floor(sx)), 0);
  int x1 = min(int(ceil(sx)), IW - 1);
  float dy = sy - float(y0);
  float dx = sx - float(x0);
  int base = s * IN_STRIDE + b * (IH * IW * CH) + c;
  float v00 = ld_x(base + (y0 * IW + x0) * CH);
  float v10 = ld_x(base + (y1 * IW + x0) * CH);
  float v01 = ld_x(base + (y0 * IW + x1) * CH);
  float v11 = ld_x(base + (y1 * IW + x1) * CH);
  return v00 * (1.0 - dy) * (1.0 - dx) + v10 * dy * (1.0 - dx) + v01 * (1.0 - dy) * dx + v11 * dy * dx;
}
)";

const char* const kDepthToSpaceGlsl = R"(
float value(int s, int item) {
  int d = item % CH;
  int p = item / CH;
  int ox = p % OW;
  p /= OW;
  int oy = p % OH;
  int b = p / OH;
  int src = ((b * IH + oy / BS) * IW + ox / BS) * (CH * BS * BS) + ((oy % BS) * BS + ox % BS) * CH + d;
  return ld_x(s * IN_STRIDE + src);
}
)";

void check_nhwc(const GlNode& node) {
  if (node.inputs[0].shape.size() != 4 || node.outputs[0].shape.size() != 4)
    throw GlUnsupportedError(node.op_name + ": GL needs 4-D NHWC tensors");
}

GlDispatch per_element_dispatch(const GlNode& node, GlBuildContext& bc, ShaderDefines d, const char* body,
                                const char* label) {
  const GlTensor& in = node.inputs[0];
  const GlTensor& dst = node.outputs[0];
  d.set("N_ITEMS", dst.numel());
  d.set("IN_STRIDE", in.constant() ? 0 : in.numel());
  if (dst.f16) d.flag("PAIRS");
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = per_element_grid(dst.numel(), dst.f16);
  disp.program = bc.program(d.header(disp.grid) + glsl_load_buffer("x", 0, in.f16) +
                                glsl_store_buffer("y", 1, dst.f16) + body + kPerElementMain,
                            label);
  disp.bindings = {{0, operand_buffer(in, bc)}, {1, dst.buffer}};
  return disp;
}

}  // namespace

void build_resize_bilinear(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  check_nhwc(node);
  const std::vector<int32_t>& is = node.inputs[0].shape;
  const std::vector<int32_t>& os = node.outputs[0].shape;
  const BuiltinOptions& o = node.op->options;
  float hs = static_cast<float>(is[1]) / static_cast<float>(os[1]);
  float ws = static_cast<float>(is[2]) / static_cast<float>(os[2]);
  if (o.align_corners && os[1] > 1) hs = static_cast<float>(is[1] - 1) / static_cast<float>(os[1] - 1);
  if (o.align_corners && os[2] > 1) ws = static_cast<float>(is[2] - 1) / static_cast<float>(os[2] - 1);
  ShaderDefines d;
  d.set("IH", is[1]);
  d.set("IW", is[2]);
  d.set("CH", is[3]);
  d.set("OH", os[1]);
  d.set("OW", os[2]);
  d.set_float("HS", hs);
  d.set_float("WS", ws);
  if (o.half_pixel_centers) d.flag("HALF_PIXEL");
  if (node.outputs[0].numel() == 0) return;
  out->push_back(per_element_dispatch(node, bc, d, kResizeBilinearGlsl, "resize_bilinear"));
}

void build_depth_to_space(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  check_nhwc(node);
  const std::vector<int32_t>& is = node.inputs[0].shape;
  const std::vector<int32_t>& os = node.outputs[0].shape;
  ShaderDefines d;
  d.set("IH", is[1]);
  d.set("IW", is[2]);
  d.set("CH", os[3]);
  d.set("OH", os[1]);
  d.set("OW", os[2]);
  d.set("BS", node.op->options.block_size);
  if (node.outputs[0].numel() == 0) return;
  out->push_back(per_element_dispatch(node, bc, d, kDepthToSpaceGlsl, "depth_to_space"));
}

}  // namespace gl
}  // namespace fmn
