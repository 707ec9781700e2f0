// Reference kernels for MediaPipe's Landmarks2TransformMatrix, TransformTensorBilinear and
// TransformLandmarks (version 2). Contracts: custom_ops.h and notes/custom_ops_semantics.md.
//
// Arithmetic is float, in the order MediaPipe's CPU kernels use, so that results agree with
// MediaPipe to the last bit or so; where MediaPipe mixes in double constants (the bilinear
// blend, the half-pixel fold) the same promotions are kept.
#include "ops/reference/custom_ops.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "model/flexbuffer.h"

namespace fmn {
namespace ref {
namespace {

// Row-major 4x4 product c = a * b, float accumulation over k ascending.
void mat4_mul(const float* a, const float* b, float* c) {
  for (int r = 0; r < 4; ++r) {
    for (int col = 0; col < 4; ++col) {
      float sum = 0.0f;
      for (int k = 0; k < 4; ++k) sum += a[r * 4 + k] * b[k * 4 + col];
      c[r * 4 + col] = sum;
    }
  }
}

// this = this * m, for a row-major 4x4 held in `acc`.
void mat4_post_multiply(float* acc, const float* m) {
  float tmp[16];
  mat4_mul(acc, m, tmp);
  for (int i = 0; i < 16; ++i) acc[i] = tmp[i];
}

}  // namespace

void landmarks_to_transform_matrix(const float* landmarks, const LandmarksToMatrixParams& p,
                                   float* matrix16) {
  const float* left = landmarks + 3 * p.left_rotation_idx;
  const float* right = landmarks + 3 * p.right_rotation_idx;
  // Angle that turns the left->right direction onto the target angle (y axis down).
  const float rotation =
      p.target_rotation_radians - std::atan2(right[1] - left[1], right[0] - left[0]);

  // Bounding box of the subset in the frame rotated by `rotation`.
  const float c = std::cos(rotation), s = std::sin(rotation);
  float min_x = 0.0f, min_y = 0.0f, max_x = 0.0f, max_y = 0.0f;
  for (size_t i = 0; i < p.subset_idxs.size(); ++i) {
    const float* q = landmarks + 3 * p.subset_idxs[i];
    const float rx = c * q[0] + (-s) * q[1];
    const float ry = s * q[0] + c * q[1];
    if (i == 0) {
      min_x = max_x = rx;
      min_y = max_y = ry;
      continue;
    }
    if (max_x < rx) max_x = rx;
    if (max_y < ry) max_y = ry;
    if (min_x > rx) min_x = rx;
    if (min_y > ry) min_y = ry;
  }
  const float crop_w = max_x - min_x;
  const float crop_h = max_y - min_y;
  const float mid_x = (min_x + max_x) / 2.0f;
  const float mid_y = (min_y + max_y) / 2.0f;

  // Crop centre back in the landmarks' frame: rotate by -rotation.
  const float inv = -rotation;
  const float ci = std::cos(inv), si = std::sin(inv);
  const float centre_x = ci * mid_x + (-si) * mid_y;
  const float centre_y = si * mid_x + ci * mid_y;

  // M = shift(centre) * rotate(-rotation) * scale(crop / patch) * shift(-patch / 2).
  const float scale_x = p.scale_x * crop_w / static_cast<float>(p.output_width);
  const float scale_y = p.scale_y * crop_h / static_cast<float>(p.output_height);
  const float half_w = static_cast<float>(-(p.output_width / 2.0));
  const float half_h = static_cast<float>(-(p.output_height / 2.0));
  // clang-format off
  const float shift_centre[16] = {1, 0, 0, centre_x,
                                  0, 1, 0, centre_y,
                                  0, 0, 1, 0,
                                  0, 0, 0, 1};
  const float rotate[16] = {ci, -si, 0, 0,
                            si,  ci, 0, 0,
                             0,   0, 1, 0,
                             0,   0, 0, 1};
  const float scale[16] = {scale_x, 0,       0, 0,
                           0,       scale_y, 0, 0,
                           0,       0,       1, 0,
                           0,       0,       0, 1};
  const float shift_patch[16] = {1, 0, 0, half_w,
                                 0, 1, 0, half_h,
                                 0, 0, 1, 0,
                                 0, 0, 0, 1};
  float m[16] = {1, 0, 0, 0,
                 0, 1, 0, 0,
                 0, 0, 1, 0,
                 0, 0, 0, 1};
  // clang-format on
  mat4_post_multiply(m, shift_centre);
  mat4_post_multiply(m, rotate);
  mat4_post_multiply(m, scale);
  mat4_post_multiply(m, shift_patch);
  for (int i = 0; i < 16; ++i) matrix16[i] = m[i];
}

void transform_tensor_bilinear(const float* in, int ih, int iw, int c, const float* matrix16,
                               float* out, int oh, int ow) {
  const float ax = matrix16[0], bx = matrix16[1];
  const float ay = matrix16[4], by = matrix16[5];
  // Pixel centres: sample point = M * (o + 0.5) - 0.5, folded into the translation.
  float tx = matrix16[3], ty = matrix16[7];
  tx = static_cast<float>(tx + (ax * 0.5 + bx * 0.5 - 0.5));
  ty = static_cast<float>(ty + (ay * 0.5 + by * 0.5 - 0.5));

  const float max_x = static_cast<float>(iw - 1), max_y = static_cast<float>(ih - 1);
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      const float fx = static_cast<float>(ox), fy = static_cast<float>(oy);
      const float sx = ax * fx + bx * fy + tx;
      const float sy = ay * fx + by * fy + ty;
      float* dst = out + (static_cast<int64_t>(oy) * ow + ox) * c;
      if (!(sx >= 0.0f && sx <= max_x && sy >= 0.0f && sy <= max_y)) {
        for (int ch = 0; ch < c; ++ch) dst[ch] = 0.0f;
        continue;
      }
      const float x0f = std::floor(sx), y0f = std::floor(sy);
      const int x0 = static_cast<int>(x0f), y0 = static_cast<int>(y0f);
      const float wx = sx - x0f, wy = sy - y0f;
      // The +1 neighbour exists unless the sample sits exactly on the last row/column,
      // where its weight is 0 and it reads as 0.
      const bool has_x1 = x0 + 1 < iw, has_y1 = y0 + 1 < ih;
      const float* row0 = in + static_cast<int64_t>(y0) * iw * c;
      const float* row1 = row0 + static_cast<int64_t>(iw) * c;
      for (int ch = 0; ch < c; ++ch) {
        const float q00 = row0[x0 * c + ch];
        const float q01 = has_x1 ? row0[(x0 + 1) * c + ch] : 0.0f;
        const float q10 = has_y1 ? row1[x0 * c + ch] : 0.0f;
        const float q11 = has_x1 && has_y1 ? row1[(x0 + 1) * c + ch] : 0.0f;
        const float top = static_cast<float>((1.0 - wx) * q00 + wx * q01);
        const float bottom = static_cast<float>((1.0 - wx) * q10 + wx * q11);
        dst[ch] = static_cast<float>(wy * bottom + (1.0 - wy) * top);
      }
    }
  }
}

