// Type conversion shared by the model bindings (bindings.cc: CPU Interpreter, bind_gl.cc:
// GlModel): tensor metadata to dicts, numpy inputs checked against a model's inputs, and
// output arrays shaped for a batch. Errors are ValueError texts that say what was expected.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "graph/calculator.h"
#include "model/tflite_model.h"
#include "executors/interpreter.h"

namespace fmn {
namespace pyconv {

namespace py = pybind11;
using FloatArray = py::array_t<float, py::array::c_style>;

// A model from a path (str) or from the bytes of a .tflite file (no temporary file). The GIL
// is held only while the bytes are copied out.
inline ModelDef load_model(const py::object& source) {
  if (py::isinstance<py::bytes>(source)) {
    const std::string data = source.cast<std::string>();
    py::gil_scoped_release release;
    return parse_tflite(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  const std::string path = source.cast<std::string>();
  py::gil_scoped_release release;
  return load_tflite_file(path);
}

// The largest frame side the pipelines take (image_to_tensor's limit), checked before any copy.
constexpr int64_t kMaxFrameSide = 32768;

// Raises MemoryError (as numpy does when an allocation fails).
[[noreturn]] inline void throw_memory_error(const std::string& what) {
  PyErr_SetString(PyExc_MemoryError, what.c_str());
  throw py::error_already_set();
}

// arr as a C-contiguous array of T: arr itself when it already is one, else a copy. A copy that
// cannot be made raises MemoryError instead of returning an empty array.
template <typename T>
py::array_t<T, py::array::c_style> contiguous_or_raise(const py::array& arr, const std::string& what) {
  auto out = py::array_t<T, py::array::c_style>::ensure(arr);
  if (!out) {
    if (PyErr_Occurred()) throw py::error_already_set();
    throw_memory_error("cannot make a contiguous copy of " + what + " (out of memory?)");
  }
  return out;
}

// An ImageFrame viewing a uint8 (H, W, 3|4) array with a unit channel stride and positive
// pixel and row strides (the Python layer makes such a view or copy). Every size and stride is
// checked in 64 bits before it is narrowed; ValueError names the problem.
inline ImageFrame image_frame(const py::array& image) {
  if (!image.dtype().is(py::dtype::of<uint8_t>()) || image.ndim() != 3 ||
      (image.shape(2) != 3 && image.shape(2) != 4) || image.strides(2) != 1 ||
      image.strides(1) < image.shape(2) || image.strides(0) <= 0)
    throw py::value_error("image must be uint8 (H, W, 3|4) with unit channel stride");
  const int64_t h = image.shape(0), w = image.shape(1), ps = image.strides(1), rs = image.strides(0);
  if (h < 1 || w < 1) throw py::value_error("the frame is empty");
  if (h > kMaxFrameSide || w > kMaxFrameSide)
    throw py::value_error("the frame is too large: " + std::to_string(h) + " x " + std::to_string(w) +
                          " (at most " + std::to_string(kMaxFrameSide) + " pixels a side)");
  if (ps > 4 || rs < w * ps || rs > (int64_t{1} << 30))
    throw py::value_error("the frame's strides (" + std::to_string(rs) + ", " + std::to_string(ps) +
                          ", 1) do not fit its size");
  ImageFrame f;
  f.data = static_cast<const uint8_t*>(image.data());
  f.height = static_cast<int>(h);
  f.width = static_cast<int>(w);
  f.row_stride = rs;
  f.pixel_stride = static_cast<int>(ps);
  return f;
}

inline std::string shape_text(const std::vector<int64_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  if (s.size() == 1) r += ",";
  return r + ")";
}

// {name, shape (tuple), dtype (numpy's spelling, e.g. "float32")}.
inline py::dict tensor_dict(const TensorInfo& t) {
  py::dict d;
  d["name"] = t.name;
  d["shape"] = py::tuple(py::cast(t.shape));
  std::string dtype = tensor_type_name(t.type);
  for (char& c : dtype) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  d["dtype"] = dtype;
  return d;
}

inline py::list tensor_list(const std::vector<TensorInfo>& infos) {
  py::list l;
  for (const TensorInfo& t : infos) l.append(tensor_dict(t));
  return l;
}

// The execution plan: [{op, inputs, outputs, impl}].
inline py::list node_list(const std::vector<NodeInfo>& nodes) {
  py::list l;
  for (const NodeInfo& n : nodes) {
    py::dict d;
    d["op"] = n.op;
    d["inputs"] = n.inputs;
    d["outputs"] = n.outputs;
    d["impl"] = n.impl;
    l.append(d);
  }
  return l;
}

constexpr int64_t kMaxBatch = int64_t{1} << 16;

// Checks one input against the model's input and returns its batch size. Accepted: float32 of
// exactly the model's shape, or with the model's leading 1 replaced by N >= 1 (any strides; a
// C-contiguous copy is made when needed).
inline int64_t check_input(const py::handle& obj, const TensorInfo& info, size_t index,
                           FloatArray* out) {
  const std::string which = "input " + std::to_string(index) + " ('" + info.name + "')";
  if (!py::isinstance<py::array>(obj))
    throw py::value_error(which + " must be a numpy.ndarray of float32, got " +
                          std::string(py::str(py::type::of(obj).attr("__name__"))));
  py::array arr = py::reinterpret_borrow<py::array>(obj);
  if (!arr.dtype().is(py::dtype::of<float>()))
    throw py::value_error(which + " must have dtype float32, got " + std::string(py::str(arr.dtype())));
  const std::vector<int64_t> want(info.shape.begin(), info.shape.end());
  const std::vector<int64_t> got(arr.shape(), arr.shape() + arr.ndim());
  int64_t batch = 1;
  bool ok = got == want;
  if (!ok && !want.empty() && want[0] == 1 && got.size() == want.size() && got[0] >= 1 &&
      std::equal(got.begin() + 1, got.end(), want.begin() + 1)) {
    ok = true;
    batch = got[0];
  }
  if (!ok) {
    std::string alt;
    if (!want.empty() && want[0] == 1)
      alt = want.size() == 1 ? " or (N,)"
                             : " or (N, " + shape_text(std::vector<int64_t>(want.begin() + 1, want.end())).substr(1);
    throw py::value_error(which + " must have shape " + shape_text(want) + alt + ", got " + shape_text(got));
  }
  if (batch > kMaxBatch)   // before any copy: a broadcast view may stand for terabytes
    throw py::value_error(which + ": batch size " + std::to_string(batch) + " is too large (at most " +
                          std::to_string(kMaxBatch) + ")");
  *out = contiguous_or_raise<float>(arr, which);
  return batch;
}

// Checks all inputs (count, each one, equal batch sizes); returns the batch size and fills the
// contiguous arrays and their data pointers.
inline int64_t check_inputs(const py::sequence& inputs, const std::vector<TensorInfo>& infos,
                            std::vector<FloatArray>* arrays, std::vector<const float*>* ptrs) {
  if (static_cast<size_t>(py::len(inputs)) != infos.size())
    throw py::value_error("the model takes " + std::to_string(infos.size()) + " input(s), got " +
                          std::to_string(py::len(inputs)));
  arrays->assign(infos.size(), FloatArray());
  ptrs->clear();
  int64_t batch = -1;
  for (size_t i = 0; i < infos.size(); ++i) {
    const int64_t b = check_input(inputs[i], infos[i], i, &(*arrays)[i]);
    if (batch >= 0 && b != batch) throw py::value_error("all inputs must have the same batch size");
    batch = b;
    ptrs->push_back((*arrays)[i].data());
  }
  return batch;
}

// Output arrays for `batch` items: the model's shape with its leading 1 replaced by the batch
// (or a batch dimension prepended when the shape does not lead with 1).
inline void make_outputs(const std::vector<TensorInfo>& infos, int64_t batch,
                         std::vector<py::array_t<float>>* outs, std::vector<float*>* ptrs) {
  outs->clear();
  ptrs->clear();
  for (const TensorInfo& t : infos) {
    std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
    if (!shape.empty() && shape[0] == 1) shape[0] = batch;
    else if (batch != 1) shape.insert(shape.begin(), batch);
    outs->emplace_back(shape);
    ptrs->push_back(outs->back().mutable_data());
  }
}

inline py::list to_list(std::vector<py::array_t<float>>& outs) {
  py::list l;
  for (auto& o : outs) l.append(o);
  return l;
}

}  // namespace pyconv
}  // namespace fmn
