// The blendshape model's input and output conventions (mediapipe/tasks/cc/vision/
// face_landmarker/face_blendshapes_graph.cc).
#pragma once

#include <array>

#include "util/geometry.h"

namespace fmn {

constexpr int kBlendshapeInputLandmarks = 146;
constexpr int kNumBlendshapes = 52;

// The 146 of the 478 landmarks the model reads, in its input order (iris points included).
extern const std::array<int, kBlendshapeInputLandmarks> kBlendshapeLandmarkIndices;
// Category names in the model's output order; index 0 "_neutral".
extern const std::array<const char*, kNumBlendshapes> kBlendshapeNames;

// Fills out[146 * 2] with the subset's (x * W, y * H): pixels of a W x H frame from landmarks
// normalised to it (z is not used). landmarks must hold 478 points.
void BlendshapeInput(const Landmark* landmarks, int image_w, int image_h, float* out);

}  // namespace fmn
