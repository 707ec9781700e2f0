// FaceMesh post-processing calculators. Each is a thin wrapper over a plain function of
// cpp/util/ (where the semantics and their MediaPipe counterparts are documented).
//
// Frames: "normalised tensor" is [0,1] over a model input; "normalised image" over the frame.
#include <algorithm>
#include <cmath>

#include "graph/calculator.h"
#include "util/anchors.h"
#include "util/detection_decode.h"
#include "util/nms.h"
#include "util/one_euro.h"
#include "util/roi.h"

namespace fmn {
namespace {

// TensorsToDetections
//   TENSORS (TensorBatch, batch 1): [regressors (num_boxes x 16), classificators (num_boxes)]
//   side MIN_SCORE (float, optional): min_score_thresh (min_detection_confidence)
//   DETECTIONS: std::vector<Detection> in the normalised tensor frame (may be empty)
//   options: the SSD anchor and decoding options (input_size_width/height, min/max_scale,
//     num_layers, strides, interpolated_scale_aspect_ratio; num_boxes, num_coords,
//     num_keypoints, x_scale (all four scales), score_clipping_thresh, min_score_thresh);
//     defaults are the short-range detector's.
class TensorsToDetections : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    const TextMessage& o = cc.options();
    SsdAnchorOptions a = FaceDetectionShortRangeAnchorOptions();
    a.input_size_width = static_cast<int>(o.get_int("input_size_width", a.input_size_width));
    a.input_size_height = static_cast<int>(o.get_int("input_size_height", a.input_size_height));
    a.min_scale = static_cast<float>(o.get_double("min_scale", a.min_scale));
    a.max_scale = static_cast<float>(o.get_double("max_scale", a.max_scale));
    a.num_layers = static_cast<int>(o.get_int("num_layers", a.num_layers));
    a.interpolated_scale_aspect_ratio = static_cast<float>(
        o.get_double("interpolated_scale_aspect_ratio", a.interpolated_scale_aspect_ratio));
    const std::vector<double> strides = o.get_doubles("strides");
    if (!strides.empty()) a.strides.assign(strides.begin(), strides.end());
    anchors_ = GenerateSsdAnchors(a);
    d_.num_boxes = static_cast<int>(o.get_int("num_boxes", d_.num_boxes));
    d_.num_coords = static_cast<int>(o.get_int("num_coords", d_.num_coords));
    d_.num_keypoints = static_cast<int>(o.get_int("num_keypoints", d_.num_keypoints));
    const float scale = static_cast<float>(o.get_double("x_scale", d_.x_scale));
    d_.x_scale = d_.y_scale = d_.w_scale = d_.h_scale = scale;
    d_.score_clipping_thresh = static_cast<float>(o.get_double("score_clipping_thresh", d_.score_clipping_thresh));
    d_.min_score_thresh = static_cast<float>(
        side_number(cc, "MIN_SCORE", o.get_double("min_score_thresh", d_.min_score_thresh)));
    if (static_cast<int>(anchors_.size()) != d_.num_boxes)
      throw GraphError(cc.node().name + ": anchors (" + std::to_string(anchors_.size()) +
                       ") do not match num_boxes (" + std::to_string(d_.num_boxes) + ")");
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("TENSORS")) return;
    const TensorBatch& t = cc.input_as<TensorBatch>("TENSORS");
    if (t.batch != 1 || t.tensors.size() < 2 ||
        t.per_item[0] != static_cast<int64_t>(d_.num_boxes) * d_.num_coords ||
        t.per_item[1] != d_.num_boxes)
      throw GraphError(cc.node().name + ": detector outputs have unexpected sizes");
    DecodeDetections(t.tensors[0].data(), t.tensors[1].data(), anchors_, d_,
                     &cc.output<std::vector<Detection>>("DETECTIONS"));
  }

 private:
  std::vector<Anchor> anchors_;
  DetectionDecodeOptions d_;
};

