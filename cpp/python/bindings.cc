// Python bindings: type conversion and GIL release only; every decision lives in C++ or in the
// thin Python layer (python/facemesh_native/).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ops/cpu/cpu_backend.h"
#include "python/bind_image.h"
#include "python/convert.h"
#include "graph/face_detection.h"
#include "graph/face_mesh.h"
#include "graph/graph_config.h"
#include "model/tflite_model.h"
#include "executors/interpreter.h"
#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace py = pybind11;

namespace fmn {
void register_gl_bindings(pybind11::module_& m);
void register_cuda_bindings(pybind11::module_& m);
void register_landmarker_bindings(pybind11::module_& m);
}

namespace fmn {
namespace {

class PyInterpreter {
 public:
  // source: a path (str) or the model's bytes.
  PyInterpreter(const py::object& source, int num_threads, bool tuned, bool fuse, bool fold_pads) {
    InterpreterOptions o;
    o.num_threads = num_threads;
    o.tuned_kernels = tuned;
    o.fuse = fuse;
    o.fold_pads = fold_pads;
    ModelDef def = pyconv::load_model(source);
    py::gil_scoped_release release;
    interp_.reset(new Interpreter(std::move(def), o));
  }

  py::list inputs() const { return pyconv::tensor_list(interp_->inputs()); }
  py::list outputs() const { return pyconv::tensor_list(interp_->outputs()); }
  py::list nodes() const { return pyconv::node_list(interp_->nodes()); }

  py::list run(const py::sequence& inputs) {
    std::vector<pyconv::FloatArray> arrays;
    std::vector<const float*> in_ptrs;
    const int64_t batch = pyconv::check_inputs(inputs, interp_->inputs(), &arrays, &in_ptrs);
    std::vector<py::array_t<float>> outs;
    std::vector<float*> out_ptrs;
    pyconv::make_outputs(interp_->outputs(), batch, &outs, &out_ptrs);
    {
      py::gil_scoped_release release;
      interp_->run(static_cast<int>(batch), in_ptrs.data(), out_ptrs.data());
    }
    return pyconv::to_list(outs);
  }

  py::dict run_capture(const py::sequence& inputs, const std::vector<std::string>& names) {
    std::vector<pyconv::FloatArray> arrays;
    std::vector<const float*> in_ptrs;
    if (pyconv::check_inputs(inputs, interp_->inputs(), &arrays, &in_ptrs) != 1)
      throw py::value_error("run_capture takes batch 1");
    std::vector<std::vector<float>> values;
    {
      py::gil_scoped_release release;
      values = interp_->run_capture(in_ptrs.data(), names);
    }
    py::dict d;
    for (size_t i = 0; i < names.size(); ++i) {
      const TensorInfo& t = interp_->tensor_info(names[i]);
      std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
      py::array_t<float> a(shape);
      std::memcpy(a.mutable_data(), values[i].data(), values[i].size() * sizeof(float));
      d[py::str(names[i])] = a;
    }
    return d;
  }

  std::vector<double> profile_nodes(const py::sequence& inputs, int iters) {
    std::vector<pyconv::FloatArray> arrays;
    std::vector<const float*> in_ptrs;
    if (pyconv::check_inputs(inputs, interp_->inputs(), &arrays, &in_ptrs) != 1)
      throw py::value_error("profile_nodes takes batch 1");
    py::gil_scoped_release release;
    return interp_->profile_nodes(in_ptrs.data(), iters);
  }

  int num_threads() const { return interp_->num_threads(); }
  size_t constant_bytes() const { return interp_->constant_bytes(); }
  size_t arena_bytes() const { return interp_->arena_bytes(); }

 private:
  std::unique_ptr<Interpreter> interp_;
};

// FaceMesh: frames in, arrays out. The Python layer validates and shapes results.
class PyFaceMesh {
 public:
  PyFaceMesh(bool static_image_mode, int max_num_faces, bool refine_landmarks,
             float min_detection_confidence, float min_tracking_confidence, bool smooth_landmarks,
             const std::string& device, bool allow_software, bool gl_fp16, int num_threads,
             const std::string& graphs_dir, const std::string& models_dir,
             const std::string& graph_path) {
    FaceMeshOptions o;
    o.static_image_mode = static_image_mode;
    o.max_num_faces = max_num_faces;
    o.refine_landmarks = refine_landmarks;
    o.min_detection_confidence = min_detection_confidence;
    o.min_tracking_confidence = min_tracking_confidence;
    o.smooth_landmarks = smooth_landmarks;
    o.device = device;
    o.allow_software = allow_software;
    o.gl_fp16 = gl_fp16;
    o.num_threads = num_threads;
    o.graphs_dir = graphs_dir;
    o.models_dir = models_dir;
    o.graph_path = graph_path;
    py::gil_scoped_release release;
    mesh_.reset(new FaceMesh(o));
  }

