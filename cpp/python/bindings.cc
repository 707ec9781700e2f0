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

#include "python/bind_image.h"
#include "graph/face_mesh.h"
#include "graph/graph_config.h"
#include "model/tflite_model.h"
#include "runtime/interpreter.h"
#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace py = pybind11;

namespace fmn {
void register_gl_bindings(pybind11::module_& m);
}

namespace fmn {
namespace {

std::string shape_text(const std::vector<int64_t>& s) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ",";
  os << ")";
  return os.str();
}

py::dict tensor_dict(const TensorInfo& t) {
  py::dict d;
  d["name"] = t.name;
  d["shape"] = py::tuple(py::cast(t.shape));
  std::string dtype = tensor_type_name(t.type);
  for (char& c : dtype) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  d["dtype"] = dtype;
  return d;
}

// Checks one input array against the model's input and returns its batch size.
// Accepted shapes: exactly the model's shape (batch 1 when it leads with 1), or the model's
// shape with its leading 1 replaced by N.
int64_t check_input(const py::handle& obj, const TensorInfo& info, size_t index,
                    py::array_t<float, py::array::c_style>* out) {
  if (!py::isinstance<py::array>(obj))
    throw py::value_error("input " + std::to_string(index) + " ('" + info.name +
                          "') must be a numpy.ndarray of float32, got " +
                          std::string(py::str(py::type::of(obj).attr("__name__"))));
  py::array arr = py::reinterpret_borrow<py::array>(obj);
  if (!arr.dtype().is(py::dtype::of<float>()))
    throw py::value_error("input " + std::to_string(index) + " ('" + info.name +
                          "') must have dtype float32, got " +
                          std::string(py::str(arr.dtype())));
  std::vector<int64_t> want(info.shape.begin(), info.shape.end());
  std::vector<int64_t> got(arr.shape(), arr.shape() + arr.ndim());
  int64_t batch = 1;
  bool ok = got == want;
  if (!ok && !want.empty() && want[0] == 1 && got.size() == want.size() && got[0] >= 1) {
    ok = std::equal(got.begin() + 1, got.end(), want.begin() + 1);
    batch = got[0];
  }
  if (!ok) {
    std::vector<int64_t> batched(want);
    std::string alt;
    if (!batched.empty() && batched[0] == 1) {
      alt = " or (N" + shape_text(std::vector<int64_t>(want.begin() + 1, want.end())).substr(1);
      if (want.size() == 1) alt = " or (N,)";
    }
    throw py::value_error("input " + std::to_string(index) + " ('" + info.name +
                          "') must have shape " + shape_text(want) + alt + ", got " +
                          shape_text(got));
  }
  *out = py::array_t<float, py::array::c_style>::ensure(arr);
  return batch;
}

class PyInterpreter {
 public:
  PyInterpreter(const std::string& path, int num_threads, bool tuned, bool fuse) {
    InterpreterOptions o;
    o.num_threads = num_threads;
    o.tuned_kernels = tuned;
    o.fuse = fuse;
    ModelDef def;
    {
      py::gil_scoped_release release;
      def = load_tflite_file(path);
      interp_.reset(new Interpreter(std::move(def), o));
    }
  }

  py::list inputs() const {
    py::list l;
    for (const TensorInfo& t : interp_->inputs()) l.append(tensor_dict(t));
    return l;
  }
  py::list outputs() const {
    py::list l;
    for (const TensorInfo& t : interp_->outputs()) l.append(tensor_dict(t));
    return l;
  }
  py::list nodes() const {
    py::list l;
    for (const NodeInfo& n : interp_->nodes()) {
      py::dict d;
      d["op"] = n.op;
      d["inputs"] = n.inputs;
      d["outputs"] = n.outputs;
      d["impl"] = n.impl;
      l.append(d);
    }
    return l;
  }

