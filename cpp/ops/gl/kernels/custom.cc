// MediaPipe's custom ops on GL, version-2 semantics (notes/custom_ops_semantics.md;
// reference: ops/reference/custom_ops.{h,cc}), per sample:
//   Landmarks2TransformMatrix [1,L,3] -> [1,4,4]   one invocation per sample
//   TransformTensorBilinear [1,H,W,C] x [1,4,4] -> [1,oh,ow,C]   one per output element
//   TransformLandmarks [1,L,D] x [1,4,4] -> [1,L,D]   one per landmark
// The matrix is row-major, patch frame -> input frame; an activation matrix is per sample, a
// constant one shared. Arithmetic follows the reference's order in float; where the
// reference rounds a double expression once, GL rounds each float step (a few ulp apart).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "model/flexbuffer.h"
#include "ops/gl/kernels/gl_kernels.h"

namespace fmn {
namespace gl {

namespace {

const char* const kLandmarksToMatrixGlsl = R"(
layout(std430, binding = 0) readonly buffer In { float lm[]; };
layout(std430, binding = 1) writeonly buffer Out { float mo[]; };
float m[16];
float t[16];
float f[16];
void post_multiply() {
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      float sum = 0.0;
      for (int k = 0; k < 4; ++k) sum += m[r * 4 + k] * f[k * 4 + c];
      t[r * 4 + c] = sum;
    }
  }
  for (int i = 0; i < 16; ++i) m[i] = t[i];
}
void set_identity_f() {
  for (int i = 0; i < 16; ++i) f[i] = (i % 5 == 0) ? 1.0 : 0.0;
}
void main() {
  if (item_index() != 0) return;
  int s = sample_index();
  int base = s * (NUM_LANDMARKS * 3);
  float lx = lm[base + 3 * LEFT_IDX], ly = lm[base + 3 * LEFT_IDX + 1];
  float rx = lm[base + 3 * RIGHT_IDX], ry = lm[base + 3 * RIGHT_IDX + 1];
  float rotation = TARGET_ROTATION - atan(ry - ly, rx - lx);
  float c = cos(rotation), sn = sin(rotation);
  float min_x = 0.0, min_y = 0.0, max_x = 0.0, max_y = 0.0;
  for (int i = 0; i < NUM_SUBSET; ++i) {
    int q = base + 3 * SUBSET[i];
    float px = c * lm[q] + (-sn) * lm[q + 1];
    float py = sn * lm[q] + c * lm[q + 1];
    if (i == 0) {
      min_x = px; max_x = px; min_y = py; max_y = py;
    } else {
      if (max_x < px) max_x = px;
      if (max_y < py) max_y = py;
      if (min_x > px) min_x = px;
      if (min_y > py) min_y = py;
    }
  }
  float crop_w = max_x - min_x;
  float crop_h = max_y - min_y;
  float mid_x = (min_x + max_x) / 2.0;
  float mid_y = (min_y + max_y) / 2.0;
  float inv = -rotation;
  float ci = cos(inv), si = sin(inv);
  float centre_x = ci * mid_x + (-si) * mid_y;
  float centre_y = si * mid_x + ci * mid_y;
  float scale_x = SCALE_X * crop_w / float(OUT_W);
  float scale_y = SCALE_Y * crop_h / float(OUT_H);
  for (int i = 0; i < 16; ++i) m[i] = (i % 5 == 0) ? 1.0 : 0.0;
  set_identity_f(); f[3] = centre_x; f[7] = centre_y; post_multiply();
  set_identity_f(); f[0] = ci; f[1] = -si; f[4] = si; f[5] = ci; post_multiply();
  set_identity_f(); f[0] = scale_x; f[5] = scale_y; post_multiply();
  set_identity_f(); f[3] = HALF_W; f[7] = HALF_H; post_multiply();
  for (int i = 0; i < 16; ++i) mo[s * 16 + i] = m[i];
}
)";