void transform_landmarks(const float* in, int num, int dims, const float* matrix16, float* out) {
  const float ax = matrix16[0], bx = matrix16[1], tx = matrix16[3];
  const float ay = matrix16[4], by = matrix16[5], ty = matrix16[7];
  for (int i = 0; i < num; ++i) {
    const float* p = in + static_cast<int64_t>(i) * dims;
    float* q = out + static_cast<int64_t>(i) * dims;
    const float x = p[0], y = p[1];
    const float z = dims == 3 ? p[2] : 0.0f;
    q[0] = ax * x + bx * y + tx;
    q[1] = ay * x + by * y + ty;
    if (dims == 3) q[2] = z;
  }
}

}  // namespace ref

namespace {

[[noreturn]] void fail(const std::string& op, const std::string& what) {
  throw ModelError(op + ": " + what);
}

std::string shape_str(const std::vector<int32_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

// Common checks: operator present, version 2, operand counts, float32 operands.
void check_node(const OpContext& ctx, size_t n_in) {
  const std::string& op = ctx.op_name;
  if (ctx.op == nullptr) fail(op, "no operator definition");
  if (ctx.op->version != 2) {
    fail(op, "version " + std::to_string(ctx.op->version) +
                 " is not supported (only the version-2 semantics are implemented)");
  }
  if (ctx.inputs.size() != n_in) {
    fail(op, "expects " + std::to_string(n_in) + " inputs, got " +
                 std::to_string(ctx.inputs.size()));
  }
  if (ctx.outputs.size() != 1) {
    fail(op, "expects 1 output, got " + std::to_string(ctx.outputs.size()));
  }
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (ctx.inputs[i].type != TensorType::kFloat32) {
      fail(op, "input " + std::to_string(i) + " must be float32, is " +
                   tensor_type_name(ctx.inputs[i].type));
    }
  }
  if (ctx.outputs[0].type != TensorType::kFloat32) {
    fail(op, std::string("output must be float32, is ") + tensor_type_name(ctx.outputs[0].type));
  }
}

FlexMap parse_options(const OpContext& ctx) {
  const std::vector<uint8_t>& bytes = ctx.op->custom_options;
  if (bytes.empty()) fail(ctx.op_name, "custom options are missing");
  return parse_flexbuffer_map(bytes.data(), bytes.size());
}

const FlexValue& require(const std::string& op, const FlexMap& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end()) fail(op, std::string("option '") + key + "' is missing");
  return it->second;
}