  py::list run(const py::sequence& inputs) {
    const auto& infos = interp_->inputs();
    if (static_cast<size_t>(py::len(inputs)) != infos.size())
      throw py::value_error("the model takes " + std::to_string(infos.size()) + " input(s), got " +
                            std::to_string(py::len(inputs)));
    std::vector<py::array_t<float, py::array::c_style>> arrays(infos.size());
    int64_t batch = -1;
    for (size_t i = 0; i < infos.size(); ++i) {
      const int64_t b = check_input(inputs[i], infos[i], i, &arrays[i]);
      if (batch >= 0 && b != batch)
        throw py::value_error("all inputs must have the same batch size");
      batch = b;
    }
    if (batch > (1 << 16)) throw py::value_error("batch size is too large");
    std::vector<const float*> in_ptrs;
    for (auto& a : arrays) in_ptrs.push_back(a.data());
    py::list result;
    std::vector<float*> out_ptrs;
    std::vector<py::array_t<float>> outs;
    for (const TensorInfo& t : interp_->outputs()) {
      std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
      if (!shape.empty() && shape[0] == 1) shape[0] = batch;
      else if (batch != 1) shape.insert(shape.begin(), batch);
      outs.emplace_back(shape);
      out_ptrs.push_back(outs.back().mutable_data());
    }
    {
      py::gil_scoped_release release;
      interp_->run(static_cast<int>(batch), in_ptrs.data(), out_ptrs.data());
    }
    for (auto& o : outs) result.append(o);
    return result;
  }

  py::dict run_capture(const py::sequence& inputs, const std::vector<std::string>& names) {
    const auto& infos = interp_->inputs();
    if (static_cast<size_t>(py::len(inputs)) != infos.size())
      throw py::value_error("the model takes " + std::to_string(infos.size()) + " input(s), got " +
                            std::to_string(py::len(inputs)));
    std::vector<py::array_t<float, py::array::c_style>> arrays(infos.size());
    std::vector<const float*> in_ptrs;
    for (size_t i = 0; i < infos.size(); ++i) {
      if (check_input(inputs[i], infos[i], i, &arrays[i]) != 1)
        throw py::value_error("run_capture takes batch 1");
      in_ptrs.push_back(arrays[i].data());
    }
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
    if (!image.dtype().is(py::dtype::of<uint8_t>()) || image.ndim() != 3 ||
        (image.shape(2) != 3 && image.shape(2) != 4) || image.strides(2) != 1 ||
        image.strides(1) < image.shape(2) || image.strides(0) <= 0)
      throw py::value_error("internal: image must be uint8 (H, W, 3|4) with unit channel stride");
    ImageFrame f;
    f.data = static_cast<const uint8_t*>(image.data());
    f.height = static_cast<int>(image.shape(0));
    f.width = static_cast<int>(image.shape(1));
    f.row_stride = image.strides(0);
    f.pixel_stride = static_cast<int>(image.strides(1));
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
  py::class_<fmn::PyInterpreter>(m, "Interpreter")
      .def(py::init<const std::string&, int, bool, bool>(), py::arg("path"),
           py::arg("num_threads") = 1, py::arg("tuned") = true, py::arg("fuse") = true)
      .def_property_readonly("inputs", &fmn::PyInterpreter::inputs)
      .def_property_readonly("outputs", &fmn::PyInterpreter::outputs)
      .def_property_readonly("nodes", &fmn::PyInterpreter::nodes)
      .def_property_readonly("num_threads", &fmn::PyInterpreter::num_threads)
      .def_property_readonly("constant_bytes", &fmn::PyInterpreter::constant_bytes)
      .def_property_readonly("arena_bytes", &fmn::PyInterpreter::arena_bytes)
      .def("run", &fmn::PyInterpreter::run, py::arg("inputs"))
      .def("run_capture", &fmn::PyInterpreter::run_capture, py::arg("inputs"), py::arg("names"));
  m.def("hardware_threads", &fmn::ThreadPool::hardware_threads);
  m.def("cpu_isa", [] { return std::string(fmn::cpu_kernels_impl_name()); });
  fmn::register_image_bindings(m);
  fmn::register_gl_bindings(m);
}
