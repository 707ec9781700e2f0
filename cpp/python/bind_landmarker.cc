// Python binding of the Tasks FaceLandmarker graph: _core.FaceLandmarker. Type conversion and
// GIL release only; the pipeline is graph/face_landmarker.h, its API the Python package's
// facemesh_native.tasks.python.vision. The module calls register_landmarker_bindings(m).
//
// FaceLandmarker(stream_mode, num_faces, min_face_detection_confidence,
//                min_face_presence_confidence, min_tracking_confidence, output_blendshapes,
//                output_matrices, smooth_landmarks, device, allow_software, gl_fp16,
//                num_threads, graph_path, models_dir)
// .process(image uint8 (H, W, 3|4) with unit channel stride, timestamp_us, rotation_degrees=0) ->
//   (landmarks (F, 478, 3) float32, blendshapes (F, 52) float32 or None,
//    matrices (F, 4, 4) float64 row-major or None, presence (F,) float32, detector_ran)
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "python/convert.h"
#include "graph/face_landmarker.h"
#include "model/geometry_metadata.h"
#include "util/face_blendshapes.h"
#include "util/face_geometry.h"

namespace py = pybind11;

namespace fmn {
namespace {

class PyFaceLandmarker {
 public:
  PyFaceLandmarker(bool stream_mode, int num_faces, float det, float pres, float track,
                   bool output_blendshapes, bool output_matrices, bool smooth,
                   const std::string& device, bool allow_software, bool gl_fp16, int num_threads,
                   const std::string& graph_path, const std::string& models_dir) {
    FaceLandmarkerOptions o;
    o.stream_mode = stream_mode;
    o.num_faces = num_faces;
    o.min_face_detection_confidence = det;
    o.min_face_presence_confidence = pres;
    o.min_tracking_confidence = track;
    o.output_blendshapes = output_blendshapes;
    o.output_matrices = output_matrices;
    o.smooth_landmarks = smooth;
    o.device = device;
    o.allow_software = allow_software;
    o.gl_fp16 = gl_fp16;
    o.num_threads = num_threads;
    o.graph_path = graph_path;
    o.models_dir = models_dir;
    py::gil_scoped_release release;
    impl_.reset(new FaceLandmarker(o));
  }

  py::tuple process(const py::array& image, int64_t timestamp_us, int rotation_degrees) {
    const ImageFrame f = pyconv::image_frame(image);
    FaceLandmarkerResult r;
    {
      py::gil_scoped_release release;
      impl_->process(f, timestamp_us, &r, rotation_degrees);
    }
    const auto nf = static_cast<py::ssize_t>(r.faces.size());
    py::array_t<float> lm({nf, py::ssize_t{478}, py::ssize_t{3}});
    float* p = lm.mutable_data();
    for (const LandmarkList& face : r.faces) {
      if (face.size() != 478) throw std::runtime_error("internal: a face without 478 landmarks");
      for (const Landmark& l : face) { *p++ = l.x; *p++ = l.y; *p++ = l.z; }
    }
    py::object bs = py::none(), mx = py::none();
    if (impl_->options().output_blendshapes) {
      py::array_t<float> a({nf, py::ssize_t{52}});
      if (r.blendshapes.size() != static_cast<size_t>(nf) * 52)
        throw std::runtime_error("internal: blendshapes missing for some faces");
      std::copy(r.blendshapes.begin(), r.blendshapes.end(), a.mutable_data());
      bs = a;
    }
    if (impl_->options().output_matrices) {
      py::array_t<double> a({nf, py::ssize_t{4}, py::ssize_t{4}});
      if (r.matrices.size() != static_cast<size_t>(nf) * 16)
        throw std::runtime_error("internal: matrices missing for some faces");
      std::copy(r.matrices.begin(), r.matrices.end(), a.mutable_data());
      mx = a;
    }
    py::array_t<float> pres(nf);
    std::copy(r.presence.begin(), r.presence.end(), pres.mutable_data());
    return py::make_tuple(lm, bs, mx, pres, r.detector_ran);
  }

