// Python bindings of the OpenGL ES compute backend: _core.GlModel and _core.probe_gl().
// Type conversion, GIL release and GL-context thread hand-over only; the work is in
// ops/gl/gl_executor.h and ops/gl/gl_probe.h. The module calls register_gl_bindings(m).
//
// GlModel(path, device="gl", allow_software=False, max_batch=1, fp16=False)
//   fp16: activations between ops and conv filters stored as half floats on the GPU
//   (GlExecutorOptions::fp16_storage); inputs and outputs stay float32. .fp16 reports it.
//   device: "gl" (first usable hardware device, else software when allowed) or "gl:N".
//   Raises ValueError for a malformed device string or model, RuntimeError when no usable GL
//   device exists (the message says why for each candidate) or on a GL failure.
//   .inputs / .outputs / .nodes: as Interpreter's; .device_name: GL_RENDERER; .max_batch.
//   .run(list of float32 arrays) -> list of float32 arrays: each input has the model's shape,
//   or the model's shape with its leading 1 replaced by N (all inputs the same N); outputs
//   likewise lead with N. N above max_batch runs as several GPU passes.
// A GlModel may be used from any Python thread, one call at a time (calls are serialized);
// its GL context is current only during construction, run() and destruction.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cctype>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "ops/gl/gl_executor.h"
#include "ops/gl/gl_probe.h"
#include "runtime/interpreter.h"

namespace py = pybind11;

namespace fmn {
namespace {

std::string shape_text(const std::vector<int64_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  if (s.size() == 1) r += ",";
  return r + ")";
}

py::dict gl_tensor_dict(const TensorInfo& t) {
  py::dict d;
  d["name"] = t.name;
  d["shape"] = py::tuple(py::cast(t.shape));
  std::string dtype = tensor_type_name(t.type);
  for (char& c : dtype) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  d["dtype"] = dtype;
  return d;
}

// Checks one input array against the model's input; returns its batch size.
int64_t check_gl_input(const py::handle& obj, const TensorInfo& info, size_t index,
                       py::array_t<float, py::array::c_style>* out) {
  const std::string which = "input " + std::to_string(index) + " ('" + info.name + "')";
  if (!py::isinstance<py::array>(obj))
    throw py::value_error(which + " must be a numpy.ndarray of float32");
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
  if (!ok) throw py::value_error(which + " must have shape " + shape_text(want) + " (or N in place of a leading 1), got " + shape_text(got));
  *out = py::array_t<float, py::array::c_style>::ensure(arr);
  return batch;
}

class PyGlModel {
 public:
  PyGlModel(const std::string& path, const std::string& device, bool allow_software, int max_batch, bool fp16) {
    py::gil_scoped_release release;
    ModelDef def = load_tflite_file(path);
    std::string why;
    ctx_ = gl::create_gl_context(device, allow_software, &why);
    if (!ctx_) throw std::runtime_error("no usable OpenGL ES 3.1 device for '" + device + "': " + why);
    try {
      gl::GlExecutorOptions options;
      options.fp16_storage = fp16;
      ex_.reset(new gl::GlExecutor(def, ctx_.get(), max_batch, options));
    } catch (...) {
      ctx_->release_current();
      throw;
    }
    ctx_->release_current();
  }

  ~PyGlModel() {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      if (ex_) {
        ctx_->make_current();
        ex_.reset();
        ctx_->release_current();
      }
    } catch (...) {
      // The context could not be made current here: the executor's objects die with it.
    }
    ex_.reset();
    ctx_.reset();
  }

  py::list inputs() const {
    py::list l;
    for (const TensorInfo& t : ex_->inputs()) l.append(gl_tensor_dict(t));
    return l;
  }
  py::list outputs() const {
    py::list l;
    for (const TensorInfo& t : ex_->outputs()) l.append(gl_tensor_dict(t));
    return l;
  }
  py::list nodes() const {
    py::list l;
    for (const NodeInfo& n : ex_->nodes()) {
      py::dict d;
      d["op"] = n.op;
      d["inputs"] = n.inputs;
      d["outputs"] = n.outputs;
      d["impl"] = n.impl;
      l.append(d);
    }
    return l;
  }
  std::string device_name() const { return ex_->device_name(); }
  int max_batch() const { return ex_->max_batch(); }
  bool fp16() const { return ex_->fp16_storage(); }

