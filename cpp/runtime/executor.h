// The interface every backend's executor implements (executors/: the CPU Interpreter, the GL
// executor, the CUDA executor). An executor turns a ModelDef into something it runs once, at
// construction, through the shared GraphPlan (runtime/graph_plan.h) and its backend's kernels
// (ops/<backend>/); per call it only computes. Adding a backend is a folder of kernels under
// ops/ and one Executor here; the graph (Inference calculator) and the bindings take any.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/tflite_model.h"

namespace fmn {

struct TensorInfo {
  std::string name;
  std::vector<int32_t> shape;  // batch-1 shape as the model defines it
  TensorType type = TensorType::kFloat32;
  int64_t num_elements() const {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    return n;
  }
};

struct NodeInfo {
  std::string op;                    // "CONV_2D", a custom op's name; fused: "CONV_2D+ADD+PRELU"
  std::vector<std::string> inputs;   // tensor names
  std::vector<std::string> outputs;
  std::string impl;                  // the kernel that runs it: "reference", "cpu.avx512", "gl", "cuda"
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual const std::vector<TensorInfo>& inputs() const = 0;
  virtual const std::vector<TensorInfo>& outputs() const = 0;
  // The plan: one entry per node that remains after folding and fusion.
  virtual const std::vector<NodeInfo>& nodes() const = 0;
  // Host memory: inputs[i] holds batch * inputs()[i].num_elements() floats (sample-major),
  // outputs[j] likewise. batch >= 1. Calls are serialised per executor.
  virtual void run(int batch, const float* const* inputs, float* const* outputs) = 0;
  // What runs it, for reports: "cpu", "gl (<GL_RENDERER>)", "cuda:0 (<device name>)".
  virtual std::string device() const = 0;
};

}  // namespace fmn