  // image: uint8 (H, W, 3|4) with a unit channel stride and positive row/pixel strides (the
  // Python layer guarantees it). Returns (landmarks (F,N,3), rects (F,5), scores (F,),
  // detections (D,17): score, xmin, ymin, w, h, 6 keypoints x,y; detector_ran).
  py::tuple process(const py::array& image, int64_t timestamp_us) {
    const ImageFrame f = pyconv::image_frame(image);
    FaceMeshResult result_;  // per call: concurrent callers must not share it
    {
      py::gil_scoped_release release;
      mesh_->process(f, timestamp_us, &result_);
    }
    const size_t nf = result_.faces.size();
    const size_t nl = nf ? result_.faces[0].size() : (mesh_->options().refine_landmarks ? 478 : 468);
    py::array_t<float> lm({static_cast<py::ssize_t>(nf), static_cast<py::ssize_t>(nl), py::ssize_t{3}});
    float* p = lm.mutable_data();
    for (const LandmarkList& face : result_.faces)
      for (const Landmark& l : face) { *p++ = l.x; *p++ = l.y; *p++ = l.z; }
    py::array_t<float> rects({static_cast<py::ssize_t>(nf), py::ssize_t{5}});
    float* r = rects.mutable_data();
    for (const NormalizedRect& n : result_.rects) {
      *r++ = n.x_center; *r++ = n.y_center; *r++ = n.width; *r++ = n.height; *r++ = n.rotation;
    }
    py::array_t<float> scores(static_cast<py::ssize_t>(nf));
    std::copy(result_.scores.begin(), result_.scores.end(), scores.mutable_data());
    py::array_t<float> dets({static_cast<py::ssize_t>(result_.detections.size()), py::ssize_t{17}});
    float* d = dets.mutable_data();
    for (const Detection& det : result_.detections) {
      *d++ = det.score; *d++ = det.xmin; *d++ = det.ymin; *d++ = det.width; *d++ = det.height;
      for (const Point2f& k : det.keypoints) { *d++ = k.x; *d++ = k.y; }
    }
    return py::make_tuple(lm, rects, scores, dets, result_.detector_ran);
  }

  void reset() { mesh_->reset(); }
  std::map<std::string, std::string> device_report() const { return mesh_->device_report(); }
  std::string graph_file() const { return mesh_->graph_file(); }
  std::vector<std::tuple<std::string, int64_t, double>> node_stats() const { return mesh_->node_stats(); }

 private:
  std::unique_ptr<FaceMesh> mesh_;
};

// FaceDetection: frames in, one array out.
class PyFaceDetection {
 public:
  PyFaceDetection(int model_selection, float min_detection_confidence, const std::string& device,
                  bool allow_software, bool gl_fp16, int num_threads,
                  const std::string& graphs_dir, const std::string& models_dir,
                  const std::string& graph_path) {
    FaceDetectionOptions o;
    o.model_selection = model_selection;
    o.min_detection_confidence = min_detection_confidence;
    o.device = device;
    o.allow_software = allow_software;
    o.gl_fp16 = gl_fp16;
    o.num_threads = num_threads;
    o.graphs_dir = graphs_dir;
    o.models_dir = models_dir;
    o.graph_path = graph_path;
    py::gil_scoped_release release;
    det_.reset(new FaceDetection(o));
  }