int32_t int_option(const std::string& op, const FlexMap& m, const char* key) {
  const FlexValue& v = require(op, m, key);
  if (v.kind != FlexValue::Kind::kInt) fail(op, std::string("option '") + key + "' is not an int");
  if (v.i < INT32_MIN || v.i > INT32_MAX) {
    fail(op, std::string("option '") + key + "' is out of range");
  }
  return static_cast<int32_t>(v.i);
}

float float_option(const std::string& op, const FlexMap& m, const char* key) {
  const FlexValue& v = require(op, m, key);
  if (v.kind != FlexValue::Kind::kFloat && v.kind != FlexValue::Kind::kInt) {
    fail(op, std::string("option '") + key + "' is not a number");
  }
  const double d = v.as_float();
  if (!std::isfinite(d)) fail(op, std::string("option '") + key + "' is not finite");
  return static_cast<float>(d);
}

// A matrix operand [Nm, 4, 4] with Nm == 1 (shared by every batch element) or Nm == batch.
void check_matrix(const std::string& op, const TensorView& m, int batch) {
  if (m.rank() != 3 || m.dim(1) != 4 || m.dim(2) != 4 || (m.dim(0) != 1 && m.dim(0) != batch)) {
    fail(op, "matrix input must be [1,4,4] or [" + std::to_string(batch) + ",4,4], is " +
                 shape_str(m.shape));
  }
}

// Landmarks2TransformMatrix v2. in [N, L, 3] landmarks; out [N, 4, 4] patch-to-input matrix.
}  // namespace

