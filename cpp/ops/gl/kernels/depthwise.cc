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

namespace fmn {
namespace gl {

namespace {

// The per-pixel parts of the shared conv main() (append_conv_dispatch).
const char* const kDepthwiseSetup = "  ivec4 ci = min(ivec4(g * 4) + ivec4(0, 1, 2, 3), ivec4(OC - 1)) / DM;\n";
const char* const kDepthwiseTap = R"(#ifdef X_VEC4
      int xw = (xo + g * 4) >> 1;
      vec4 v = vec4(unpackHalf2x16(x[xw]), unpackHalf2x16(x[xw + 1]));
#else
      vec4 v = vec4(ld_x(xo + ci.x), ld_x(xo + ci.y), ld_x(xo + ci.z), ld_x(xo + ci.w));
#endif
      acc += v * WT((ky * KW + kx) * OC4 + g);
)";

}  // namespace

void build_depthwise_conv2d(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const BuiltinOptions& o = node.op->options;
  const GlTensor& w = node.inputs[1];
  const ConvGeometry g = conv_geometry(node, w.shape[1], w.shape[2], w.shape[3]);
  const int oc = g.oc, kh = g.kh, kw = g.kw, oc4 = g.oc4;
  const int dm = oc / g.ic;

  const int64_t wcount = static_cast<int64_t>(kh) * kw * oc4;
  std::vector<float> par = conv_parameters(node, g, wcount);
  const float* f = w.f32();
  for (int k = 0; k < kh * kw; ++k)
    for (int co = 0; co < oc; ++co)
      par[static_cast<size_t>((static_cast<int64_t>(k) * oc4 + co / 4) * 4 + co % 4)] =
          f[static_cast<int64_t>(k) * oc + co];

  ShaderDefines d;
  d.set("IH", g.ih); d.set("IW", g.iw); d.set("IC", g.ic);
  d.set("OH", g.oh); d.set("OW", g.ow); d.set("OC", oc); d.set("OC4", oc4); d.set("DM", dm);
  d.set("KH", kh); d.set("KW", kw);
  d.set("SH", o.stride_h); d.set("SW", o.stride_w);
  d.set("DH", o.dilation_h); d.set("DW", o.dilation_w);
  d.set("PT", g.pt); d.set("PL", g.pl);
  const bool w16 = node.fp16_weights;
  d.set("BIAS_OFF", w16 ? 0 : wcount); d.set("ALPHA_OFF", w16 ? oc4 : wcount + oc4);
  if (!node.epilogue.has_residual) d.set("RES_STRIDE", 0);
  // Channels g*4..g*4+3 are contiguous and start on a word: read as two words.
  if (node.inputs[0].f16 && dm == 1 && oc % 4 == 0) d.flag("X_VEC4");
  append_conv_dispatch(node, bc, g, std::move(d), par, wcount, kDepthwiseSetup, kDepthwiseTap, "depthwise_conv2d",
                       out);
}

}  // namespace gl
}  // namespace fmn