// NonMaxSuppression: input 0 -> output 0 (std::vector<Detection>, same frame).
//   options { min_suppression_threshold: 0.3 algorithm: WEIGHTED|DEFAULT }
class NonMaxSuppressionCalc : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    o_.min_suppression_threshold =
        static_cast<float>(cc.options().get_double("min_suppression_threshold", 0.3));
    const std::string alg = cc.options().get_string("algorithm", "WEIGHTED");
    if (alg == "WEIGHTED") o_.algorithm = NmsAlgorithm::kWeighted;
    else if (alg == "DEFAULT") o_.algorithm = NmsAlgorithm::kDefault;
    else throw GraphError(cc.node().name + ": unknown NMS algorithm '" + alg + "'");
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("")) return;
    NonMaxSuppression(cc.input_as<std::vector<Detection>>(""), o_,
                      &cc.output<std::vector<Detection>>(""));
  }

 private:
  NmsOptions o_;
};

// DetectionProjection
//   DETECTIONS (normalised tensor frame), LETTERBOX -> DETECTIONS (normalised image frame)
class DetectionProjection : public Calculator {
 public:
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("DETECTIONS") || !cc.input_present("LETTERBOX")) return;
    auto& out = cc.output<std::vector<Detection>>("DETECTIONS");
    out = cc.input_as<std::vector<Detection>>("DETECTIONS");
    ProjectDetections(cc.input_as<Letterbox>("LETTERBOX").tensor_to_image, &out);
  }
};

int image_width(const CalculatorContext& cc) { return cc.input_as<ImageFrame>("IMAGE").width; }
int image_height(const CalculatorContext& cc) { return cc.input_as<ImageFrame>("IMAGE").height; }

// DetectionsToRois: the landmark model's ROI for each face detection
// (face_detection_front_detection_to_roi: rotation from keypoints 0->1, scale 1.5, square_long).
//   DETECTIONS (normalised image frame), IMAGE (for its size) -> ROIS (std::vector<NormalizedRect>)
//   options { square_long: true  scale: 1.5 }  (the Tasks detector: square_long false)
class DetectionsToRois : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    t_.square_long = cc.options().get_bool("square_long", true);
    t_.scale_x = t_.scale_y = static_cast<float>(cc.options().get_double("scale", 1.5));
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("DETECTIONS") || !cc.input_present("IMAGE")) return;
    const auto& dets = cc.input_as<std::vector<Detection>>("DETECTIONS");
    auto& out = cc.output<std::vector<NormalizedRect>>("ROIS");
    out.clear();
    const int w = image_width(cc), h = image_height(cc);
    for (const Detection& d : dets) {
      const NormalizedRect r = BoxToRotatedRect(d.xmin, d.ymin, d.width, d.height, d.keypoints[0],
                                                d.keypoints[1], w, h);
      out.push_back(TransformNormalizedRect(r, w, h, t_));
    }
  }

 private:
  RectTransformOptions t_;
};

// AssociationNormRect: inputs in increasing priority (untagged 0, 1, ...; absent ones skipped)
//   -> output 0: merged ROIs. options { min_similarity_threshold: 0.5 }; side THRESHOLD
//   (float, optional) overrides it; side ASSOCIATE (bool, default true): false concatenates
//   the inputs unchanged (the Tasks graph in IMAGE mode has no association).
class AssociationNormRect : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    threshold_ = static_cast<float>(
        side_number(cc, "THRESHOLD", cc.options().get_double("min_similarity_threshold", 0.5)));
    associate_ = side_bool(cc, "ASSOCIATE", true);
    for (int i = 0; cc.has_input("", i); ++i) ++n_;
  }
  void process(CalculatorContext& cc) override {
    lists_.clear();
    for (int i = 0; i < n_; ++i)
      if (cc.input_present("", i)) lists_.push_back(&cc.input_as<std::vector<NormalizedRect>>("", i));
    auto& out = cc.output<std::vector<NormalizedRect>>("");
    if (associate_) {
      AssociateRects(lists_, threshold_, &out);
      return;
    }
    out.clear();
    for (const auto* l : lists_) out.insert(out.end(), l->begin(), l->end());
  }

 private:
  float threshold_ = 0.5f;
  bool associate_ = true;
  int n_ = 0;
  std::vector<const std::vector<NormalizedRect>*> lists_;
};

