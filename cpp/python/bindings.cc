// Python bindings: type conversion and GIL release only; every decision lives in C++ or in the
// thin Python layer (python/facemesh_native/).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "runtime/interpreter.h"
#include "runtime/thread_pool.h"

namespace py = pybind11;

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

}  // namespace
}  // namespace fmn

PYBIND11_MODULE(_core, m) {
  m.doc() = "facemesh_native native engine (private; use the facemesh_native package)";
  py::register_exception<fmn::ModelError>(m, "ModelError", PyExc_ValueError);
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
}