// Declarations (x, y) from glsl_load_buffer / glsl_store_buffer (either precision); the
// matrix is fp32. main() is kPerElementMain.
const char* const kBilinearGlsl = R"(
layout(std430, binding = 1) readonly buffer Mat { float mat[]; };
float value(int s, int item) {
  int ch = item % C;
  int pix = item / C;
  int oy = pix / OW;
  int ox = pix - oy * OW;
  int mb = s * MAT_STRIDE;
  float ax = mat[mb + 0], bx = mat[mb + 1], tx = mat[mb + 3];
  float ay = mat[mb + 4], by = mat[mb + 5], ty = mat[mb + 7];
  tx = tx + (ax * 0.5 + bx * 0.5 - 0.5);
  ty = ty + (ay * 0.5 + by * 0.5 - 0.5);
  float sx = ax * float(ox) + bx * float(oy) + tx;
  float sy = ay * float(ox) + by * float(oy) + ty;
  float v = 0.0;
  if (sx >= 0.0 && sx <= float(IW - 1) && sy >= 0.0 && sy <= float(IH - 1)) {
    float x0f = floor(sx), y0f = floor(sy);
    int x0 = int(x0f), y0 = int(y0f);
    float wx = sx - x0f, wy = sy - y0f;
    bool has_x1 = x0 + 1 < IW, has_y1 = y0 + 1 < IH;
    int row0 = s * (IH * IW * C) + y0 * IW * C + ch;
    int row1 = row0 + IW * C;
    float q00 = ld_x(row0 + x0 * C);
    float q01 = has_x1 ? ld_x(row0 + (x0 + 1) * C) : 0.0;
    float q10 = has_y1 ? ld_x(row1 + x0 * C) : 0.0;
    float q11 = (has_x1 && has_y1) ? ld_x(row1 + (x0 + 1) * C) : 0.0;
    float top = (1.0 - wx) * q00 + wx * q01;
    float bottom = (1.0 - wx) * q10 + wx * q11;
    v = wy * bottom + (1.0 - wy) * top;
  }
  return v;
}
)";

const char* const kTransformLandmarksGlsl = R"(
layout(std430, binding = 0) readonly buffer In { float p[]; };
layout(std430, binding = 1) readonly buffer Mat { float mat[]; };
layout(std430, binding = 2) writeonly buffer Out { float q[]; };
void main() {
  int item = item_index();
  if (item >= NUM) return;
  int s = sample_index();
  int mb = s * MAT_STRIDE;
  int o = s * (NUM * DIMS) + item * DIMS;
  float x = p[o], yv = p[o + 1];
  q[o] = mat[mb + 0] * x + mat[mb + 1] * yv + mat[mb + 3];
  q[o + 1] = mat[mb + 4] * x + mat[mb + 5] * yv + mat[mb + 7];
#if DIMS == 3
  q[o + 2] = p[o + 2];
#endif
}
)";

const FlexValue& option(const GlNode& node, const FlexMap& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end()) throw GlUnsupportedError(node.op_name + ": option '" + key + "' is missing");
  return it->second;
}

FlexMap options_of(const GlNode& node) {
  const std::vector<uint8_t>& bytes = node.op->custom_options;
  if (bytes.empty()) throw GlUnsupportedError(node.op_name + ": custom options are missing");
  return parse_flexbuffer_map(bytes.data(), bytes.size());
}

void require_single(const GlNode& node, const GlTensor& t) {
  if (t.shape.empty() || t.shape[0] != 1)
    throw GlUnsupportedError(node.op_name + ": GL runs batch as a dispatch dimension; the model's own batch must be 1");
}

GLuint matrix_buffer(const GlNode& node, const GlTensor& m, GlBuildContext& bc, ShaderDefines* d) {
  if (m.shape.size() != 3 || m.shape[0] != 1 || m.shape[1] != 4 || m.shape[2] != 4)
    throw GlUnsupportedError(node.op_name + ": GL needs a [1,4,4] matrix");
  d->set("MAT_STRIDE", m.constant() ? 0 : 16);
  return operand_buffer(m, bc);
}

std::string float_text(float v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9e", static_cast<double>(v));
  return buf;
}

}  // namespace

