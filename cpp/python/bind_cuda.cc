// Python bindings of the CUDA backend: _core.CudaModel and _core.cuda_status(). Type
// conversion and GIL release only; the work is in executors/cuda_executor.h. The module calls
// register_cuda_bindings(m).
//
// CudaModel(source, device=0, emulated=False)
//   device: the CUDA device index ("cuda:N"); emulated: the CPU emulation of the CUDA kernels
//   (the same kernel code, run over its grid on the host; what CI tests, slow).
//   Raises ValueError for a malformed model or an op without a CUDA kernel, RuntimeError
//   (CudaError) when no device is usable (the message says why) or on a CUDA failure.
//   .inputs / .outputs / .nodes: as Interpreter's; .device_name: "cuda:N (<name>)" or
//   "cuda-emulation (CPU)". .run(list of float32 arrays) -> list of float32 arrays: each input
//   has the model's shape, or its leading 1 replaced by a batch N (one launch per op for all N).
// A CudaModel may be used from any Python thread; calls are serialised.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "executors/cuda_executor.h"
#include "model/tflite_model.h"
#include "python/convert.h"

namespace py = pybind11;

namespace fmn {
namespace {

class PyCudaModel {
 public:
  PyCudaModel(const py::object& source, int device, bool emulated) {
    ModelDef def = pyconv::load_model(source);
    CudaExecutorOptions o;
    o.device = device;
    o.emulated = emulated;
    py::gil_scoped_release release;
    ex_ = create_cuda_executor(def, o);
  }

  py::list inputs() const { return pyconv::tensor_list(ex_->inputs()); }
  py::list outputs() const { return pyconv::tensor_list(ex_->outputs()); }
  py::list nodes() const { return pyconv::node_list(ex_->nodes()); }
  std::string device_name() const { return ex_->device(); }

  py::list run(const py::sequence& inputs) {
    std::vector<pyconv::FloatArray> arrays;
    std::vector<const float*> in_ptrs;
    const int64_t batch = pyconv::check_inputs(inputs, ex_->inputs(), &arrays, &in_ptrs);
    std::vector<py::array_t<float>> outs;
    std::vector<float*> out_ptrs;
    pyconv::make_outputs(ex_->outputs(), batch, &outs, &out_ptrs);
    {
      py::gil_scoped_release release;
      ex_->run(static_cast<int>(batch), in_ptrs.data(), out_ptrs.data());
    }
    return pyconv::to_list(outs);
  }

 private:
  std::unique_ptr<Executor> ex_;
};

py::dict cuda_status_dict() {
  const CudaStatus s = cuda_status();
  py::dict d;
  d["built"] = s.built;
  d["architectures"] = s.architectures;
  d["nvcc_version"] = s.nvcc_version;
  d["runtime_version"] = s.runtime_version;
  d["driver_version"] = s.driver_version;
  py::list devices;
  for (const CudaDeviceSummary& c : s.devices) {
    py::dict x;
    x["index"] = c.index;
    x["name"] = c.name;
    x["compute_capability"] = std::to_string(c.cc_major) + "." + std::to_string(c.cc_minor);
    x["total_memory"] = c.total_memory;
    x["multiprocessors"] = c.multiprocessors;
    devices.append(x);
  }
  d["devices"] = devices;
  d["why_unusable"] = s.why_unusable;
  return d;
}

}  // namespace

void register_cuda_bindings(py::module_& m) {
  py::register_exception<CudaError>(m, "CudaError", PyExc_RuntimeError);
  py::class_<PyCudaModel>(m, "CudaModel")
      .def(py::init<const py::object&, int, bool>(), py::arg("source"), py::arg("device") = 0,
           py::arg("emulated") = false)
      .def_property_readonly("inputs", &PyCudaModel::inputs)
      .def_property_readonly("outputs", &PyCudaModel::outputs)
      .def_property_readonly("nodes", &PyCudaModel::nodes)
      .def_property_readonly("device_name", &PyCudaModel::device_name)
      .def("run", &PyCudaModel::run, py::arg("inputs"));
  m.def("cuda_status", &cuda_status_dict,
        "The CUDA backend: built (and for which architectures, with which nvcc), runtime and "
        "driver versions, devices (name, compute capability, memory), why_unusable.");
}

}  // namespace fmn
