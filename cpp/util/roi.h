// Region-of-interest geometry of the FaceMesh pipeline: letterboxing for the detector, crop
// matrices, projection of detections and landmarks back to the image, ROIs from detections
// and from landmarks, association of ROIs across frames, and the 478-point refinement merge.
// Each function follows the named MediaPipe calculator, float for float where it matters.
#pragma once

#include <array>
#include <vector>

#include "util/geometry.h"

namespace fmn {

// ---------------------------------------------------------------- image to tensor

// The ROI in image pixels for an image of image_w x image_h: the whole image (centre, full
// size, rotation 0) when roi is null, else the normalised rect scaled by the image size
// (image_to_tensor_utils GetRoi).
RotatedRect ImageRoiPixels(int image_w, int image_h, const NormalizedRect* roi);

// keep_aspect_ratio letterboxing (image_to_tensor_utils PadRoi): grows roi (pixels) in place
// along one axis so that its aspect ratio equals tensor_h/tensor_w, and returns the padding
// {left, top, right, bottom} as fractions of the padded tensor. With keep_aspect_ratio false
// the ROI is unchanged and the padding is zero. For the 128x128 detector and the whole image
// this is the centred square of the long side. Throws std::invalid_argument on a non-positive
// tensor or ROI size.
std::array<float, 4> PadRoi(int tensor_w, int tensor_h, bool keep_aspect_ratio, RotatedRect* roi);

// Row-major 4x4 matrix mapping a point in the normalised tensor frame ([0,1] over the crop of
// sub_rect, pixels of an image_w x image_h image) to the normalised image frame
// (GetRotatedSubRectToRectTransformMatrix). z is scaled by sub_rect.width / image_w. This is the
// MATRIX ImageToTensorCalculator emits and DetectionProjectionCalculator consumes.
std::array<float, 16> RoiToImageMatrix(const RotatedRect& sub_rect, int image_w, int image_h,
                                       bool flip_horizontally = false);

// The crop itself (the exact matrix from tensor pixels to source pixels, and the sampling) is
// util/image_to_tensor.h: CropSamplingMatrix, crop_to_tensor.

// ---------------------------------------------------------------- detections

// Maps each detection's keypoints and four box corners through the 4x4 matrix m (only its
// x/y rows are used) and replaces the box with the corners' axis-aligned bounds
// (DetectionProjectionCalculator). With m = RoiToImageMatrix(letterboxed ROI) this takes
// detections from the normalised tensor frame to the normalised image frame.
void ProjectDetections(const std::array<float, 16>& m, std::vector<Detection>* detections);

// Options of RectTransformationCalculator for a NormalizedRect (no extra rotation).
struct RectTransformOptions {
  float scale_x = 1.0f;
  float scale_y = 1.0f;
  float shift_x = 0.0f;
  float shift_y = 0.0f;
  bool square_long = false;
  bool square_short = false;
};

// RectTransformationCalculator on a normalised rect: shift (rotated with the rect, in pixels),
// then square_long / square_short measured in pixels (long = max(w*W, h*H); w = long/W,
// h = long/H), then scale. The rotation passes through unchanged.
NormalizedRect TransformNormalizedRect(const NormalizedRect& rect, int image_w, int image_h,
                                       const RectTransformOptions& options);

// DetectionsToRectsCalculator (NORM_RECT) for one box and a rotation vector: the rect is the
// box's axis-aligned extent (normalised image frame); rotation =
// NormalizeRadians(target_angle - atan2(-(y1 - y0), x1 - x0)) with the start/end points
// scaled to pixels.
NormalizedRect BoxToRotatedRect(float xmin, float ymin, float width, float height, Point2f start,
                                Point2f end, int image_w, int image_h, float target_angle = 0.0f);

// The landmark model's ROI from a face detection in the normalised image frame
// (face_detection_front_detection_to_roi.pbtxt): rotation from keypoint 0 to keypoint 1,
// target angle 0, then scale 1.5 in x and y with square_long.
NormalizedRect FaceDetectionToRoi(const Detection& detection, int image_w, int image_h);

// Next frame's ROI from the previous frame's landmarks in the normalised image frame
// (face_landmark_landmarks_to_roi.pbtxt): the landmarks' bounding box
// (LandmarksToDetectionCalculator, whose running maxima start at FLT_MIN ~ +1.2e-38, not at
// -FLT_MAX: replicated), rotation from landmark 33 to landmark 263, scale 1.5, square_long.
// n must exceed 263 (468 or 478 points); throws std::invalid_argument otherwise.
NormalizedRect FaceLandmarksToRoi(const Landmark* landmarks, int n, int image_w, int image_h);

// ---------------------------------------------------------------- landmarks

// TensorsToLandmarksCalculator (NORM_LANDMARKS): raw holds n points of dims values (2 or 3 or
// more; extra values ignored) in tensor pixels; out gets x/tensor_w, y/tensor_h, z/tensor_w
// (z = 0 when dims < 3). The result is in the normalised tensor (ROI) frame.
void TensorToLandmarks(const float* raw, int n, int dims, int tensor_w, int tensor_h,
                       Landmark* out);

// LandmarkProjectionCalculator with NORM_RECT only: from the ROI's normalised frame to the
// normalised image frame. (x-0.5, y-0.5) is rotated by roi.rotation, scaled by roi.width and
// roi.height (normalised, so not rigid in pixels on a non-square image: replicated as is) and
// offset by the ROI centre; z is scaled by roi.width. in and out may alias.
void ProjectLandmarksFromRoi(const Landmark* in, int n, const NormalizedRect& roi, Landmark* out);

// The same projection done rigidly in pixels (the Tasks landmarker's): with the ROI's pixel
// centre c, size (w, h) = (width * W, height * H) and rotation R, p = c + R ((x - .5) w,
// (y - .5) h), normalised by (W, H); z is scaled by the length of the ROI's unit x vector
// in the normalised image frame (= roi.width on a square image). in and out may alias.
void ProjectLandmarksFromRoiPixels(const Landmark* in, int n, const NormalizedRect& roi,
                                   int image_w, int image_h, Landmark* out);

// The face-presence flag's score: sigmoid of the model's raw output.
float FacePresenceScore(float raw_logit);

// ---------------------------------------------------------------- tracking

// AssociationNormRectCalculator: merges ROI lists given in increasing priority (the face
// graph passes {ROIs from this frame's detections, ROIs tracked from the previous frame's
// landmarks}). Rotation is ignored: overlap is the IoU of the axis-aligned normalised rects
// (xmin = x_center - width/2 ...). The first non-empty list seeds the result with its first
// rect; every later rect, in list order, removes each rect already in the result whose IoU
// with it is > min_similarity_threshold and is then appended. Output order is the result's.
void AssociateRects(const std::vector<const std::vector<NormalizedRect>*>& lists,
                    float min_similarity_threshold, std::vector<NormalizedRect>* out);

// ---------------------------------------------------------------- refinement

constexpr int kMeshLandmarks = 468;
constexpr int kLipsLandmarks = 80;
constexpr int kEyeLandmarks = 71;
constexpr int kIrisLandmarks = 5;
constexpr int kRefinedLandmarks = 478;

// LandmarksRefinementCalculator as configured by tensors_to_face_landmarks_with_attention.pbtxt.
// All inputs share one frame (normalised ROI or image). In order: mesh (468) is copied with
// its z; lips (80) and both eyes (71 each) overwrite x, y of their mapped mesh points and keep
// the mesh z; each iris (5 points, written to 468..472 and 473..477) gets x, y from the model
// and z = mean (accumulated in double) of the current z of its eye's 16 contour points.
// Inputs for lips, eyes and irises only need x and y. out receives kRefinedLandmarks points
// and must not alias an input.
void RefineFaceLandmarks(const Landmark* mesh, const Landmark* lips, const Landmark* left_eye,
                         const Landmark* right_eye, const Landmark* left_iris,
                         const Landmark* right_iris, Landmark* out);

}  // namespace fmn
