// DEPTHWISE_CONV_2D on GL (any kernel size, stride, dilation, depth multiplier, SAME/VALID),
// with the fused Epilogue. Each invocation computes 4 consecutive output channels of one
// output pixel; output channel co reads input channel co / DM.
// Parameters at load: p[(ky * KW + kx) * OC4 + g] = filter[0][ky][kx][g*4 .. g*4+3] (zero
// beyond OC), then the bias (OC4 vec4s at BIAS_OFF) and the PReLU alpha (at ALPHA_OFF).
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"
#include "ops/reference/reference_ops.h"

namespace fmn {
namespace gl {

namespace {

const char* const kDepthwiseGlsl = R"(
layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(std430, binding = 2) readonly buffer Par { vec4 p[]; };
#ifdef HAS_RES
layout(std430, binding = 3) readonly buffer Res { float r[]; };
#endif
)";

const char* const kDepthwiseMain = R"(
void main() {
  int item = item_index();
  if (item >= OH * OW * OC4) return;
  int b = sample_index();
  int pix = item % (OH * OW);
  int g = item / (OH * OW);
  int oy = pix / OW;
  int ox = pix - oy * OW;
  int in_base = b * (IH * IW * IC);
  ivec4 ci = min(ivec4(g * 4) + ivec4(0, 1, 2, 3), ivec4(OC - 1)) / DM;
  vec4 acc = vec4(0.0);
  for (int ky = 0; ky < KH; ++ky) {
    int iy = oy * SH - PT + ky * DH;
    if (iy < 0 || iy >= IH) continue;
    for (int kx = 0; kx < KW; ++kx) {
      int ix = ox * SW - PL + kx * DW;
      if (ix < 0 || ix >= IW) continue;
      int xo = in_base + (iy * IW + ix) * IC;
      vec4 v = vec4(x[xo + ci.x], x[xo + ci.y], x[xo + ci.z], x[xo + ci.w]);
      acc += v * p[(ky * KW + kx) * OC4 + g];
    }
  }
  acc += p[BIAS_OFF + g];
  int ob = (b * OH * OW + pix) * OC + g * 4;
  acc = epilogue(acc, g, b * RES_STRIDE + pix * OC + g * 4);
  for (int j = 0; j < 4; ++j) {
    if (g * 4 + j < OC) y[ob + j] = acc[j];
  }
}
)";

}  // namespace

void build_depthwise_conv2d(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const BuiltinOptions& o = node.op->options;
  const GlTensor& in = node.inputs[0];
  const GlTensor& w = node.inputs[1];
  const GlTensor& dst = node.outputs[0];
  if (in.constant()) throw GlUnsupportedError(node.op_name + ": constant input is not supported on GL");
  if (in.shape[0] != 1 || dst.shape[0] != 1)
    throw GlUnsupportedError(node.op_name + ": GL runs batch as a dispatch dimension; the model's own batch must be 1");
  const int ih = in.shape[1], iw = in.shape[2], ic = in.shape[3];
  const int kh = w.shape[1], kw = w.shape[2], oc = w.shape[3];
  const int dm = oc / ic;
  int pt = 0, pl = 0;
  const int oh = ref::conv_output_size(o.padding, ih, kh, o.stride_h, o.dilation_h, &pt);
  const int ow = ref::conv_output_size(o.padding, iw, kw, o.stride_w, o.dilation_w, &pl);
  const int oc4 = (oc + 3) / 4;

  const int64_t wcount = static_cast<int64_t>(kh) * kw * oc4;
  std::vector<float> par(static_cast<size_t>((wcount + 2 * oc4) * 4), 0.f);
  const float* f = w.f32();
  for (int k = 0; k < kh * kw; ++k)
    for (int co = 0; co < oc; ++co)
      par[static_cast<size_t>((static_cast<int64_t>(k) * oc4 + co / 4) * 4 + co % 4)] =
          f[static_cast<int64_t>(k) * oc + co];
  if (node.inputs.size() > 2 && node.inputs[2].present) {
    const float* bias = node.inputs[2].f32();
    for (int co = 0; co < oc; ++co) par[static_cast<size_t>(wcount * 4 + co)] = bias[co];
  }
  if (node.epilogue.prelu_alpha)
    for (int co = 0; co < oc; ++co)
      par[static_cast<size_t>((wcount + oc4) * 4 + co)] = node.epilogue.prelu_alpha[co];

  ShaderDefines d;
  d.set("IH", ih); d.set("IW", iw); d.set("IC", ic);
  d.set("OH", oh); d.set("OW", ow); d.set("OC", oc); d.set("OC4", oc4); d.set("DM", dm);
  d.set("KH", kh); d.set("KW", kw);
  d.set("SH", o.stride_h); d.set("SW", o.stride_w);
  d.set("DH", o.dilation_h); d.set("DW", o.dilation_w);
  d.set("PT", pt); d.set("PL", pl);
  d.set("BIAS_OFF", wcount); d.set("ALPHA_OFF", wcount + oc4);
  if (!node.epilogue.has_residual) d.set("RES_STRIDE", 0);
  epilogue_defines(node, &d);
  const GlGrid grid = grid_for(static_cast<int64_t>(oh) * ow * oc4);
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = grid;
  disp.program = bc.program(d.header(grid) + kDepthwiseGlsl + kEpilogueGlsl + kDepthwiseMain,
                            "depthwise_conv2d");
  disp.bindings = {{0, in.buffer}, {1, dst.buffer}, {2, bc.constant_buffer(par.data(), par.size() * sizeof(float))}};
  if (node.epilogue.has_residual) disp.bindings.push_back({3, operand_buffer(node.inputs[3], bc)});
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
