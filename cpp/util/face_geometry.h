// Face geometry: the 4x4 facial transformation matrix from screen landmarks
// (MediaPipe's face_geometry libs: procrustes_solver.cc and geometry_pipeline.cc, as the
// Tasks FaceLandmarker configures them: TOP_LEFT_CORNER origin, vertical FOV 63 degrees,
// near 1, far 10000 cm). Computed in double.
#pragma once

#include <array>
#include <vector>

#include "util/geometry.h"

namespace fmn {

// Weighted orthogonal Procrustes with uniform scale: the 4x4 row-major transform
// T = [s R | t; 0 0 0 1] minimising sum_i w_i |target_i - (s R source_i + t)|^2, with R a proper
// rotation. Points are xyz triples (n of them); weights >= 0 with a positive sum.
// The rotation comes from the SVD of the weighted, source-centred design matrix
// (U's third column negated when det(U) det(V^T) < 0); s is the trace ratio and t the weighted
// mean residual, as upstream. Throws std::invalid_argument on a non-positive total weight.
std::array<double, 16> SolveWeightedProcrustes(const float* source, const float* target,
                                               const float* weights, int n);

// The pipeline's canonical face: `vertices` holds n xyz (cm) triples of the canonical mesh and
// `weights` n Procrustes weights (zero for vertices outside the landmark basis).
struct CanonicalFace {
  std::vector<float> vertices;
  std::vector<float> weights;
};

struct PerspectiveCamera {
  double vertical_fov_degrees = 63.0;
  double near = 1.0;
  double far = 10000.0;
};

// The pose transform (row-major 4x4) mapping the canonical face (cm) into the metric camera
// frame (camera at the origin looking down -z) for one face of `n` screen landmarks
// (normalised image frame, z in units of the image width; n must equal the canonical vertex
// count) in a W x H frame. Three passes: scale from the screen points with negated z, then
// unprojection with that scale and a second scale, then the final Procrustes on the metric
// points. Returns false (and leaves *pose alone) for a face whose landmarks are too compact
// (max distance from their mean <= 1e-3) to give a pose. Throws std::invalid_argument when n
// does not match or the frame size is not positive.
bool EstimateFacePose(const Landmark* landmarks, int n, int frame_w, int frame_h,
                      const CanonicalFace& face, const PerspectiveCamera& camera,
                      std::array<double, 16>* pose);

}  // namespace fmn
