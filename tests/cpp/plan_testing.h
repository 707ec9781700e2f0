// Helpers shared by the C++ tests of runtime/graph_plan: the bundled models' paths, op counts,
// running a plan node by node with per-node kernels, and comparing outputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ops/reference/reference_kernels.h"
#include "ops/cpu/cpu_backend.h"
#include "runtime/graph_plan.h"
#include "executors/interpreter.h"
#include "runtime/kernel.h"
#include "testing.h"

namespace fmn_test {

inline std::string model_path(const char* name) {
  return std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/" + name;
}

// How many of the plan's nodes have this builtin code.
inline int count_op(const fmn::GraphPlan& p, int32_t code) {
  int n = 0;
  for (const fmn::PlannedNode& node : p.nodes()) n += node.op.builtin_code == code;
  return n;
}

// Runs the plan's nodes in order on batch 1, each with its own kernel over per-tensor buffers
// (64-byte aligned), and returns the graph outputs.
inline std::vector<std::vector<float>> execute(const fmn::GraphPlan& plan,
                                        const std::vector<std::vector<float>>& inputs,
                                        bool tuned) {
  const size_t num_tensors = plan.tensors().size();
  std::vector<std::vector<float>> store(num_tensors);
  std::vector<float*> data(num_tensors, nullptr);
  auto buffer = [&](int32_t id) {
    if (!data[id]) {
      store[id].assign(plan.bytes(id) / sizeof(float) + 32, 0.f);
      const uintptr_t a = reinterpret_cast<uintptr_t>(store[id].data());
      data[id] = store[id].data() + ((64 - a % 64) % 64) / sizeof(float);
    }
    return data[id];
  };
  for (size_t i = 0; i < plan.inputs().size(); ++i) {
    float* d = buffer(plan.inputs()[i]);
    std::copy(inputs[i].begin(), inputs[i].end(), d);
  }
  auto view = [&](int32_t id) {
    fmn::TensorView v = plan.view(id);
    if (id >= 0 && !v.is_constant) v.data = buffer(id);
    return v;
  };
  for (const fmn::PlannedNode& node : plan.nodes()) {
    fmn::OpContext ctx;
    ctx.op = &node.op;
    ctx.op_name = node.name;
    ctx.epilogue = node.epilogue;
    ctx.padding = node.padding;
    for (int32_t id : node.inputs) ctx.inputs.push_back(view(id));
    for (int32_t id : node.outputs) ctx.outputs.push_back(view(id));
    std::unique_ptr<fmn::Kernel> k = tuned ? fmn::create_cpu_kernel(ctx) : nullptr;
    if (!k) k = fmn::create_reference_kernel(ctx);
    std::vector<float> scratch(k->prepare(ctx) / sizeof(float) + 32);
    fmn::NodeArgs args;
    args.inputs = ctx.inputs;
    args.outputs = ctx.outputs;
    const uintptr_t a = reinterpret_cast<uintptr_t>(scratch.data());
    args.scratch = scratch.data() + ((64 - a % 64) % 64) / sizeof(float);
    k->run(args, nullptr);
  }
  std::vector<std::vector<float>> out;
  for (int32_t id : plan.outputs()) {
    const float* d = data[id];
    out.emplace_back(d, d + plan.num_elements(id));
  }
  return out;
}

// |got - want| <= rel * max |want| per output tensor.
inline void check_close(const std::vector<std::vector<float>>& got,
                 const std::vector<std::vector<float>>& want, float rel, const std::string& what) {
  CHECK(got.size() == want.size());
  for (size_t t = 0; t < got.size() && t < want.size(); ++t) {
    CHECK(got[t].size() == want[t].size());
    float max_abs = 0.f, worst = 0.f;
    for (float v : want[t]) max_abs = std::max(max_abs, std::fabs(v));
    CHECK(max_abs > 0.f);  // an all-zero output would make the comparison vacuous
    for (size_t i = 0; i < got[t].size() && i < want[t].size(); ++i) {
      const float d = std::fabs(got[t][i] - want[t][i]);
      if (!(d <= worst)) worst = std::isnan(d) ? INFINITY : d;
    }
    if (!(worst <= rel * max_abs))
      fmn_test::fail(__FILE__, __LINE__,
                     what + ": output " + std::to_string(t) + " max err " + std::to_string(worst) +
                         " vs max |want| " + std::to_string(max_abs));
  }
}

inline std::vector<std::vector<float>> random_inputs(const fmn::GraphPlan& plan, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<std::vector<float>> in;
  for (int32_t id : plan.inputs()) {
    in.emplace_back(static_cast<size_t>(plan.num_elements(id)));
    for (float& v : in.back()) v = u(rng);
  }
  return in;
}

}  // namespace fmn_test