  py::list run(const py::sequence& inputs) {
    const auto& infos = ex_->inputs();
    if (static_cast<size_t>(py::len(inputs)) != infos.size())
      throw py::value_error("the model takes " + std::to_string(infos.size()) + " input(s), got " +
                            std::to_string(py::len(inputs)));
    std::vector<py::array_t<float, py::array::c_style>> arrays(infos.size());
    int64_t batch = -1;
    for (size_t i = 0; i < infos.size(); ++i) {
      const int64_t b = check_gl_input(inputs[i], infos[i], i, &arrays[i]);
      if (batch >= 0 && b != batch) throw py::value_error("all inputs must have the same batch size");
      batch = b;
    }
    if (batch > (1 << 16)) throw py::value_error("batch size is too large");
    std::vector<const float*> in_ptrs;
    for (auto& a : arrays) in_ptrs.push_back(a.data());
    std::vector<py::array_t<float>> outs;
    std::vector<float*> out_ptrs;
    for (const TensorInfo& t : ex_->outputs()) {
      std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
      if (!shape.empty() && shape[0] == 1) shape[0] = batch;
      else if (batch != 1) shape.insert(shape.begin(), batch);
      outs.emplace_back(shape);
      out_ptrs.push_back(outs.back().mutable_data());
    }
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mu_);
      ctx_->make_current();
      try {
        ex_->run(static_cast<int>(batch), in_ptrs.data(), out_ptrs.data());
      } catch (...) {
        ctx_->release_current();
        throw;
      }
      ctx_->release_current();
    }
    py::list result;
    for (auto& o : outs) result.append(o);
    return result;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<gl::GlContext> ctx_;
  std::unique_ptr<gl::GlExecutor> ex_;
};

py::dict device_dict(const gl::GlDeviceInfo& d) {
  py::dict r;
  r["index"] = d.index;
  r["platform"] = d.platform;
  r["egl_vendor"] = d.egl_vendor;
  r["egl_version"] = d.egl_version;
  r["egl_extensions"] = d.egl_extensions;
  r["device_extensions"] = d.device_extensions;
  r["drm_path"] = d.drm_path;
  r["cuda_device"] = d.cuda_device;
  r["gl_vendor"] = d.gl_vendor;
  r["gl_renderer"] = d.gl_renderer;
  r["gl_version"] = d.gl_version;
  r["glsl_version"] = d.glsl_version;
  r["gl_major"] = d.gl_major;
  r["gl_minor"] = d.gl_minor;
  py::dict l;
  const gl::GlComputeLimits& lim = d.limits;
  l["work_group_count"] = py::make_tuple(lim.work_group_count[0], lim.work_group_count[1], lim.work_group_count[2]);
  l["work_group_size"] = py::make_tuple(lim.work_group_size[0], lim.work_group_size[1], lim.work_group_size[2]);
  l["work_group_invocations"] = lim.work_group_invocations;
  l["shared_memory_bytes"] = lim.shared_memory_bytes;
  l["compute_ssbo_blocks"] = lim.compute_ssbo_blocks;
  l["ssbo_bindings"] = lim.ssbo_bindings;
  l["compute_image_uniforms"] = lim.compute_image_uniforms;
  l["ssbo_block_bytes"] = lim.ssbo_block_bytes;
  r["limits"] = l;
  r["software"] = d.software;
  r["usable"] = d.usable;
  r["reason"] = d.reason;
  return r;
}

py::dict probe_gl_dict(bool hardware_only) {
  gl::GlProbe p;
  {
    py::gil_scoped_release release;
    p = gl::probe_gl(hardware_only);
  }
  py::dict r;
  r["egl_loaded"] = p.egl_loaded;
  r["egl_library"] = p.egl_library;
  r["load_error"] = p.load_error;
  r["client_extensions"] = p.client_extensions;
  r["notes"] = p.notes;
  py::list devices;
  for (const gl::GlDeviceInfo& d : p.devices) devices.append(device_dict(d));
  r["devices"] = devices;
  r["text"] = gl::describe_probe(p);
  return r;
}

}  // namespace

void register_gl_bindings(py::module_& m) {
  py::class_<PyGlModel>(m, "GlModel")
      .def(py::init<const std::string&, const std::string&, bool, int, bool>(), py::arg("path"),
           py::arg("device") = "gl", py::arg("allow_software") = false, py::arg("max_batch") = 1,
           py::arg("fp16") = false)
      .def_property_readonly("inputs", &PyGlModel::inputs)
      .def_property_readonly("outputs", &PyGlModel::outputs)
      .def_property_readonly("nodes", &PyGlModel::nodes)
      .def_property_readonly("device_name", &PyGlModel::device_name)
      .def_property_readonly("max_batch", &PyGlModel::max_batch)
      .def_property_readonly("fp16", &PyGlModel::fp16)
      .def("run", &PyGlModel::run, py::arg("inputs"));
  m.def("probe_gl", &probe_gl_dict, py::arg("hardware_only") = false,
        "Probes every EGL/GL ES candidate device; a dict of GlProbe's fields, devices as dicts "
        "with GlDeviceInfo's fields (limits nested), and 'text' (describe_probe()). "
        "hardware_only: do not start software rasterizers (the probe 'auto' uses).");
}

}  // namespace fmn