  // image as PyFaceMesh::process. Returns detections (D, 17): score, xmin, ymin, w, h,
  // 6 keypoints x, y.
  py::array_t<float> process(const py::array& image) {
    const ImageFrame f = pyconv::image_frame(image);
    std::vector<Detection> dets;
    {
      py::gil_scoped_release release;
      det_->process(f, &dets);
    }
    py::array_t<float> out({static_cast<py::ssize_t>(dets.size()), py::ssize_t{17}});
    float* d = out.mutable_data();
    for (const Detection& det : dets) {
      *d++ = det.score; *d++ = det.xmin; *d++ = det.ymin; *d++ = det.width; *d++ = det.height;
      for (const Point2f& k : det.keypoints) { *d++ = k.x; *d++ = k.y; }
    }
    return out;
  }
  std::map<std::string, std::string> device_report() const { return det_->device_report(); }
  std::string graph_file() const { return det_->graph_file(); }

 private:
  std::unique_ptr<FaceDetection> det_;
};

}  // namespace
}  // namespace fmn

PYBIND11_MODULE(_core, m) {
  m.doc() = "facemesh_native native engine (private; use the facemesh_native package)";
  py::register_exception<fmn::ModelError>(m, "ModelError", PyExc_ValueError);
  py::register_exception<fmn::GraphError>(m, "GraphError", PyExc_ValueError);
  py::class_<fmn::PyFaceMesh>(m, "FaceMesh")
      .def(py::init<bool, int, bool, float, float, bool, const std::string&, bool, bool, int,
                    const std::string&, const std::string&, const std::string&>(),
           py::arg("static_image_mode"), py::arg("max_num_faces"), py::arg("refine_landmarks"),
           py::arg("min_detection_confidence"), py::arg("min_tracking_confidence"),
           py::arg("smooth_landmarks"), py::arg("device"), py::arg("allow_software"),
           py::arg("gl_fp16"),
           py::arg("num_threads"),
           py::arg("graphs_dir"), py::arg("models_dir"), py::arg("graph_path") = "")
      .def("process", &fmn::PyFaceMesh::process, py::arg("image"), py::arg("timestamp_us"))
      .def("reset", &fmn::PyFaceMesh::reset)
      .def_property_readonly("device_report", &fmn::PyFaceMesh::device_report)
      .def_property_readonly("graph_file", &fmn::PyFaceMesh::graph_file)
      .def("node_stats", &fmn::PyFaceMesh::node_stats);
  py::class_<fmn::PyFaceDetection>(m, "FaceDetection")
      .def(py::init<int, float, const std::string&, bool, bool, int, const std::string&,
                    const std::string&, const std::string&>(),
           py::arg("model_selection"), py::arg("min_detection_confidence") = -1.f,
           py::arg("device") = "cpu", py::arg("allow_software") = false,
           py::arg("gl_fp16") = false, py::arg("num_threads") = 1,
           py::arg("graphs_dir"), py::arg("models_dir"), py::arg("graph_path") = "")
      .def("process", &fmn::PyFaceDetection::process, py::arg("image"))
      .def_property_readonly("device_report", &fmn::PyFaceDetection::device_report)
      .def_property_readonly("graph_file", &fmn::PyFaceDetection::graph_file);
  py::class_<fmn::PyInterpreter>(m, "Interpreter")
      .def(py::init<const py::object&, int, bool, bool, bool>(), py::arg("source"),
           py::arg("num_threads") = 1, py::arg("tuned") = true, py::arg("fuse") = true,
           py::arg("fold_pads") = true)
      .def_property_readonly("inputs", &fmn::PyInterpreter::inputs)
      .def_property_readonly("outputs", &fmn::PyInterpreter::outputs)
      .def_property_readonly("nodes", &fmn::PyInterpreter::nodes)
      .def_property_readonly("num_threads", &fmn::PyInterpreter::num_threads)
      .def_property_readonly("constant_bytes", &fmn::PyInterpreter::constant_bytes)
      .def_property_readonly("arena_bytes", &fmn::PyInterpreter::arena_bytes)
      .def("run", &fmn::PyInterpreter::run, py::arg("inputs"))
      .def("run_capture", &fmn::PyInterpreter::run_capture, py::arg("inputs"), py::arg("names"))
      .def("profile_nodes", &fmn::PyInterpreter::profile_nodes, py::arg("inputs"),
           py::arg("iters") = 100);
  m.def("hardware_threads", &fmn::ThreadPool::hardware_threads);
  m.def("cpu_isa", [] { return std::string(fmn::cpu_kernels_impl_name()); });
  fmn::register_image_bindings(m);
  fmn::register_gl_bindings(m);
  fmn::register_cuda_bindings(m);
  fmn::register_landmarker_bindings(m);
}