// TensorsToFaceLandmarks
//   TENSORS (TensorBatch from face_landmark or face_landmark_with_attention)
//   LANDMARKS: per face, 468 (or 478 refined) landmarks in the normalised ROI (tensor) frame
//   SCORES: per face, presence score (sigmoid of the face flag)
//   options { attention: false  input_width: 192  input_height: 192 }
//   mesh_v2: true reads the Tasks face_landmarks_detector: [478 * 3] landmarks in tensor
//   pixels, [1] presence logit (and an unused tongue score).
class TensorsToFaceLandmarks : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    attention_ = cc.options().get_bool("attention", false);
    mesh_v2_ = cc.options().get_bool("mesh_v2", false);
    w_ = static_cast<int>(cc.options().get_int("input_width", 192));
    h_ = static_cast<int>(cc.options().get_int("input_height", 192));
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("TENSORS")) return;
    const TensorBatch& t = cc.input_as<TensorBatch>("TENSORS");
    if (mesh_v2_) {
      process_mesh_v2(cc, t);
      return;
    }
    const size_t want = attention_ ? 7 : 2;
    if (t.tensors.size() != want)
      throw GraphError(cc.node().name + ": the landmark model gave " + std::to_string(t.tensors.size()) +
                       " outputs, expected " + std::to_string(want));
    const int64_t expect[7] = {468 * 3, 80 * 2, 71 * 2, 71 * 2, 5 * 2, 5 * 2, 1};
    for (size_t j = 0; j < want; ++j) {
      const int64_t e = attention_ ? expect[j] : (j == 0 ? 468 * 3 : 1);
      if (t.per_item[j] != e) throw GraphError(cc.node().name + ": unexpected landmark model output size");
    }
    auto& faces = cc.output<std::vector<LandmarkList>>("LANDMARKS");
    auto& scores = cc.output<std::vector<float>>("SCORES");
    faces.resize(static_cast<size_t>(t.batch));
    scores.resize(static_cast<size_t>(t.batch));
    for (int b = 0; b < t.batch; ++b) {
      const float* mesh_raw = t.tensors[0].data() + b * t.per_item[0];
      LandmarkList& face = faces[b];
      if (!attention_) {
        face.resize(kMeshLandmarks);
        TensorToLandmarks(mesh_raw, kMeshLandmarks, 3, w_, h_, face.data());
        scores[b] = FacePresenceScore(t.tensors[1][b]);
        continue;
      }
      mesh_.resize(kMeshLandmarks);
      TensorToLandmarks(mesh_raw, kMeshLandmarks, 3, w_, h_, mesh_.data());
      const int counts[5] = {kLipsLandmarks, kEyeLandmarks, kEyeLandmarks, kIrisLandmarks, kIrisLandmarks};
      for (int k = 0; k < 5; ++k) {
        parts_[k].resize(counts[k]);
        TensorToLandmarks(t.tensors[k + 1].data() + b * t.per_item[k + 1], counts[k], 2, w_, h_, parts_[k].data());
      }
      face.resize(kRefinedLandmarks);
      RefineFaceLandmarks(mesh_.data(), parts_[0].data(), parts_[1].data(), parts_[2].data(),
                          parts_[3].data(), parts_[4].data(), face.data());
      scores[b] = FacePresenceScore(t.tensors[6][b]);
    }
  }

 private:
  void process_mesh_v2(CalculatorContext& cc, const TensorBatch& t) {
    if (t.tensors.size() < 2 || t.per_item[0] != kRefinedLandmarks * 3 || t.per_item[1] != 1)
      throw GraphError(cc.node().name + ": the mesh v2 model must give [478 * 3] landmarks and "
                       "[1] presence");
    auto& faces = cc.output<std::vector<LandmarkList>>("LANDMARKS");
    auto& scores = cc.output<std::vector<float>>("SCORES");
    faces.resize(static_cast<size_t>(t.batch));
    scores.resize(static_cast<size_t>(t.batch));
    for (int b = 0; b < t.batch; ++b) {
      faces[b].resize(kRefinedLandmarks);
      TensorToLandmarks(t.tensors[0].data() + b * t.per_item[0], kRefinedLandmarks, 3, w_, h_,
                        faces[b].data());
      scores[b] = FacePresenceScore(t.tensors[1][b]);
    }
  }

  bool attention_ = false;
  bool mesh_v2_ = false;
  int w_ = 192, h_ = 192;
  LandmarkList mesh_, parts_[5];
};

