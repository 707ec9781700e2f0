// Reference kernels for MediaPipe's custom TFLite operators used by
// face_landmark_with_attention.tflite, with the semantics of their version-2 registrations:
//   Landmarks2TransformMatrix (v2), TransformTensorBilinear (v2), TransformLandmarks (v2).
// The full contract, with coordinate conventions, is in notes/custom_ops_semantics.md.
//
// Coordinate frame shared by the three ops: a 4x4 row-major float matrix M maps a point
// (u, v) of a small output grid (the "patch", output_width x output_height) to the input
// frame: x = M[0]*u + M[1]*v + M[3], y = M[4]*u + M[5]*v + M[7]. Only rows 0 and 1 and
// columns 0, 1 and 3 are ever read; z is never transformed.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/kernel.h"

namespace fmn {

// Returns the reference kernel for a MediaPipe custom op ("Landmarks2TransformMatrix",
// "TransformTensorBilinear", "TransformLandmarks"), or nullptr when ctx.op_name is none of
// them. Only version 2 is supported: prepare() throws ModelError for any other version,
// for malformed options and for operand shapes it does not support.
std::unique_ptr<Kernel> create_reference_custom_kernel(const OpContext& ctx);

namespace ref {

// Landmarks2TransformMatrix v2 options (flexbuffer map keys of the same names).
struct LandmarksToMatrixParams {
  std::vector<int32_t> subset_idxs;  // landmarks whose rotated bounding box sizes the crop
  int32_t left_rotation_idx = 0;     // rotation is the angle of right - left, in the xy plane
  int32_t right_rotation_idx = 0;
  float target_rotation_radians = 0.0f;
  int32_t output_width = 0;          // patch size the matrix maps from
  int32_t output_height = 0;
  float scale_x = 1.0f;              // crop size = scale * rotated bounding box size
  float scale_y = 1.0f;
};

// Parses and checks a Landmarks2TransformMatrix node's options against its input [N, L, 3]
// (what the reference kernel's prepare() does); throws ModelError. For the GPU backends.
LandmarksToMatrixParams landmarks_to_matrix_params(const OpContext& ctx);

// landmarks: [num_landmarks, 3] (x, y, z) in the frame the matrix maps into (z ignored).
// Writes the 16 floats of the row-major patch-to-input matrix. Every index in params must be
// in [0, num_landmarks) and subset_idxs non-empty (checked by the kernel's prepare()).
void landmarks_to_transform_matrix(const float* landmarks, const LandmarksToMatrixParams& params,
                                   float* matrix16);

// in: [ih, iw, c] (one batch element, NHWC); out: [oh, ow, c]. Output pixel (ox, oy) samples
// the input at continuous point M * (ox + 0.5, oy + 0.5), i.e. at index coordinates
// (x - 0.5, y - 0.5) with bilinear weights; a sample whose index coordinates fall outside
// [0, iw - 1] x [0, ih - 1] (or are NaN) is 0 in every channel.
void transform_tensor_bilinear(const float* in, int ih, int iw, int c, const float* matrix16,
                               float* out, int oh, int ow);

// in/out: [num, dims] with dims 2 (x, y) or 3 (x, y, z). (x, y) -> M * (x, y); z is copied.
// in and out may alias.
void transform_landmarks(const float* in, int num, int dims, const float* matrix16, float* out);

}  // namespace ref
}  // namespace fmn
