// Index maps of the attention mesh's refinement (data of
// mediapipe/modules/face_landmark/tensors_to_face_landmarks_with_attention.pbtxt): entry i of a
// map is the 478-point index written by point i of that model output.
#pragma once

namespace fmn {

extern const int kLipsRefinementIndices[80];
extern const int kLeftEyeRefinementIndices[71];
extern const int kRightEyeRefinementIndices[71];
extern const int kLeftIrisRefinementIndices[5];
extern const int kRightIrisRefinementIndices[5];
// The eye contour points (9 lower + 7 upper) whose mean z becomes each iris's z.
extern const int kLeftIrisZAverageIndices[16];
extern const int kRightIrisZAverageIndices[16];

}  // namespace fmn
