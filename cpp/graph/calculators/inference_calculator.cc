// Inference: runs a model on a batch of input tensors with the engine's interpreter.
//
//   TENSORS (TensorBatch): input batch, tensors[0] holds batch * model input floats, or on
//            device "gl" a GPU tensor (TensorBatch::on_gpu) consumed without a CPU round trip
//   TENSORS (output, TensorBatch): one buffer per model output, batch-major
//   side MAX_BATCH (int, optional): largest batch; output buffers are sized for it at open
//   options { model: "face_landmark" }   a bundled model name, resolved in services.models_dir
//
// The model's backend is services.device ("cpu": the CPU interpreter; "gl": the OpenGL ES
// executor on services.gl_context, all batch items in one GPU pass; "cuda": the CUDA executor
// on services.cuda_device, or its CPU emulation, all batch items in one launch per op, the
// input read in place from the device when ImageToTensor cropped there); what ran is recorded in
// services.report under "inference.<model>".
#include <memory>

#include "graph/calculator.h"
#include "model/tflite_model.h"
#include "ops/gl/gl_context.h"
#include "executors/cuda_executor.h"
#include "executors/gl_executor.h"
#include "executors/interpreter.h"

namespace fmn {
namespace {

class Inference : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    model_ = cc.options().get_string("model");
    if (model_.empty()) throw GraphError(cc.node().name + ": options.model is required");
    GraphServices& s = cc.services();
    const std::string path = model_.find('/') != std::string::npos
                                 ? model_
                                 : s.models_dir + "/" + model_ + ".tflite";
    max_batch_ = std::max<int64_t>(1, static_cast<int64_t>(side_number(cc, "MAX_BATCH", 1)));
    if (s.device == "cpu") {
      InterpreterOptions o;
      o.num_threads = std::max(1, s.num_threads);
      o.pool = s.pool;
      exec_.reset(new Interpreter(load_tflite_file(path), o));
    } else if (s.device == "gl") {
      if (!s.gl_context) throw GraphError(cc.node().name + ": device 'gl' without a GL context");
      gl_ = s.gl_context;
      gl_->make_current();
      try {
        gl::GlExecutorOptions o;
        o.fp16_storage = s.gl_fp16;
        gl_exec_ = new gl::GlExecutor(load_tflite_file(path), gl_.get(), static_cast<int>(max_batch_), o);
        exec_.reset(gl_exec_);
      } catch (...) {
        gl_->release_current();
        throw;
      }
      gl_->release_current();
    } else if (s.device == "cuda") {
      CudaExecutorOptions o;
      o.device = s.cuda_device;
      o.emulated = s.cuda_emulated;
      std::unique_ptr<CudaModelExecutor> e = create_cuda_executor(load_tflite_file(path), o);
      cuda_exec_ = e.get();
      exec_ = std::move(e);
    } else {
      throw GraphError(cc.node().name + ": unknown device '" + s.device + "'");
    }
    s.report["inference." + model_] = exec_->device();
    const std::vector<TensorInfo>* ins = &exec_->inputs();
    const std::vector<TensorInfo>* outs = &exec_->outputs();
    if (ins->size() != 1) throw GraphError(model_ + ": expected one input tensor");
    in_elems_ = (*ins)[0].num_elements();
    for (const TensorInfo& t : *outs) out_elems_.push_back(t.num_elements());
    out_ptrs_.resize(out_elems_.size());
  }

  ~Inference() override {
    if (gl_exec_) {
      try {
        gl_->make_current();
        exec_.reset();
        gl_->release_current();
      } catch (...) {
        // The context could not be made current: its objects go with the context.
      }
    }
  }

  void process(CalculatorContext& cc) override {
    if (!cc.input_present("TENSORS")) return;
    const TensorBatch& in = cc.input_as<TensorBatch>("TENSORS");
    if (in.batch <= 0) return;
    if (in.on_gpu) {
      if (!gl_exec_ && !(cuda_exec_ && in.cuda_data))
        throw GraphError(cc.node().name + ": a GPU input tensor needs its device's executor");
      if (in.per_item.empty() || in.per_item[0] != in_elems_)
        throw GraphError(cc.node().name + ": GPU input items do not match the model input size");
    } else if (in.tensors.empty() || static_cast<int64_t>(in.tensors[0].size()) < in.batch * in_elems_)
      throw GraphError(cc.node().name + ": input batch is smaller than the model input");
    TensorBatch& out = cc.output<TensorBatch>("TENSORS");
    out.batch = in.batch;
    const int64_t capacity = std::max<int64_t>(in.batch, max_batch_);
    out.tensors.resize(out_elems_.size());
    out.per_item = out_elems_;
    for (size_t j = 0; j < out_elems_.size(); ++j) {
      if (static_cast<int64_t>(out.tensors[j].size()) < capacity * out_elems_[j])
        out.tensors[j].resize(static_cast<size_t>(capacity * out_elems_[j]));
      out_ptrs_[j] = out.tensors[j].data();
    }
    const float* in_ptr = in.on_gpu ? nullptr : in.tensors[0].data();
    if (cuda_exec_ && in.on_gpu) {
      cuda_exec_->run_from_device(in.batch, in.cuda_data, out_ptrs_.data());
      return;
    }
    if (!gl_exec_) {
      exec_->run(in.batch, &in_ptr, out_ptrs_.data());
      return;
    }
    gl_->make_current();  // released after the run: the graph may move between threads
    try {
      if (in.on_gpu)
        gl_exec_->run_from_buffer(in.batch, in.gl_buffer, static_cast<size_t>(in.gl_offset_bytes),
                                  out_ptrs_.data());
      else
        gl_exec_->run(in.batch, &in_ptr, out_ptrs_.data());
    } catch (...) {
      gl_->release_current();
      throw;
    }
    gl_->release_current();
  }

 private:
  std::string model_;
  std::unique_ptr<Executor> exec_;
  std::shared_ptr<gl::GlContext> gl_;
  gl::GlExecutor* gl_exec_ = nullptr;  // exec_ on device "gl" (GPU-resident inputs)
  CudaModelExecutor* cuda_exec_ = nullptr;  // exec_ on device "cuda" (device-resident inputs)
  int64_t max_batch_ = 1, in_elems_ = 0;
  std::vector<int64_t> out_elems_;
  std::vector<float*> out_ptrs_;
};

}  // namespace

void register_inference_calculators() { register_calculator_type<Inference>("Inference"); }

}  // namespace fmn
