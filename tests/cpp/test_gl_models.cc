// The three face models on GL (GlExecutor, batch 3 in one pass) against the CPU interpreter
// with reference kernels, on random inputs: every output within 1e-3 of its largest
// reference magnitude. Prints load (plan + shader compilation) and run times.
// Without a usable GL device the tests print SKIP and pass, unless FMN_TEST_REQUIRE_GL=1.
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "executors/gl_executor.h"
#include "ops/gl/gl_probe.h"
#include "executors/interpreter.h"
#include "gl_test_util.h"

using namespace fmn;
using namespace gltest;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void check_model(const char* file, float lo, float hi) {
  gl::GlContext* ctx = context();
  if (!ctx) return;
  const std::string path = std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/" + file;
  const int batch = 3;
  InterpreterOptions ro;
  ro.tuned_kernels = false;
  Interpreter reference(load_tflite_file(path), ro);

  auto t0 = std::chrono::steady_clock::now();
  gl::GlExecutor ex(load_tflite_file(path), ctx, batch);
  const double load_s = seconds_since(t0);
  CHECK(ex.inputs().size() == reference.inputs().size());
  CHECK(ex.outputs().size() == reference.outputs().size());
  for (const NodeInfo& n : ex.nodes()) CHECK(n.impl == "gl" || n.impl == "gl.alias");

  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<std::vector<float>> inputs;
  std::vector<const float*> in_ptrs;
  for (const TensorInfo& t : ex.inputs()) {
    inputs.emplace_back(static_cast<size_t>(t.num_elements() * batch));
    for (float& v : inputs.back()) v = u(rng);
    in_ptrs.push_back(inputs.back().data());
  }
  std::vector<std::vector<float>> want(ex.outputs().size()), got(ex.outputs().size());
  std::vector<float*> want_ptrs, got_ptrs;
  for (size_t j = 0; j < want.size(); ++j) {
    const size_t n = static_cast<size_t>(ex.outputs()[j].num_elements() * batch);
    want[j].assign(n, 0.f);
    got[j].assign(n, std::nanf(""));
    want_ptrs.push_back(want[j].data());
    got_ptrs.push_back(got[j].data());
  }
  reference.run(batch, in_ptrs.data(), want_ptrs.data());
  t0 = std::chrono::steady_clock::now();
  ex.run(batch, in_ptrs.data(), got_ptrs.data());
  const double first_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  ex.run(batch, in_ptrs.data(), got_ptrs.data());
  const double run_s = seconds_since(t0);
  std::printf("%s on %s: %zu nodes, %zu dispatches, %zu programs, %.1f MiB activations; load %.2f s, "
              "batch %d: first run %.3f s, next %.3f s\n",
              file, ex.device_name().c_str(), ex.nodes().size(), ex.num_dispatches(), ex.num_programs(),
              ex.activation_bytes() / 1048576.0, load_s, batch, first_s, run_s);

  for (size_t j = 0; j < want.size(); ++j) {
    const OutputError e = output_error(got[j], want[j]);
    const bool ok = e.max_err <= 1e-3 * e.max_ref;
    std::printf("  %-24s max|ref| %-10.4g max err %-10.3g (%.2g relative)%s\n", ex.outputs()[j].name.c_str(),
                e.max_ref, e.max_err, e.relative(), ok ? "" : "  FAIL");
    CHECK(ok);
    CHECK(e.max_ref > 0);
  }
}

}  // namespace

TEST(gl_model_face_detection_short_range) { check_model("face_detection_short_range.tflite", -1.f, 1.f); }
TEST(gl_model_face_landmark) { check_model("face_landmark.tflite", 0.f, 1.f); }
TEST(gl_model_face_landmark_with_attention) { check_model("face_landmark_with_attention.tflite", 0.f, 1.f); }
