// DEPTHWISE_CONV_2D on GL (any kernel size, stride, dilation, depth multiplier, SAME/VALID),
// with the fused Epilogue. Each invocation computes 4 consecutive output channels of one
// output pixel; output channel co reads input channel co / DM.
// Parameters at load: p[(ky * KW + kx) * OC4 + g] = filter[0][ky][kx][g*4 .. g*4+3] (zero
// beyond OC), then the bias (OC4 vec4s at BIAS_OFF) and the PReLU alpha (at ALPHA_OFF).
// With fp16 weights the filter part is a separate buffer `wq` of uvec2 (4 halves, the same
// order) and `p` holds only the bias (BIAS_OFF 0) and alpha (ALPHA_OFF OC4) in fp32.
// Activations are read and written in their storage precision (gl_kernels.h).
#include <cstdint>
#include <string>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"
#include "ops/reference/reference_ops.h"

namespace fmn {
namespace gl {

namespace {

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
#ifdef X_VEC4
      int xw = (xo + g * 4) >> 1;
      vec4 v = vec4(unpackHalf2x16(x[xw]), unpackHalf2x16(x[xw + 1]));
#else
      vec4 v = vec4(ld_x(xo + ci.x), ld_x(xo + ci.y), ld_x(xo + ci.z), ld_x(xo + ci.w));
#endif
      acc += v * WT((ky * KW + kx) * OC4 + g);
    }
  }
  acc += p[BIAS_OFF + g];
  int ob = (b * OH * OW + pix) * OC + g * 4;
  acc = epilogue(acc, g, b * RES_STRIDE + pix * OC + g * 4);
  if (g * 4 + 1 < OC) {
    st2_y(ob, acc[0], acc[1]);
  } else {
    st_y(ob, acc[0]);
  }
  if (g * 4 + 3 < OC) {
    st2_y(ob + 2, acc[2], acc[3]);
  } else if (g * 4 + 2 < OC) {
    st_y(ob + 2, acc[2]);
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
  const bool w16 = node.fp16_weights;
  d.set("BIAS_OFF", w16 ? 0 : wcount); d.set("ALPHA_OFF", w16 ? oc4 : wcount + oc4);
  if (!node.epilogue.has_residual) d.set("RES_STRIDE", 0);
  // Channels g*4..g*4+3 are contiguous and start on a word: read as two words.
  if (in.f16 && dm == 1 && oc % 4 == 0) d.flag("X_VEC4");
  epilogue_defines(node, &d);
  std::string decl = glsl_load_buffer("x", 0, in.f16) + glsl_store_buffer("y", 1, dst.f16) +
                     "layout(std430, binding = 2) readonly buffer Par { vec4 p[]; };\n";
  if (w16)
    decl += "layout(std430, binding = 4) readonly buffer Wt { uvec2 wq[]; };\n"
            "vec4 wt(int i) { uvec2 u = wq[i]; return vec4(unpackHalf2x16(u.x), unpackHalf2x16(u.y)); }\n"
            "#define WT(i) wt(i)\n";
  else
    decl += "#define WT(i) p[i]\n";
  if (node.epilogue.has_residual) decl += glsl_load_buffer("r", 3, node.inputs[3].f16);
  const GlGrid grid = grid_for(static_cast<int64_t>(oh) * ow * oc4);
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = grid;
  disp.program = bc.program(d.header(grid) + decl + kEpilogueGlsl + kDepthwiseMain, "depthwise_conv2d");
  if (w16) {
    std::vector<uint16_t> wh(static_cast<size_t>(wcount * 4));
    for (size_t i = 0; i < wh.size(); ++i) wh[i] = float_to_half(par[i]);
    disp.bindings = {{0, in.buffer},
                     {1, dst.buffer},
                     {2, bc.constant_buffer(par.data() + wcount * 4, static_cast<size_t>(2 * oc4 * 4) * sizeof(float))},
                     {4, bc.constant_buffer(wh.data(), wh.size() * sizeof(uint16_t))}};
  } else {
    disp.bindings = {{0, in.buffer}, {1, dst.buffer}, {2, bc.constant_buffer(par.data(), par.size() * sizeof(float))}};
  }
  if (node.epilogue.has_residual) disp.bindings.push_back({3, operand_buffer(node.inputs[3], bc)});
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