  void reset() { impl_->reset(); }
  std::map<std::string, std::string> device_report() const { return impl_->device_report(); }
  std::vector<std::tuple<std::string, int64_t, double>> node_stats() const { return impl_->node_stats(); }

 private:
  std::unique_ptr<FaceLandmarker> impl_;
};

}  // namespace

void register_landmarker_bindings(py::module_& m) {
  py::class_<PyFaceLandmarker>(m, "FaceLandmarker")
      .def(py::init<bool, int, float, float, float, bool, bool, bool, const std::string&, bool,
                    bool, int, const std::string&, const std::string&>(),
           py::arg("stream_mode"), py::arg("num_faces"), py::arg("min_face_detection_confidence"),
           py::arg("min_face_presence_confidence"), py::arg("min_tracking_confidence"),
           py::arg("output_blendshapes"), py::arg("output_matrices"), py::arg("smooth_landmarks"),
           py::arg("device"), py::arg("allow_software"), py::arg("gl_fp16"),
           py::arg("num_threads"), py::arg("graph_path"), py::arg("models_dir"))
      .def("process", &PyFaceLandmarker::process, py::arg("image"), py::arg("timestamp_us"),
           py::arg("rotation_degrees") = 0)
      .def("reset", &PyFaceLandmarker::reset)
      .def("node_stats", &PyFaceLandmarker::node_stats)
      .def_property_readonly("device_report", &PyFaceLandmarker::device_report);
  m.def("blendshape_names", [] {
    std::vector<std::string> names(kBlendshapeNames.begin(), kBlendshapeNames.end());
    return names;
  });
  m.def("parse_geometry_metadata", [](py::bytes data) {
    const std::string s = data;
    GeometryMetadata g = parse_geometry_metadata(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    py::array_t<float> v({static_cast<py::ssize_t>(g.vertex_count), py::ssize_t{5}});
    std::copy(g.vertex_buffer.begin(), g.vertex_buffer.end(), v.mutable_data());
    py::array_t<uint32_t> idx(static_cast<py::ssize_t>(g.index_buffer.size()));
    std::copy(g.index_buffer.begin(), g.index_buffer.end(), idx.mutable_data());
    py::array_t<uint32_t> ids(static_cast<py::ssize_t>(g.basis_ids.size()));
    std::copy(g.basis_ids.begin(), g.basis_ids.end(), ids.mutable_data());
    py::array_t<float> w(static_cast<py::ssize_t>(g.basis_weights.size()));
    std::copy(g.basis_weights.begin(), g.basis_weights.end(), w.mutable_data());
    py::dict d;
    d["input_source"] = g.input_source;
    d["vertices"] = v;
    d["triangles"] = idx;
    d["basis_ids"] = ids;
    d["basis_weights"] = w;
    return d;
  }, py::arg("data"));
  m.def("face_pose", [](py::array_t<float, py::array::c_style | py::array::forcecast> landmarks,
                        int width, int height, py::bytes metadata) {
    if (landmarks.ndim() != 2 || landmarks.shape(1) != 3)
      throw py::value_error("landmarks must be (N, 3)");
    const std::string s = metadata;
    const CanonicalFace face =
        parse_geometry_metadata(reinterpret_cast<const uint8_t*>(s.data()), s.size()).canonical_face();
    std::vector<Landmark> lm(static_cast<size_t>(landmarks.shape(0)));
    for (size_t i = 0; i < lm.size(); ++i)
      lm[i] = {landmarks.at(i, 0), landmarks.at(i, 1), landmarks.at(i, 2)};
    std::array<double, 16> pose;
    if (!EstimateFacePose(lm.data(), static_cast<int>(lm.size()), width, height, face,
                          PerspectiveCamera(), &pose))
      return py::object(py::none());
    py::array_t<double> out({4, 4});
    std::copy(pose.begin(), pose.end(), out.mutable_data());
    return py::object(out);
  }, py::arg("landmarks"), py::arg("width"), py::arg("height"), py::arg("metadata"));
}

}  // namespace fmn
