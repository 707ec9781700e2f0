// MediaPipe's custom ops of face_landmark_with_attention.tflite, with the reference's
// arithmetic (ops/reference/custom_ops.cc; semantics in notes/custom_ops_semantics.md):
// Landmarks2TransformMatrix (one thread per sample), TransformTensorBilinear (one thread per
// output element), TransformLandmarks (one thread per landmark).
#include "ops/cuda/cuda_common.cuh"

namespace fmn {
namespace FMN_CUDA_NS {

// c = a * b, row-major 4x4, float accumulation over k ascending (as the reference).
FMN_DEVICE void custom_mat4_post_multiply(float* acc, const float* m) {
  float tmp[16];
  for (int r = 0; r < 4; ++r)
    for (int col = 0; col < 4; ++col) {
      float sum = 0.0f;
      for (int k = 0; k < 4; ++k) sum += acc[r * 4 + k] * m[k * 4 + col];
      tmp[r * 4 + col] = sum;
    }
  for (int i = 0; i < 16; ++i) acc[i] = tmp[i];
}

FMN_GLOBAL void landmarks_to_matrix_kernel(LandmarksToMatrixArgs a) {
  FMN_GRID_LOOP(n, a.samples) {
    const float* lm = a.in + n * a.num_landmarks * 3;
    const float* left = lm + 3 * a.left;
    const float* right = lm + 3 * a.right;
    const float rotation = a.target_rotation - atan2f(right[1] - left[1], right[0] - left[0]);
    const float c = cosf(rotation), s = sinf(rotation);
    float min_x = 0.0f, min_y = 0.0f, max_x = 0.0f, max_y = 0.0f;
    for (int i = 0; i < a.subset_count; ++i) {
      const float* q = lm + 3 * a.subset[i];
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
    const float crop_w = max_x - min_x, crop_h = max_y - min_y;
    const float mid_x = (min_x + max_x) / 2.0f, mid_y = (min_y + max_y) / 2.0f;
    const float inv = -rotation;
    const float ci = cosf(inv), si = sinf(inv);
    const float centre_x = ci * mid_x + (-si) * mid_y;
    const float centre_y = si * mid_x + ci * mid_y;
    const float scale_x = a.scale_x * crop_w / static_cast<float>(a.output_width);
    const float scale_y = a.scale_y * crop_h / static_cast<float>(a.output_height);
    const float half_w = static_cast<float>(-(a.output_width / 2.0));
    const float half_h = static_cast<float>(-(a.output_height / 2.0));
    const float shift_centre[16] = {1, 0, 0, centre_x, 0, 1, 0, centre_y, 0, 0, 1, 0, 0, 0, 0, 1};
    const float rotate[16] = {ci, -si, 0, 0, si, ci, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    const float scale[16] = {scale_x, 0, 0, 0, 0, scale_y, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    const float shift_patch[16] = {1, 0, 0, half_w, 0, 1, 0, half_h, 0, 0, 1, 0, 0, 0, 0, 1};
    float m[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    custom_mat4_post_multiply(m, shift_centre);
    custom_mat4_post_multiply(m, rotate);
    custom_mat4_post_multiply(m, scale);
    custom_mat4_post_multiply(m, shift_patch);
    for (int i = 0; i < 16; ++i) a.out[n * 16 + i] = m[i];
  }
}

FMN_DEVICE const float* custom_matrix_of(const MatrixRef& m, int64_t image) {
  const int64_t sample = image / m.images_per_sample;
  return m.mat + sample * m.mat_sample +
         (m.per_image ? (image - sample * m.images_per_sample) * 16 : 0);
}

FMN_GLOBAL void transform_tensor_kernel(TransformTensorArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int ch = static_cast<int>(i % a.c);
    const int64_t p = i / a.c;
    const int ox = static_cast<int>(p % a.ow);
    const int oy = static_cast<int>((p / a.ow) % a.oh);
    const int64_t img = p / (static_cast<int64_t>(a.ow) * a.oh);
    const float* mat = custom_matrix_of(a.m, img);
    const float ax = mat[0], bx = mat[1], ay = mat[4], by = mat[5];
    const float tx = static_cast<float>(mat[3] + (ax * 0.5 + bx * 0.5 - 0.5));
    const float ty = static_cast<float>(mat[7] + (ay * 0.5 + by * 0.5 - 0.5));
    const float fx = static_cast<float>(ox), fy = static_cast<float>(oy);
    const float sx = ax * fx + bx * fy + tx;
    const float sy = ay * fx + by * fy + ty;
    const float max_x = static_cast<float>(a.iw - 1), max_y = static_cast<float>(a.ih - 1);
    if (!(sx >= 0.0f && sx <= max_x && sy >= 0.0f && sy <= max_y)) {
      a.out[i] = 0.0f;
      continue;
    }
    const float x0f = floorf(sx), y0f = floorf(sy);
    const int x0 = static_cast<int>(x0f), y0 = static_cast<int>(y0f);
    const float wx = sx - x0f, wy = sy - y0f;
    const bool has_x1 = x0 + 1 < a.iw, has_y1 = y0 + 1 < a.ih;
    const float* row0 = a.in + (img * a.ih + y0) * a.iw * a.c;
    const float* row1 = row0 + static_cast<int64_t>(a.iw) * a.c;
    const float q00 = row0[static_cast<int64_t>(x0) * a.c + ch];
    const float q01 = has_x1 ? row0[static_cast<int64_t>(x0 + 1) * a.c + ch] : 0.0f;
    const float q10 = has_y1 ? row1[static_cast<int64_t>(x0) * a.c + ch] : 0.0f;
    const float q11 = has_x1 && has_y1 ? row1[static_cast<int64_t>(x0 + 1) * a.c + ch] : 0.0f;
    const float top = static_cast<float>((1.0 - wx) * q00 + wx * q01);
    const float bottom = static_cast<float>((1.0 - wx) * q10 + wx * q11);
    a.out[i] = static_cast<float>(wy * bottom + (1.0 - wy) * top);
  }
}

FMN_GLOBAL void transform_landmarks_kernel(TransformLandmarksArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int64_t img = i / a.num;
    const float* mat = custom_matrix_of(a.m, img);
    const float* p = a.in + i * a.dims;
    float* q = a.out + i * a.dims;
    const float x = p[0], y = p[1];
    const float z = a.dims == 3 ? p[2] : 0.0f;
    q[0] = mat[0] * x + mat[1] * y + mat[3];
    q[1] = mat[4] * x + mat[5] * y + mat[7];
    if (a.dims == 3) q[2] = z;
  }
}

void landmarks_to_transform_matrix(const LandmarksToMatrixArgs& a, Stream s) {
  if (a.samples == 0) return;
  FMN_LAUNCH(landmarks_to_matrix_kernel, grid_blocks(a.samples, 64), 64, s)(a);
}

void transform_tensor_bilinear(const TransformTensorArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.images) * a.oh * a.ow * a.c;
  if (count == 0) return;
  FMN_LAUNCH(transform_tensor_kernel, grid_blocks(count), kThreads, s)(a, count);
}

void transform_landmarks(const TransformLandmarksArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.images) * a.num;
  if (count == 0) return;
  FMN_LAUNCH(transform_landmarks_kernel, grid_blocks(count), kThreads, s)(a, count);
}

}  // namespace FMN_CUDA_NS
}  // namespace fmn
