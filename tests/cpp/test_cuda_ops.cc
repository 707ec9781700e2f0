// CUDA op kernels against the reference kernels, on the CPU: the shared op suite (op_suite.h)
// through the CUDA executor over the emulation of its kernels (ops/cuda/cuda_emulated.cc runs
// the very same kernel code over its grid), plus the executor's own behaviour (plan, batches,
// graph replay, unsupported ops). With FMN_TEST_CUDA=gpu the same tests run on CUDA device 0
// instead (tools/gpu_check.sh does), and fail when there is none.
#define FMN_TEST_MAIN
#include "testing.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "executors/cuda_executor.h"
#include "gl_test_util.h"
#include "model/tflite_model.h"

namespace {

bool on_gpu() {
  const char* v = std::getenv("FMN_TEST_CUDA");
  return v != nullptr && std::string(v) == "gpu";
}

bool backend_ready() { return true; }

std::unique_ptr<fmn::Executor> make_executor(const fmn::ModelDef& m, int /*max_batch*/, bool fuse) {
  fmn::CudaExecutorOptions o;
  o.emulated = !on_gpu();
  o.fuse = fuse;
  return fmn::create_cuda_executor(m, o);
}

}  // namespace

#define OP_PREFIX cuda_
#include "op_suite.h"

// Every node of a plan runs as a CUDA kernel; batches of any size replay their own captured
// launch sequence (kept per size, least recently used dropped) and agree with the reference.
TEST(cuda_batches_and_graph_reuse) {
  ModelBuilder b;
  const int in = b.input({1, 5, 5, 3});
  const int w = b.fconst({4, 3, 3, 3}, rand_floats(108));
  const int conv_out = b.tensor({1, 5, 5, 4});
  b.op(builtin::kConv2d, {in, w, -1}, {conv_out}).options.padding = Padding::kSame;
  const int out = b.tensor({1, 5, 5, 4});
  b.op(builtin::kMul, {conv_out, b.fconst({4}, {3, 2, 1, 0.5f})}, {out});
  const int mean = b.tensor({1, 4});
  b.op(builtin::kMean, {out, b.iconst({2}, {1, 2})}, {mean});
  b.m.outputs = {out, mean};
  std::vector<NodeInfo> plan;
  for (int batch : {1, 7, 2, 7, 1, 40, 3}) CHECK(compare_model(b.m, batch, "batch " + std::to_string(batch), 1e-5, -1, true, &plan));
  CHECK(plan.size() == 3);
  for (const NodeInfo& n : plan) CHECK(n.impl == "cuda");
  fmn::CudaExecutorOptions o;
  o.emulated = !on_gpu();
  o.max_graphs = 2;
  std::unique_ptr<Executor> ex = fmn::create_cuda_executor(b.m, o);
  CHECK(ex->device() == (on_gpu() ? "cuda:0 (" + fmn::cuda_status().devices.at(0).name + ")" : "cuda-emulation (CPU)"));
  // One executor, many batch sizes in turn, graphs evicted and recaptured.
  for (int batch : {3, 1, 5, 3, 9, 1}) {
    std::vector<float> x = rand_floats(75 * batch);
    std::vector<float> y(100 * batch, -1.f), m(4 * batch, -1.f);
    const float* ins[] = {x.data()};
    float* outs[] = {y.data(), m.data()};
    ex->run(batch, ins, outs);
    const std::vector<std::vector<float>> want = reference_run(b.m, batch, {x});
    CHECK(output_error(y, want[0]).max_err <= 1e-5 * output_error(y, want[0]).max_ref + 1e-7);
    CHECK(output_error(m, want[1]).max_err <= 1e-5 * output_error(m, want[1]).max_ref + 1e-7);
  }
}

// An op without a CUDA kernel is a ModelError naming it, at load.
TEST(cuda_unsupported_is_reported) {
  ModelBuilder b;
  const int in = b.input({1, 4});
  const int out = b.tensor({1, 4});
  b.op(builtin::kDequantize, {in}, {out});
  b.m.outputs = {out};
  bool threw = false;
  try {
    make_executor(b.m, 1, true);
  } catch (const ModelError& e) {
    threw = std::string(e.what()).find("cuda: DEQUANTIZE") != std::string::npos &&
            std::string(e.what()).find("no CUDA kernel") != std::string::npos;
    std::fprintf(stderr, "  message: %s\n", e.what());
  }
  CHECK(threw);
}


// Without a device (or without CUDA in the build) asking for the GPU is a CudaError that says
// why, and cuda_status() says the same; with one, the status lists it.
TEST(cuda_device_status) {
  const fmn::CudaStatus st = fmn::cuda_status();
  std::printf("cuda: built %d (%s; nvcc %s), runtime %d, driver %d, %zu devices%s%s\n", st.built ? 1 : 0,
              st.architectures.c_str(), st.nvcc_version.c_str(), st.runtime_version, st.driver_version,
              st.devices.size(), st.why_unusable.empty() ? "" : ": ", st.why_unusable.c_str());
  if (on_gpu()) {
    CHECK(st.built && !st.devices.empty());
    return;
  }
  if (!st.devices.empty()) return;  // a GPU here: the FMN_TEST_CUDA=gpu run covers it
  CHECK(!st.why_unusable.empty());
  ModelBuilder b;
  const int in = b.input({1, 4});
  const int out = b.tensor({1, 4});
  b.op(builtin::kRelu, {in}, {out});
  b.m.outputs = {out};
  std::string what;
  try {
    fmn::create_cuda_executor(b.m, fmn::CudaExecutorOptions());
  } catch (const fmn::CudaError& e) {
    what = e.what();
  }
  std::printf("  without a device: %s\n", what.c_str());
  CHECK(what.find(st.built ? "no usable CUDA device" : "built without nvcc") != std::string::npos);
}
