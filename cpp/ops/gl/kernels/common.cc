// Helpers shared by the GL kernels: work grids, shader headers, constant operands, fused
// activations, and the conv family's geometry, parameter block, dispatch and epilogue.
// Contracts: gl_kernels.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"
#include "ops/reference/reference_ops.h"

namespace fmn {
namespace gl {

namespace {
constexpr int kLocalSize = 64;
constexpr int64_t kMaxGroupsX = 65535;
}  // namespace

GlGrid grid_for(int64_t count) {
  GlGrid g;
  const int64_t groups = std::max<int64_t>((count + kLocalSize - 1) / kLocalSize, 1);
  const int64_t gx = std::min(groups, kMaxGroupsX);
  const int64_t gy = (groups + gx - 1) / gx;
  if (gy > kMaxGroupsX) throw GlUnsupportedError("GL: a tensor has too many elements for one dispatch");
  g.groups_x = static_cast<GLuint>(gx);
  g.groups_y = static_cast<GLuint>(gy);
  g.row_stride = static_cast<int>(gx * kLocalSize);
  return g;
}

void ShaderDefines::set(const std::string& name, int64_t value) {
  if (value > std::numeric_limits<int32_t>::max() || value < std::numeric_limits<int32_t>::min())
    throw GlUnsupportedError("GL: shader constant " + name + " = " + std::to_string(value) +
                             " does not fit a 32-bit int");
  text_ += "#define " + name + " " + std::to_string(value) + "\n";
}

void ShaderDefines::set(const std::string& name, const std::string& text) {
  text_ += "#define " + name + " " + text + "\n";
}

void ShaderDefines::set_float(const std::string& name, float value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9e", static_cast<double>(value));
  text_ += "#define " + name + " " + buf + "\n";
}

void ShaderDefines::flag(const std::string& name) { text_ += "#define " + name + " 1\n"; }

std::string ShaderDefines::header(const GlGrid& grid) const {
  std::string s =
      "#version 310 es\n"
      "precision highp float;\n"
      "precision highp int;\n"
      "layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;\n";
  s += "#define ROW_STRIDE " + std::to_string(grid.row_stride) + "\n";
  s += text_;
  s +=
      "int item_index() { return int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * "
      "ROW_STRIDE; }\n"
      "int sample_index() { return int(gl_GlobalInvocationID.z); }\n";
  return s;
}

GLuint operand_buffer(const GlTensor& t, GlBuildContext& bc) {
  if (!t.constant()) return t.buffer;
  if (t.type != TensorType::kFloat32)
    throw GlUnsupportedError(std::string("GL: constant operand of type ") + tensor_type_name(t.type));
  return bc.constant_buffer(t.host, static_cast<size_t>(t.numel()) * sizeof(float));
}

std::string glsl_load_buffer(const std::string& var, int binding, bool f16) {
  const std::string b = std::to_string(binding);
  if (!f16)
    return "layout(std430, binding = " + b + ") readonly buffer B_" + var + " { float " + var + "[]; };\n" +
           "float ld_" + var + "(int e) { return " + var + "[e]; }\n";
  return "layout(std430, binding = " + b + ") readonly buffer B_" + var + " { uint " + var + "[]; };\n" +
         "float ld_" + var + "(int e) { return unpackHalf2x16(" + var + "[e >> 1])[e & 1]; }\n";
}

std::string glsl_store_buffer(const std::string& var, int binding, bool f16) {
  const std::string b = std::to_string(binding);
  if (!f16)
    return "layout(std430, binding = " + b + ") writeonly buffer B_" + var + " { float " + var + "[]; };\n" +
           "void st_" + var + "(int e, float v) { " + var + "[e] = v; }\n" +
           "void st2_" + var + "(int e, float a, float b) { " + var + "[e] = a; " + var + "[e + 1] = b; }\n";
  return "layout(std430, binding = " + b + ") buffer B_" + var + " { uint " + var + "[]; };\n" +
         "void st_" + var + "(int e, float v) {\n"
         "  uint sh = uint(e & 1) * 16u;\n"
         "  atomicAnd(" + var + "[e >> 1], ~(0xffffu << sh));\n"
         "  atomicOr(" + var + "[e >> 1], (packHalf2x16(vec2(v, 0.0)) & 0xffffu) << sh);\n"
         "}\n"
         "void st2_" + var + "(int e, float a, float b) {\n"
         "  if ((e & 1) == 0) {\n"
         "    " + var + "[e >> 1] = packHalf2x16(vec2(a, b));\n"
         "  } else {\n"
         "    st_" + var + "(e, a);\n"
         "    st_" + var + "(e + 1, b);\n"
         "  }\n"
         "}\n";
}

const char* const kPerElementMain = R"(
void main() {
  int s = sample_index();
#ifdef PAIRS
  int i0 = item_index() * 2;
  if (i0 >= N_ITEMS) return;
  float v0 = value(s, i0);
  if (i0 + 1 < N_ITEMS) {
    st2_y(s * N_ITEMS + i0, v0, value(s, i0 + 1));
  } else {
    st_y(s * N_ITEMS + i0, v0);
  }
#else
  int item = item_index();
  if (item >= N_ITEMS) return;
  st_y(s * N_ITEMS + item, value(s, item));
#endif
}
)";

GlGrid per_element_grid(int64_t items, bool pairs) { return grid_for(pairs ? (items + 1) / 2 : items); }

std::string glsl_int_array(const char* name, const std::vector<int64_t>& v) {
  const std::string n = std::to_string(v.size());
  std::string s = "const int " + std::string(name) + "[" + n + "] = int[" + n + "](";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ");\n";
}

void activation_defines(Activation act, ShaderDefines* d) {
  float lo, hi;
  activation_range(act, &lo, &hi);
  if (std::isfinite(lo)) d->set_float("ACT_LO", lo);
  if (std::isfinite(hi)) d->set_float("ACT_HI", hi);
}

std::string glsl_clamp_activation(const std::string& var) {
  return "#ifdef ACT_LO\n  " + var + " = max(" + var + ", ACT_LO);\n#endif\n"
         "#ifdef ACT_HI\n  " + var + " = min(" + var + ", ACT_HI);\n#endif\n";
}

uint16_t float_to_half(float v) {
  uint32_t x;
  std::memcpy(&x, &v, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520
  if (ax < 0x38800000u) {
    // Subnormal half (or zero): value = m * 2^-24, m rounded to nearest even.
    if (ax < 0x33000000u) return static_cast<uint16_t>(sign);  // below half the smallest subnormal
    const uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(ax >> 23);  // 14..24
    uint32_t m = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (m & 1u))) ++m;
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t h = ((ax >> 13) - (112u << 10));
  const uint32_t rem = ax & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  float v;
  if (e == 0) {
    v = std::ldexp(static_cast<float>(m), -24);
  } else if (e == 31) {
    v = m ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    v = std::ldexp(static_cast<float>(m | 0x400u), static_cast<int>(e) - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits |= sign;
  std::memcpy(&v, &bits, 4);
  return v;
}

void epilogue_defines(const GlNode& node, ShaderDefines* d) {
  activation_defines(node.op->options.activation, d);
  const Epilogue& e = node.epilogue;
  if (e.has_residual) {
    d->flag("HAS_RES");
    // A constant residual is one copy shared by every sample.
    d->set("RES_STRIDE", node.inputs.size() > 3 && node.inputs[3].constant() ? 0 : node.outputs[0].numel());
  }
  if (e.prelu_alpha) d->flag("HAS_PRELU");
  if (std::isfinite(e.post_lo)) d->set_float("POST_LO", e.post_lo);
  if (std::isfinite(e.post_hi)) d->set_float("POST_HI", e.post_hi);
}

// Needs: OC, buffer `p` (vec4) holding alpha at ALPHA_OFF when HAS_PRELU, `ld_r` reading the
// residual when HAS_RES (glsl_load_buffer); `rb` is the residual's element index of channel g*4.
const char* const kEpilogueGlsl = R"(
vec4 epilogue(vec4 acc, int g, int rb) {
#ifdef ACT_LO
  acc = max(acc, vec4(ACT_LO));
#endif
#ifdef ACT_HI
  acc = min(acc, vec4(ACT_HI));
#endif
#ifdef HAS_RES
  for (int j = 0; j < 4; ++j) {
    if (g * 4 + j < OC) acc[j] += ld_r(rb + j);
  }
#endif
#ifdef HAS_PRELU
  acc = mix(acc, acc * p[ALPHA_OFF + g], lessThan(acc, vec4(0.0)));
#endif
#ifdef POST_LO
  acc = max(acc, vec4(POST_LO));
#endif
#ifdef POST_HI
  acc = min(acc, vec4(POST_HI));
#endif
  return acc;
}
)";

ConvGeometry conv_geometry(const GlNode& node, int kh, int kw, int oc) {
  const BuiltinOptions& o = node.op->options;
  const GlTensor& in = node.inputs[0];
  if (in.constant()) throw GlUnsupportedError(node.op_name + ": constant input is not supported on GL");
  if (in.shape[0] != 1 || node.outputs[0].shape[0] != 1)
    throw GlUnsupportedError(node.op_name + ": GL runs batch as a dispatch dimension; the model's own batch must be 1");
  ConvGeometry g;
  g.ih = in.shape[1];
  g.iw = in.shape[2];
  g.ic = in.shape[3];
  g.kh = kh;
  g.kw = kw;
  g.oc = oc;
  g.oc4 = (oc + 3) / 4;
  g.oh = ref::conv_output_size(o.padding, g.ih, kh, o.stride_h, o.dilation_h, &g.pt);
  g.ow = ref::conv_output_size(o.padding, g.iw, kw, o.stride_w, o.dilation_w, &g.pl);
  return g;
}

std::vector<float> conv_parameters(const GlNode& node, const ConvGeometry& g, int64_t wcount) {
  std::vector<float> par(static_cast<size_t>((wcount + 2 * g.oc4) * 4), 0.f);
  if (node.inputs.size() > 2 && node.inputs[2].present) {
    const float* bias = node.inputs[2].f32();
    for (int co = 0; co < g.oc; ++co) par[static_cast<size_t>(wcount * 4 + co)] = bias[co];
  }
  if (node.epilogue.prelu_alpha)
    for (int co = 0; co < g.oc; ++co)
      par[static_cast<size_t>((wcount + g.oc4) * 4 + co)] = node.epilogue.prelu_alpha[co];
  return par;
}

namespace {

// The conv main(): kConvMainBegin + setup + kConvMainTaps + tap + kConvMainEnd.
const char* const kConvMainBegin = R"(
void main() {
  int item = item_index();
  if (item >= OH * OW * OC4) return;
  int b = sample_index();
  int pix = item % (OH * OW);
  int g = item / (OH * OW);
  int oy = pix / OW;
  int ox = pix - oy * OW;
  int in_base = b * (IH * IW * IC);
)";

const char* const kConvMainTaps = R"(  vec4 acc = vec4(0.0);
  for (int ky = 0; ky < KH; ++ky) {
    int iy = oy * SH - PT + ky * DH;
    if (iy < 0 || iy >= IH) continue;
    for (int kx = 0; kx < KW; ++kx) {
      int ix = ox * SW - PL + kx * DW;
      if (ix < 0 || ix >= IW) continue;
      int xo = in_base + (iy * IW + ix) * IC;
)";

const char* const kConvMainEnd = R"(    }
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

void append_conv_dispatch(const GlNode& node, GlBuildContext& bc, const ConvGeometry& g, ShaderDefines d,
                          const std::vector<float>& par, int64_t wcount, const char* setup, const char* tap,
                          const char* label, std::vector<GlDispatch>* out) {
  const GlTensor& in = node.inputs[0];
  const GlTensor& dst = node.outputs[0];
  const bool w16 = node.fp16_weights;
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
  const GlGrid grid = grid_for(static_cast<int64_t>(g.oh) * g.ow * g.oc4);
  GlDispatch disp;
  disp.label = node.op_name;
  disp.grid = grid;
  disp.program = bc.program(d.header(grid) + decl + kEpilogueGlsl + kConvMainBegin + setup + kConvMainTaps + tap +
                                kConvMainEnd,
                            label);
  if (w16) {
    std::vector<uint16_t> wh(static_cast<size_t>(wcount * 4));
    for (size_t i = 0; i < wh.size(); ++i) wh[i] = float_to_half(par[i]);
    disp.bindings = {{0, in.buffer},
                     {1, dst.buffer},
                     {2, bc.constant_buffer(par.data() + wcount * 4, static_cast<size_t>(2 * g.oc4 * 4) * sizeof(float))},
                     {4, bc.constant_buffer(wh.data(), wh.size() * sizeof(uint16_t))}};
  } else {
    disp.bindings = {{0, in.buffer}, {1, dst.buffer}, {2, bc.constant_buffer(par.data(), par.size() * sizeof(float))}};
  }
  if (node.epilogue.has_residual) disp.bindings.push_back({3, operand_buffer(node.inputs[3], bc)});
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
