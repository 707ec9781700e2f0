// Helpers shared by the GL kernels: work grids, shader headers, constant operands, the conv
// epilogue. Contracts: gl_kernels.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/gl/kernels/gl_kernels.h"

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
  const BuiltinOptions& o = node.op->options;
  float lo, hi;
  activation_range(o.activation, &lo, &hi);
  if (std::isfinite(lo)) d->set_float("ACT_LO", lo);
  if (std::isfinite(hi)) d->set_float("ACT_HI", hi);
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

}  // namespace gl
}  // namespace fmn
