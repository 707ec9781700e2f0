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

// Needs: OC, buffer `p` (vec4) holding alpha at ALPHA_OFF when HAS_PRELU, buffer `r` (float)
// holding the residual when HAS_RES; `rb` is the residual's float index of channel g*4.
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
    if (g * 4 + j < OC) acc[j] += r[rb + j];
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