void build_custom(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out) {
  const GlTensor& in = node.inputs[0];
  const GlTensor& dst = node.outputs[0];
  require_single(node, in);
  if (in.constant()) throw GlUnsupportedError(node.op_name + ": constant input is not supported on GL");
  ShaderDefines d;
  GlDispatch disp;
  disp.label = node.op_name;
  // Only TransformTensorBilinear's image and output may be stored as half floats; the
  // executor keeps landmarks and matrices in fp32 (pixel coordinates).
  const bool bilinear = node.op_name == "TransformTensorBilinear";
  for (size_t i = 0; i < node.inputs.size(); ++i)
    if (node.inputs[i].f16 && !(bilinear && i == 0))
      throw GlUnsupportedError(node.op_name + ": input " + std::to_string(i) + " must be fp32 storage");
  if (dst.f16 && !bilinear) throw GlUnsupportedError(node.op_name + ": output must be fp32 storage");
  if (node.op_name == "Landmarks2TransformMatrix") {
    const FlexMap m = options_of(node);
    const FlexValue& subset = option(node, m, "subset_idxs");
    std::string arr = "const int SUBSET[" + std::to_string(subset.numbers.size()) + "] = int[" +
                      std::to_string(subset.numbers.size()) + "](";
    for (size_t i = 0; i < subset.numbers.size(); ++i)
      arr += (i ? ", " : "") + std::to_string(static_cast<int>(subset.numbers[i]));
    arr += ");\n";
    const int ow = static_cast<int>(option(node, m, "output_width").i);
    const int oh = static_cast<int>(option(node, m, "output_height").i);
    d.set("NUM_LANDMARKS", in.shape[1]);
    d.set("NUM_SUBSET", static_cast<int64_t>(subset.numbers.size()));
    d.set("LEFT_IDX", option(node, m, "left_rotation_idx").i);
    d.set("RIGHT_IDX", option(node, m, "right_rotation_idx").i);
    const float target = m.count("target_rotation_radians")
                             ? static_cast<float>(m.at("target_rotation_radians").as_float())
                             : 0.0f;
    d.set("TARGET_ROTATION", float_text(target));
    d.set("SCALE_X", float_text(static_cast<float>(option(node, m, "scale_x").as_float())));
    d.set("SCALE_Y", float_text(static_cast<float>(option(node, m, "scale_y").as_float())));
    d.set("OUT_W", ow);
    d.set("OUT_H", oh);
    d.set("HALF_W", float_text(static_cast<float>(-(ow / 2.0))));
    d.set("HALF_H", float_text(static_cast<float>(-(oh / 2.0))));
    disp.grid = grid_for(1);
    disp.program = bc.program(d.header(disp.grid) + arr + kLandmarksToMatrixGlsl, "landmarks_to_transform_matrix");
    disp.bindings = {{0, in.buffer}, {1, dst.buffer}};
  } else if (node.op_name == "TransformTensorBilinear") {
    const int ih = in.shape[1], iw = in.shape[2], c = in.shape[3];
    const int oh = dst.shape[1], ow = dst.shape[2];
    d.set("IH", ih); d.set("IW", iw); d.set("C", c);
    d.set("OH", oh); d.set("OW", ow);
    const GLuint mat = matrix_buffer(node, node.inputs[1], bc, &d);
    d.set("N_ITEMS", static_cast<int64_t>(oh) * ow * c);
    if (dst.f16) d.flag("PAIRS");
    disp.grid = per_element_grid(static_cast<int64_t>(oh) * ow * c, dst.f16);
    disp.program = bc.program(d.header(disp.grid) + glsl_load_buffer("x", 0, in.f16) +
                                  glsl_store_buffer("y", 2, dst.f16) + kBilinearGlsl + kPerElementMain,
                              "transform_tensor_bilinear");
    disp.bindings = {{0, in.buffer}, {1, mat}, {2, dst.buffer}};
  } else if (node.op_name == "TransformLandmarks") {
    d.set("NUM", in.shape[1]);
    d.set("DIMS", in.shape[2]);
    const GLuint mat = matrix_buffer(node, node.inputs[1], bc, &d);
    disp.grid = grid_for(in.shape[1]);
    disp.program = bc.program(d.header(disp.grid) + kTransformLandmarksGlsl, "transform_landmarks");
    disp.bindings = {{0, in.buffer}, {1, mat}, {2, dst.buffer}};
  } else {
    throw GlUnsupportedError("GL: unsupported custom operator '" + node.op_name + "'");
  }
  out->push_back(std::move(disp));
}

}  // namespace gl
}  // namespace fmn