namespace ref {

LandmarksToMatrixParams landmarks_to_matrix_params(const OpContext& ctx) {
  LandmarksToMatrixParams params;
  const std::string& op = ctx.op_name;
  check_node(ctx, 1);
  const TensorView& in = ctx.inputs[0];
  if (in.rank() != 3 || in.dim(0) < 1 || in.dim(1) < 1 || in.dim(2) != 3) {
    fail(op, "input must be [N,L,3] landmarks, is " + shape_str(in.shape));
  }
  const int batch = in.dim(0);
  const int num_landmarks = in.dim(1);
  const std::vector<int32_t> want = {batch, 4, 4};
  if (ctx.outputs[0].shape != want) {
    fail(op, "output must be " + shape_str(want) + ", is " + shape_str(ctx.outputs[0].shape));
  }

  const FlexMap m = parse_options(ctx);
  const FlexValue& subset = require(op, m, "subset_idxs");
  if (subset.kind != FlexValue::Kind::kVector) fail(op, "option 'subset_idxs' is not a vector");
  if (subset.numbers.empty()) fail(op, "option 'subset_idxs' is empty");
  params.subset_idxs.clear();
  for (double d : subset.numbers) {
    if (!(d >= 0 && d < num_landmarks) || d != std::floor(d)) {
      char text[32];
      std::snprintf(text, sizeof(text), "%g", d);
      fail(op, std::string("subset index ") + text + " is not a landmark index in [0, " +
                   std::to_string(num_landmarks) + ")");
    }
    params.subset_idxs.push_back(static_cast<int32_t>(d));
  }
  params.left_rotation_idx = int_option(op, m, "left_rotation_idx");
  params.right_rotation_idx = int_option(op, m, "right_rotation_idx");
  for (int32_t idx : {params.left_rotation_idx, params.right_rotation_idx}) {
    if (idx < 0 || idx >= num_landmarks) {
      fail(op, "rotation index " + std::to_string(idx) + " is not in [0, " +
                   std::to_string(num_landmarks) + ")");
    }
  }
  params.target_rotation_radians = 0.0f;
  if (m.count("target_rotation_radians")) {
    params.target_rotation_radians = float_option(op, m, "target_rotation_radians");
  }
  params.output_width = int_option(op, m, "output_width");
  params.output_height = int_option(op, m, "output_height");
  if (params.output_width <= 0 || params.output_height <= 0) {
    fail(op, "output_width/output_height must be positive");
  }
  params.scale_x = float_option(op, m, "scale_x");
  params.scale_y = float_option(op, m, "scale_y");
  if (!(params.scale_x > 0.0f) || !(params.scale_y > 0.0f)) {
    fail(op, "scale_x/scale_y must be positive");
  }
  return params;
}

}  // namespace ref

namespace {

class LandmarksToTransformMatrixKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    params_ = ref::landmarks_to_matrix_params(ctx);
    batch_ = ctx.inputs[0].dim(0);
    num_landmarks_ = ctx.inputs[0].dim(1);
    return 0;
  }

  void run(const NodeArgs& args, ThreadPool* /*pool*/) const override {
    const float* in = args.inputs[0].f32();
    float* out = args.outputs[0].f32();
    for (int n = 0; n < batch_; ++n) {
      ref::landmarks_to_transform_matrix(in + static_cast<int64_t>(n) * num_landmarks_ * 3,
                                         params_, out + n * 16);
    }
  }

  const char* impl_name() const override { return "reference"; }

 private:
  ref::LandmarksToMatrixParams params_;
  int batch_ = 0;
  int num_landmarks_ = 0;
};