// FacePresenceGate: keeps the faces whose presence score is strictly above the threshold.
//   LANDMARKS, SCORES, ROIS (aligned per face); side THRESHOLD (float, default 0.5)
//   -> LANDMARKS, SCORES, ROIS of the kept faces; all absent when no face is kept.
class FacePresenceGate : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    threshold_ = static_cast<float>(side_number(cc, "THRESHOLD", cc.options().get_double("threshold", 0.5)));
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("LANDMARKS") || !cc.input_present("SCORES") || !cc.input_present("ROIS")) return;
    const auto& faces = cc.input_as<std::vector<LandmarkList>>("LANDMARKS");
    const auto& scores = cc.input_as<std::vector<float>>("SCORES");
    const auto& rois = cc.input_as<std::vector<NormalizedRect>>("ROIS");
    if (faces.size() != scores.size() || faces.size() != rois.size())
      throw GraphError(cc.node().name + ": landmarks, scores and ROIs differ in count");
    size_t kept = 0;
    for (float s : scores) kept += s > threshold_ ? 1 : 0;
    if (kept == 0) return;
    auto& out_faces = cc.output<std::vector<LandmarkList>>("LANDMARKS");
    auto& out_scores = cc.output<std::vector<float>>("SCORES");
    auto& out_rois = cc.output<std::vector<NormalizedRect>>("ROIS");
    out_faces.resize(kept);
    out_scores.clear();
    out_rois.clear();
    size_t k = 0;
    for (size_t i = 0; i < faces.size(); ++i) {
      if (!(scores[i] > threshold_)) continue;
      out_faces[k++] = faces[i];
      out_scores.push_back(scores[i]);
      out_rois.push_back(rois[i]);
    }
  }

 private:
  float threshold_ = 0.5f;
};

// LandmarkProjection: LANDMARKS (normalised ROI frame), ROIS -> LANDMARKS (normalised image frame)
//   With an IMAGE input, the projection is rigid in pixels (ProjectLandmarksFromRoiPixels, the
//   Tasks landmarker's); without, in the normalised frame (the legacy graph's).
class LandmarkProjection : public Calculator {
 public:
  void process(CalculatorContext& cc) override {
    if (cc.has_input("IMAGE")) {
      if (!cc.input_present("LANDMARKS") || !cc.input_present("ROIS") || !cc.input_present("IMAGE")) return;
      const auto& faces = cc.input_as<std::vector<LandmarkList>>("LANDMARKS");
      const auto& rois = cc.input_as<std::vector<NormalizedRect>>("ROIS");
      if (faces.size() != rois.size()) throw GraphError(cc.node().name + ": landmarks and ROIs differ in count");
      auto& out = cc.output<std::vector<LandmarkList>>("LANDMARKS");
      out.resize(faces.size());
      for (size_t i = 0; i < faces.size(); ++i) {
        out[i].resize(faces[i].size());
        ProjectLandmarksFromRoiPixels(faces[i].data(), static_cast<int>(faces[i].size()), rois[i],
                                      image_width(cc), image_height(cc), out[i].data());
      }
      return;
    }
    if (!cc.input_present("LANDMARKS") || !cc.input_present("ROIS")) return;
    const auto& faces = cc.input_as<std::vector<LandmarkList>>("LANDMARKS");
    const auto& rois = cc.input_as<std::vector<NormalizedRect>>("ROIS");
    if (faces.size() != rois.size()) throw GraphError(cc.node().name + ": landmarks and ROIs differ in count");
    auto& out = cc.output<std::vector<LandmarkList>>("LANDMARKS");
    out.resize(faces.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      out[i].resize(faces[i].size());
      ProjectLandmarksFromRoi(faces[i].data(), static_cast<int>(faces[i].size()), rois[i], out[i].data());
    }
  }
};

