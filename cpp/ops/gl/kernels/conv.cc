// CONV_2D on GL (any kernel size, stride, dilation, SAME/VALID), with the fused Epilogue.
// Each invocation computes 4 consecutive output channels of one output pixel.
// Weights are repacked at load as vec4 over output channels: p[((g * KH + ky) * KW + kx) * IC
// + ci] = filter[g*4 .. g*4+3][ky][kx][ci] (zero beyond OC), followed by the bias (OC4 vec4s at
// BIAS_OFF) and the PReLU alpha (OC4 vec4s at ALPHA_OFF).
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
const char* const kConvSetup = "  int w_base = g * (KH * KW * IC);\n";
const char* const kConvTap = R"(      int wo = w_base + (ky * KW + kx) * IC;
#ifdef X_PAIRS
      for (int c = 0; c < IC; c += 2) {
        vec2 v = unpackHalf2x16(x[(xo + c) >> 1]);
        acc += v.x * WT(wo + c);
        acc += v.y * WT(wo + c + 1);
      }
#else
      for (int c = 0; c < IC; ++c) acc += ld_x(xo + c) * WT(wo + c);
#endif
)";

}  // namespace

void build_conv2d(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const BuiltinOptions& o = node.op->options;
  const GlTensor& w = node.inputs[1];
  const ConvGeometry g = conv_geometry(node, w.shape[1], w.shape[2], w.shape[0]);
  const int ic = g.ic, oc = g.oc, kh = g.kh, kw = g.kw;

  const int64_t wcount = static_cast<int64_t>(g.oc4) * kh * kw * ic;
  std::vector<float> par = conv_parameters(node, g, wcount);
  const float* f = w.f32();
  for (int co = 0; co < oc; ++co)
    for (int ky = 0; ky < kh; ++ky)
      for (int kx = 0; kx < kw; ++kx)
        for (int ci = 0; ci < ic; ++ci) {
          const int64_t v = ((static_cast<int64_t>(co / 4) * kh + ky) * kw + kx) * ic + ci;
          par[static_cast<size_t>(v * 4 + co % 4)] = f[((static_cast<int64_t>(co) * kh + ky) * kw + kx) * ic + ci];
        }

  ShaderDefines d;
  d.set("IH", g.ih); d.set("IW", g.iw); d.set("IC", ic);
  d.set("OH", g.oh); d.set("OW", g.ow); d.set("OC", oc); d.set("OC4", g.oc4);
  d.set("KH", kh); d.set("KW", kw);
  d.set("SH", o.stride_h); d.set("SW", o.stride_w);
  d.set("DH", o.dilation_h); d.set("DW", o.dilation_w);
  d.set("PT", g.pt); d.set("PL", g.pl);
  if (!node.epilogue.has_residual) d.set("RES_STRIDE", 0);
  const bool w16 = node.fp16_weights;
  d.set("BIAS_OFF", w16 ? 0 : wcount); d.set("ALPHA_OFF", w16 ? g.oc4 : wcount + g.oc4);
  if (node.inputs[0].f16 && ic % 2 == 0) d.flag("X_PAIRS");
  append_conv_dispatch(node, bc, g, std::move(d), par, wcount, kConvSetup, kConvTap, "conv2d", out);
}

}  // namespace gl
}  // namespace fmn
