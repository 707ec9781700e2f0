// CONV_2D on GL (any kernel size, stride, dilation, SAME/VALID), with the fused Epilogue.
// Each invocation computes 4 consecutive output channels of one output pixel.
// Weights are repacked at load as vec4 over output channels: p[((g * KH + ky) * KW + kx) * IC
// + ci] = filter[g*4 .. g*4+3][ky][kx][ci] (zero beyond OC), followed by the bias (OC4 vec4s at
// BIAS_OFF) and the PReLU alpha (OC4 vec4s at ALPHA_OFF).
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"
#include "ops/reference/reference_ops.h"

namespace fmn {
namespace gl {

namespace {

const char* const kConvGlsl = R"(
layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(std430, binding = 2) readonly buffer Par { vec4 p[]; };
#ifdef HAS_RES
layout(std430, binding = 3) readonly buffer Res { float r[]; };
#endif
)";

const char* const kConvMain = R"(
void main() {
  int item = item_index();
  if (item >= OH * OW * OC4) return;
  int b = sample_index();
  int pix = item % (OH * OW);
  int g = item / (OH * OW);
  int oy = pix / OW;
  int ox = pix - oy * OW;
  int in_base = b * (IH * IW * IC);
  int w_base = g * (KH * KW * IC);
  vec4 acc = vec4(0.0);
  for (int ky = 0; ky < KH; ++ky) {
    int iy = oy * SH - PT + ky * DH;
    if (iy < 0 || iy >= IH) continue;
    for (int kx = 0; kx < KW; ++kx) {
      int ix = ox * SW - PL + kx * DW;
      if (ix < 0 || ix >= IW) continue;
      int xo = in_base + (iy * IW + ix) * IC;
      int wo = w_base + (ky * KW + kx) * IC;
      for (int c = 0; c < IC; ++c) acc += x[xo + c] * p[wo + c];
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

void build_conv2d(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const BuiltinOptions& o = node.op->options;
  const GlTensor& in = node.inputs[0];
  const GlTensor& w = node.inputs[1];
  const GlTensor& dst = node.outputs[0];
  if (in.constant()) throw GlUnsupportedError(node.op_name + ": constant input is not supported on GL");
  const int ih = in.shape[1], iw = in.shape[2], ic = in.shape[3];
  const int oc = w.shape[0], kh = w.shape[1], kw = w.shape[2];
  int pt = 0, pl = 0;
  const int oh = ref::conv_output_size(o.padding, ih, kh, o.stride_h, o.dilation_h, &pt);
  const int ow = ref::conv_output_size(o.padding, iw, kw, o.stride_w, o.dilation_w, &pl);
  if (in.shape[0] != 1 || dst.shape[0] != 1)
    throw GlUnsupportedError(node.op_name + ": GL runs batch as a dispatch dimension; the model's own batch must be 1");
  const int oc4 = (oc + 3) / 4;

  // Packed parameters.
  const int64_t wcount = static_cast<int64_t>(oc4) * kh * kw * ic;
  std::vector<float> par(static_cast<size_t>((wcount + 2 * oc4) * 4), 0.f);
  const float* f = w.f32();
  for (int co = 0; co < oc; ++co)
    for (int ky = 0; ky < kh; ++ky)
      for (int kx = 0; kx < kw; ++kx)
        for (int ci = 0; ci < ic; ++ci) {
          const int64_t v = ((static_cast<int64_t>(co / 4) * kh + ky) * kw + kx) * ic + ci;
          par[static_cast<size_t>(v * 4 + co % 4)] = f[((static_cast<int64_t>(co) * kh + ky) * kw + kx) * ic + ci];
        }
  if (node.inputs.size() > 2 && node.inputs[2].present) {
    const float* bias = node.inputs[2].f32();
    for (int co = 0; co < oc; ++co) par[static_cast<size_t>(wcount * 4 + co)] = bias[co];
  }
  if (node.epilogue.prelu_alpha)
    for (int co = 0; co < oc; ++co)
      par[static_cast<size_t>((wcount + oc4) * 4 + co)] = node.epilogue.prelu_alpha[co];

  ShaderDefines d;
  d.set("IH", ih); d.set("IW", iw); d.set("IC", ic);
  d.set("OH", oh); d.set("OW", ow); d.set("OC", oc); d.set("OC4", oc4);
  d.set("KH", kh); d.set("KW", kw);
  d.set("SH", o.stride_h); d.set("SW", o.stride_w);
  d.set("DH", o.dilation_h); d.set("DW", o.dilation_w);
  d.set("PT", pt); d.set("PL", pl);
  if (!node.epilogue.has_residual) d.set("RES_STRIDE", 0);
  d.set("BIAS_OFF", wcount); d.set("ALPHA_OFF", wcount + oc4);
  epilogue_defines(node, &d);
  const GlGrid grid = grid_for(static_cast<int64_t>(oh) * ow * oc4);
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = grid;
  disp.program = bc.program(d.header(grid) + kConvGlsl + kEpilogueGlsl + kConvMain, "conv2d");
  disp.bindings = {{0, in.buffer}, {1, dst.buffer}, {2, bc.constant_buffer(par.data(), par.size() * sizeof(float))}};
  if (node.epilogue.has_residual) disp.bindings.push_back({3, operand_buffer(node.inputs[3], bc)});
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
