// Plain value types shared by the FaceMesh post-processing functions (cpp/util/).
//
// Coordinate frames used throughout cpp/util:
//   normalised image   x in [0,1] spans the image width, y in [0,1] the height (values may
//                      fall outside when a box or ROI leaves the image).
//   image pixels       x in [0,W), y in [0,H); pixel i's centre is at integer coordinate i.
//   normalised tensor  [0,1] across a model input tensor (e.g. the 128x128 letterboxed
//                      detector input or the 192x192 landmark crop).
// Rotations are in radians; positive rotates clockwise on screen (y points down), as in
// MediaPipe's NormalizedRect.
#pragma once

#include <array>
#include <cstddef>

namespace fmn {

// A rotated rectangle in the normalised image frame: centre, size, rotation about the centre.
// width is a fraction of the image width and height a fraction of the image height, so a
// square in pixels has width/height = H/W.
struct NormalizedRect {
  float x_center = 0.0f;
  float y_center = 0.0f;
  float width = 0.0f;
  float height = 0.0f;
  float rotation = 0.0f;
};

// The same, in pixels of some frame (image or tensor).
struct RotatedRect {
  float center_x = 0.0f;
  float center_y = 0.0f;
  float width = 0.0f;
  float height = 0.0f;
  float rotation = 0.0f;
};

struct Point2f {
  float x = 0.0f;
  float y = 0.0f;
};

// The face detector's six keypoints: 0 right eye, 1 left eye (subject's), 2 nose tip,
// 3 mouth centre, 4 right ear tragion, 5 left ear tragion.
constexpr int kFaceDetectionKeypoints = 6;

// One face detection: an axis-aligned box and keypoints, all relative (normalised) to the
// frame they were decoded or projected in, and a score in [0,1].
struct Detection {
  float score = 0.0f;
  float xmin = 0.0f;
  float ymin = 0.0f;
  float width = 0.0f;
  float height = 0.0f;
  std::array<Point2f, kFaceDetectionKeypoints> keypoints{};
};

// One landmark. x, y normalised to the frame named by the function producing it; z is in
// the same units as x (a fraction of the frame width), smaller is closer to the camera.
struct Landmark {
  float x = 0.0f;
  float y = 0.0f;
  float z = 0.0f;
};

// Wraps an angle in radians into [-pi, pi): angle - 2*pi*floor((angle + pi) / (2*pi)),
// evaluated in double and rounded to float, as MediaPipe's DetectionsToRects/
// RectTransformation calculators do.
float NormalizeRadians(float angle);

// Intersection over union of two axis-aligned boxes given as (xmin, ymin, width, height), any
// consistent units. Boxes that do not touch, or either box empty (negative width or height),
// give 0; boxes that only touch along an edge give 0 (zero intersection area); a zero union
// gives 0. Float arithmetic, matching MediaPipe's Rectangle_f-based IoU.
float BoxIoU(float ax, float ay, float aw, float ah, float bx, float by, float bw, float bh);

}  // namespace fmn
