// Calculators of the Tasks FaceLandmarker graph (graphs/face_landmarker.pbtxt) beyond the
// FaceMesh ones: ROI clipping, the blendshape model's input and output, and the geometry
// pipeline. Thin wrappers over cpp/util/.
#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/calculator.h"
#include "model/geometry_metadata.h"
#include "util/face_blendshapes.h"
#include "util/face_geometry.h"
#include "util/roi.h"

namespace fmn {
namespace {

int frame_width(const CalculatorContext& cc) { return cc.input_as<ImageFrame>("IMAGE").width; }
int frame_height(const CalculatorContext& cc) { return cc.input_as<ImageFrame>("IMAGE").height; }

// ClipRectVectorSize
//   input 0: std::vector<NormalizedRect>; side packet (untagged, int): max size
//   output 0: the first max size rects (absent when the input is absent or empty)
class ClipRectVectorSize : public Calculator {
 public:
  void open(CalculatorContext& cc) override { max_ = static_cast<int64_t>(side_number(cc, "", 1)); }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("")) return;
    const auto& in = cc.input_as<std::vector<NormalizedRect>>("");
    if (in.empty()) return;
    auto& out = cc.output<std::vector<NormalizedRect>>("");
    out.assign(in.begin(), in.begin() + std::min<int64_t>(max_, static_cast<int64_t>(in.size())));
  }

 private:
  int64_t max_ = 1;
};

// LandmarksToBlendshapeTensor
//   LANDMARKS (478 per face, normalised image frame), IMAGE (its size)
//   -> TENSORS (TensorBatch, batch = faces): 146 x 2 pixel coordinates per face
class LandmarksToBlendshapeTensor : public Calculator {
 public:
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("LANDMARKS") || !cc.input_present("IMAGE")) return;
    const auto& faces = cc.input_as<std::vector<LandmarkList>>("LANDMARKS");
    if (faces.empty()) return;
    TensorBatch& t = cc.output<TensorBatch>("TENSORS");
    const int64_t per = 2 * kBlendshapeInputLandmarks;
    t.batch = static_cast<int>(faces.size());
    t.on_gpu = false;
    t.per_item.assign(1, per);
    t.tensors.resize(1);
    t.tensors[0].resize(static_cast<size_t>(per) * faces.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      if (faces[i].size() != static_cast<size_t>(kRefinedLandmarks))
        throw GraphError(cc.node().name + ": blendshapes need 478 landmarks per face");
      BlendshapeInput(faces[i].data(), frame_width(cc), frame_height(cc),
                      t.tensors[0].data() + per * static_cast<int64_t>(i));
    }
  }
};

// TensorsToFloats: TENSORS (TensorBatch) -> FLOATS (std::vector<float>): tensor 0's
// batch * per_item[0] floats, batch-major (for the blendshapes: 52 scores per face).
class TensorsToFloats : public Calculator {
 public:
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("TENSORS")) return;
    const TensorBatch& t = cc.input_as<TensorBatch>("TENSORS");
    if (t.tensors.empty() || t.per_item.empty()) throw GraphError(cc.node().name + ": no tensor");
    const size_t n = static_cast<size_t>(t.batch * t.per_item[0]);
    auto& out = cc.output<std::vector<float>>("FLOATS");
    out.assign(t.tensors[0].begin(), t.tensors[0].begin() + static_cast<std::ptrdiff_t>(n));
  }
};

// FaceGeometry
//   LANDMARKS (per face, the first 468 are used; normalised image frame), IMAGE (its size)
//   -> MATRICES (std::vector<float>, 16 per face: the row-major 4x4 pose transform from the
//      canonical face in cm to the metric camera frame; NaN for a face too compact for a pose)
//   options { metadata: "<name>" (a .binarypb in services.models_dir, or a path)
//             vertical_fov_degrees: 63  near: 1  far: 10000 }
class FaceGeometry : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    const std::string name = cc.options().get_string("metadata");
    if (name.empty()) throw GraphError(cc.node().name + ": options.metadata is required");
    const std::string path = name.find('/') != std::string::npos
                                 ? name
                                 : cc.services().models_dir + "/" + name + ".binarypb";
    face_ = load_geometry_metadata_file(path).canonical_face();
    // A 3x3 SVD per face: the CPU on every device, said in the report.
    cc.services().report["geometry"] = "cpu";
    camera_.vertical_fov_degrees = cc.options().get_double("vertical_fov_degrees", 63.0);
    camera_.near = cc.options().get_double("near", 1.0);
    camera_.far = cc.options().get_double("far", 10000.0);
    if (!(camera_.vertical_fov_degrees > 0 && camera_.vertical_fov_degrees < 180) ||
        !(camera_.near > 0) || !(camera_.far > camera_.near))
      throw GraphError(cc.node().name + ": the camera needs 0 < fov < 180 and 0 < near < far");
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("LANDMARKS") || !cc.input_present("IMAGE")) return;
    const auto& faces = cc.input_as<std::vector<LandmarkList>>("LANDMARKS");
    auto& out = cc.output<std::vector<float>>("MATRICES");
    out.assign(16 * faces.size(), std::numeric_limits<float>::quiet_NaN());
    const int n = static_cast<int>(face_.weights.size());
    std::array<double, 16> pose;
    for (size_t i = 0; i < faces.size(); ++i) {
      if (static_cast<int>(faces[i].size()) < n)
        throw GraphError(cc.node().name + ": a face has fewer landmarks than the canonical mesh");
      if (EstimateFacePose(faces[i].data(), n, frame_width(cc), frame_height(cc), face_, camera_, &pose))
        for (int k = 0; k < 16; ++k) out[16 * i + k] = static_cast<float>(pose[k]);
    }
  }

 private:
  CanonicalFace face_;
  PerspectiveCamera camera_;
};

}  // namespace

void register_landmarker_calculators() {
  register_calculator_type<ClipRectVectorSize>("ClipRectVectorSize");
  register_calculator_type<LandmarksToBlendshapeTensor>("LandmarksToBlendshapeTensor");
  register_calculator_type<TensorsToFloats>("TensorsToFloats");
  register_calculator_type<FaceGeometry>("FaceGeometry");
}

}  // namespace fmn