// TransformTensorBilinear v2. in0 [N, H, W, C] features, in1 [1 or N, 4, 4] matrix;
// out [N, output_height, output_width, C].
class TransformTensorBilinearKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    const std::string& op = ctx.op_name;
    check_node(ctx, 2);
    const TensorView& in = ctx.inputs[0];
    if (in.rank() != 4 || in.dim(0) < 1 || in.dim(1) < 1 || in.dim(2) < 1 || in.dim(3) < 1) {
      fail(op, "input must be [N,H,W,C], is " + shape_str(in.shape));
    }
    batch_ = in.dim(0);
    ih_ = in.dim(1);
    iw_ = in.dim(2);
    c_ = in.dim(3);
    check_matrix(op, ctx.inputs[1], batch_);
    matrix_batch_ = ctx.inputs[1].dim(0);

    const FlexMap m = parse_options(ctx);
    oh_ = int_option(op, m, "output_height");
    ow_ = int_option(op, m, "output_width");
    if (oh_ <= 0 || ow_ <= 0) fail(op, "output_width/output_height must be positive");
    const std::vector<int32_t> want = {batch_, oh_, ow_, c_};
    if (ctx.outputs[0].shape != want) {
      fail(op, "output must be " + shape_str(want) + ", is " + shape_str(ctx.outputs[0].shape));
    }
    return 0;
  }

  void run(const NodeArgs& args, ThreadPool* /*pool*/) const override {
    const float* in = args.inputs[0].f32();
    const float* mat = args.inputs[1].f32();
    float* out = args.outputs[0].f32();
    const int64_t in_stride = static_cast<int64_t>(ih_) * iw_ * c_;
    const int64_t out_stride = static_cast<int64_t>(oh_) * ow_ * c_;
    for (int n = 0; n < batch_; ++n) {
      ref::transform_tensor_bilinear(in + n * in_stride, ih_, iw_, c_,
                                     mat + (matrix_batch_ == 1 ? 0 : n * 16),
                                     out + n * out_stride, oh_, ow_);
    }
  }

  const char* impl_name() const override { return "reference"; }

 private:
  int batch_ = 0, ih_ = 0, iw_ = 0, c_ = 0, oh_ = 0, ow_ = 0, matrix_batch_ = 1;
};

// TransformLandmarks v2. in0 [N, L, D] with D in {2, 3}, in1 [1 or N, 4, 4]; out [N, L, D].
// Its custom options, if any, carry nothing for version 2 and are ignored.
class TransformLandmarksKernel : public Kernel {
 public:
  size_t prepare(const OpContext& ctx) override {
    const std::string& op = ctx.op_name;
    check_node(ctx, 2);
    const TensorView& in = ctx.inputs[0];
    if (in.rank() != 3 || in.dim(0) < 1 || in.dim(1) < 1 || (in.dim(2) != 2 && in.dim(2) != 3)) {
      fail(op, "input must be [N,L,2] or [N,L,3] landmarks, is " + shape_str(in.shape));
    }
    batch_ = in.dim(0);
    num_ = in.dim(1);
    dims_ = in.dim(2);
    check_matrix(op, ctx.inputs[1], batch_);
    matrix_batch_ = ctx.inputs[1].dim(0);
    if (ctx.outputs[0].shape != in.shape) {
      fail(op, "output must be " + shape_str(in.shape) + ", is " +
                   shape_str(ctx.outputs[0].shape));
    }
    return 0;
  }

  void run(const NodeArgs& args, ThreadPool* /*pool*/) const override {
    const float* in = args.inputs[0].f32();
    const float* mat = args.inputs[1].f32();
    float* out = args.outputs[0].f32();
    const int64_t stride = static_cast<int64_t>(num_) * dims_;
    for (int n = 0; n < batch_; ++n) {
      ref::transform_landmarks(in + n * stride, num_, dims_,
                               mat + (matrix_batch_ == 1 ? 0 : n * 16), out + n * stride);
    }
  }

  const char* impl_name() const override { return "reference"; }

 private:
  int batch_ = 0, num_ = 0, dims_ = 0, matrix_batch_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> create_reference_custom_kernel(const OpContext& ctx) {
  if (ctx.op_name == "Landmarks2TransformMatrix") {
    return std::make_unique<LandmarksToTransformMatrixKernel>();
  }
  if (ctx.op_name == "TransformTensorBilinear") {
    return std::make_unique<TransformTensorBilinearKernel>();
  }
  if (ctx.op_name == "TransformLandmarks") return std::make_unique<TransformLandmarksKernel>();
  return nullptr;
}

}  // namespace fmn
