// MAX_POOL_2D on GL: one invocation per output element; padded taps are skipped (as TFLite).
#include <string>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"
#include "ops/reference/reference_ops.h"

namespace fmn {
namespace gl {

namespace {
// Declarations (x, y) from glsl_load_buffer / glsl_store_buffer; main() is kPerElementMain.
const std::string kMaxPoolGlsl = R"(
float value(int b, int item) {
  int c = item % C;
  int pix = item / C;
  int oy = pix / OW;
  int ox = pix - oy * OW;
  int in_base = b * (IH * IW * C) + c;
  float m = -uintBitsToFloat(0x7f800000u);
  for (int ky = 0; ky < KH; ++ky) {
    int iy = oy * SH - PT + ky;
    if (iy < 0 || iy >= IH) continue;
    for (int kx = 0; kx < KW; ++kx) {
      int ix = ox * SW - PL + kx;
      if (ix < 0 || ix >= IW) continue;
      m = max(m, ld_x(in_base + (iy * IW + ix) * C));
    }
  }
)" + glsl_clamp_activation("m") + R"(  return m;
}
)";
}  // namespace

void build_max_pool2d(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const BuiltinOptions& o = node.op->options;
  const GlTensor& in = node.inputs[0];
  if (in.constant()) throw GlUnsupportedError(node.op_name + ": constant input is not supported on GL");
  if (in.shape[0] != 1)
    throw GlUnsupportedError(node.op_name + ": GL runs batch as a dispatch dimension; the model's own batch must be 1");
  const int ih = in.shape[1], iw = in.shape[2], c = in.shape[3];
  int pt = 0, pl = 0;
  const int oh = ref::conv_output_size(o.padding, ih, o.filter_h, o.stride_h, 1, &pt);
  const int ow = ref::conv_output_size(o.padding, iw, o.filter_w, o.stride_w, 1, &pl);
  ShaderDefines d;
  d.set("IH", ih); d.set("IW", iw); d.set("C", c);
  d.set("OH", oh); d.set("OW", ow);
  d.set("KH", o.filter_h); d.set("KW", o.filter_w);
  d.set("SH", o.stride_h); d.set("SW", o.stride_w);
  d.set("PT", pt); d.set("PL", pl);
  activation_defines(o.activation, &d);
  const GlTensor& dst = node.outputs[0];
  d.set("N_ITEMS", static_cast<int64_t>(oh) * ow * c);
  if (dst.f16) d.flag("PAIRS");
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = per_element_grid(static_cast<int64_t>(oh) * ow * c, dst.f16);
  disp.program = bc.program(d.header(disp.grid) + glsl_load_buffer("x", 0, in.f16) +
                                glsl_store_buffer("y", 1, dst.f16) + kMaxPoolGlsl + kPerElementMain,
                            "max_pool2d");
  disp.bindings = {{0, in.buffer}, {1, node.outputs[0].buffer}};
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