// LandmarksToRois: next frame's ROI per face (face_landmark_landmarks_to_roi).
//   LANDMARKS (normalised image frame), IMAGE (for its size) -> ROIS
class LandmarksToRois : public Calculator {
 public:
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("LANDMARKS") || !cc.input_present("IMAGE")) return;
    const auto& faces = cc.input_as<std::vector<LandmarkList>>("LANDMARKS");
    auto& out = cc.output<std::vector<NormalizedRect>>("ROIS");
    out.clear();
    for (const LandmarkList& f : faces)
      out.push_back(FaceLandmarksToRoi(f.data(), static_cast<int>(f.size()), image_width(cc), image_height(cc)));
  }
};

// LandmarksSmoothing: optional OneEuro filtering (the Tasks landmarker's parameters), only
// while exactly one face is present, as the landmarker does; otherwise a pass-through that
// resets the filter. Filtering happens in pixels (x*W, y*H, z*W) with value scale
// 1/mean(bbox width, height).
//   LANDMARKS, IMAGE, TIMESTAMP (int64 microseconds) -> LANDMARKS
//   side ENABLE (bool, default false); options { min_cutoff beta derivate_cutoff
//   reset_when_absent (default false: a frame without LANDMARKS keeps the filter state) }
class LandmarksSmoothing : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    enabled_ = side_bool(cc, "ENABLE", false);
    reset_when_absent_ = cc.options().get_bool("reset_when_absent", false);
    params_.min_cutoff = cc.options().get_double("min_cutoff", params_.min_cutoff);
    params_.beta = cc.options().get_double("beta", params_.beta);
    params_.derivate_cutoff = cc.options().get_double("derivate_cutoff", params_.derivate_cutoff);
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("LANDMARKS")) {
      if (reset_when_absent_) smoother_.reset();
      return;
    }
    const auto& faces = cc.input_as<std::vector<LandmarkList>>("LANDMARKS");
    auto& out = cc.output<std::vector<LandmarkList>>("LANDMARKS");
    out = faces;
    if (!enabled_ || faces.size() != 1 || !cc.input_present("IMAGE") || !cc.input_present("TIMESTAMP")) {
      smoother_.reset();
      return;
    }
    const float W = static_cast<float>(image_width(cc)), H = static_cast<float>(image_height(cc));
    LandmarkList& f = out[0];
    for (Landmark& l : f) { l.x *= W; l.y *= H; l.z *= W; }
    if (!smoother_) smoother_.reset(new LandmarksOneEuroSmoother(params_));
    const double t = static_cast<double>(cc.input_as<int64_t>("TIMESTAMP")) * 1e-6;
    smoother_->Apply(f.data(), static_cast<int>(f.size()), t,
                     LandmarksObjectScale(f.data(), static_cast<int>(f.size())), f.data());
    for (Landmark& l : f) { l.x /= W; l.y /= H; l.z /= W; }
  }

 private:
  bool enabled_ = false;
  bool reset_when_absent_ = false;
  OneEuroParams params_;
  std::unique_ptr<LandmarksOneEuroSmoother> smoother_;
};

}  // namespace

void register_face_calculators() {
  register_calculator_type<TensorsToDetections>("TensorsToDetections");
  register_calculator_type<NonMaxSuppressionCalc>("NonMaxSuppression");
  register_calculator_type<DetectionProjection>("DetectionProjection");
  register_calculator_type<DetectionsToRois>("DetectionsToRois");
  register_calculator_type<AssociationNormRect>("AssociationNormRect");
  register_calculator_type<TensorsToFaceLandmarks>("TensorsToFaceLandmarks");
  register_calculator_type<FacePresenceGate>("FacePresenceGate");
  register_calculator_type<LandmarkProjection>("LandmarkProjection");
  register_calculator_type<LandmarksToRois>("LandmarksToRois");
  register_calculator_type<LandmarksSmoothing>("LandmarksSmoothing");
}

}  // namespace fmn
