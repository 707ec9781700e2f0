// Python bindings of the OpenGL ES compute backend: _core.GlModel and _core.probe_gl().
// Type conversion, GIL release and GL-context thread hand-over only; the work is in
// executors/gl_executor.h and ops/gl/gl_probe.h. The module calls register_gl_bindings(m).
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
#include "executors/gl_executor.h"
#include "ops/gl/gl_probe.h"
#include "python/convert.h"
#include "executors/interpreter.h"

namespace py = pybind11;

namespace fmn {
namespace {

class PyGlModel {
 public:
  // source: a path (str) or the model's bytes.
  PyGlModel(const py::object& source, const std::string& device, bool allow_software, int max_batch, bool fp16) {
    ModelDef def = pyconv::load_model(source);
    py::gil_scoped_release release;
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

  py::list inputs() const { return pyconv::tensor_list(ex_->inputs()); }
  py::list outputs() const { return pyconv::tensor_list(ex_->outputs()); }
  py::list nodes() const { return pyconv::node_list(ex_->nodes()); }
  std::string device_name() const { return ex_->device_name(); }
  int max_batch() const { return ex_->max_batch(); }
  bool fp16() const { return ex_->fp16_storage(); }

  py::list run(const py::sequence& inputs) {
    std::vector<pyconv::FloatArray> arrays;
    std::vector<const float*> in_ptrs;
    const int64_t batch = pyconv::check_inputs(inputs, ex_->inputs(), &arrays, &in_ptrs);
    std::vector<py::array_t<float>> outs;
    std::vector<float*> out_ptrs;
    pyconv::make_outputs(ex_->outputs(), batch, &outs, &out_ptrs);
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
    return pyconv::to_list(outs);
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
      .def(py::init<const py::object&, const std::string&, bool, int, bool>(), py::arg("source"),
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
