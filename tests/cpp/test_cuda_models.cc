// Every bundled model through the CUDA executor over the emulation of its kernels (the very
// same kernel code the GPU build runs; ops/cuda/cuda_emulated.cc) against the CPU interpreter
// with reference kernels, on random inputs, batch 1 and 3: every output within 1e-4 of its
// largest reference magnitude. The four .tflite files and the three models of the
// face_landmarker.task bundle (a zip whose members are stored uncompressed). With
// FMN_TEST_CUDA=gpu they run on CUDA device 0 instead (tools/gpu_check.sh).
#define FMN_TEST_MAIN
#include "testing.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "executors/cuda_executor.h"
#include "executors/interpreter.h"
#include "gl_test_util.h"
#include "model/tflite_model.h"

using namespace fmn;
using namespace gltest;

namespace {

std::string bundled(const std::string& file) { return std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/" + file; }

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// A member stored (method 0) in a zip, found through the central directory.
std::vector<uint8_t> stored_zip_member(const std::vector<uint8_t>& zip, const std::string& name) {
  auto u16 = [&](size_t o) { return static_cast<uint32_t>(zip[o] | zip[o + 1] << 8); };
  auto u32 = [&](size_t o) { return u16(o) | u16(o + 2) << 16; };
  if (zip.size() < 22) return {};
  size_t eocd = zip.size() - 22;
  while (eocd > 0 && u32(eocd) != 0x06054b50u) --eocd;
  if (u32(eocd) != 0x06054b50u) return {};
  const uint32_t entries = u16(eocd + 10);
  size_t o = u32(eocd + 16);
  for (uint32_t e = 0; e < entries && o + 46 <= zip.size(); ++e) {
    if (u32(o) != 0x02014b50u) break;
    const uint32_t method = u16(o + 10), size = u32(o + 20);
    const uint32_t name_len = u16(o + 28), extra = u16(o + 30), comment = u16(o + 32);
    const size_t local = u32(o + 42);
    const std::string n(reinterpret_cast<const char*>(&zip[o + 46]), name_len);
    if (n == name && method == 0 && local + 30 <= zip.size()) {
      const size_t data = local + 30 + u16(local + 26) + u16(local + 28);
      if (data + size <= zip.size())
        return std::vector<uint8_t>(zip.begin() + static_cast<long>(data), zip.begin() + static_cast<long>(data + size));
    }
    o += 46 + name_len + extra + comment;
  }
  return {};
}

void check_model(const std::string& what, const ModelDef& model, float lo, float hi) {
  InterpreterOptions ro;
  ro.tuned_kernels = false;
  Interpreter reference(model, ro);
  CudaExecutorOptions co;
  const char* env = std::getenv("FMN_TEST_CUDA");
  co.emulated = env == nullptr || std::string(env) != "gpu";
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Executor> ex = create_cuda_executor(model, co);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(ex->inputs().size() == reference.inputs().size());
  CHECK(ex->outputs().size() == reference.outputs().size());
  CHECK(ex->nodes().size() == reference.nodes().size());
  for (const NodeInfo& n : ex->nodes()) CHECK(n.impl == "cuda");
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(lo, hi);
  for (int batch : {1, 3}) {
    std::vector<std::vector<float>> inputs;
    std::vector<const float*> in_ptrs;
    for (const TensorInfo& t : ex->inputs()) {
      inputs.emplace_back(static_cast<size_t>(t.num_elements() * batch));
      for (float& v : inputs.back()) v = u(rng);
      in_ptrs.push_back(inputs.back().data());
    }
    std::vector<std::vector<float>> want(ex->outputs().size()), got(ex->outputs().size());
    std::vector<float*> want_ptrs, got_ptrs;
    for (size_t j = 0; j < want.size(); ++j) {
      const size_t n = static_cast<size_t>(ex->outputs()[j].num_elements() * batch);
      want[j].assign(n, 0.f);
      got[j].assign(n, std::nanf(""));
      want_ptrs.push_back(want[j].data());
      got_ptrs.push_back(got[j].data());
    }
    reference.run(batch, in_ptrs.data(), want_ptrs.data());
    const auto t1 = std::chrono::steady_clock::now();
    ex->run(batch, in_ptrs.data(), got_ptrs.data());
    const double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    std::printf("%s on %s: %zu nodes, load %.2f s, batch %d run %.2f s\n", what.c_str(), ex->device().c_str(),
                ex->nodes().size(), load_s, batch, run_s);
    for (size_t j = 0; j < want.size(); ++j) {
      const OutputError e = output_error(got[j], want[j]);
      const bool ok = e.max_err <= 1e-4 * e.max_ref;
      std::printf("  %-28s max|ref| %-10.4g max err %-10.3g (%.2g relative)%s\n", ex->outputs()[j].name.c_str(),
                  e.max_ref, e.max_err, e.relative(), ok ? "" : "  FAIL");
      CHECK(ok);
      CHECK(e.max_ref > 0);
    }
  }
}

void check_file(const char* file, float lo, float hi) { check_model(file, load_tflite_file(bundled(file)), lo, hi); }

void check_task_member(const char* member, float lo, float hi) {
  const std::vector<uint8_t> zip = read_file(bundled("face_landmarker.task"));
  const std::vector<uint8_t> bytes = stored_zip_member(zip, member);
  CHECK(!bytes.empty());
  if (bytes.empty()) return;
  check_model(std::string("face_landmarker.task/") + member, parse_tflite(bytes.data(), bytes.size()), lo, hi);
}

}  // namespace

TEST(cuda_model_face_detection_short_range) { check_file("face_detection_short_range.tflite", -1.f, 1.f); }
TEST(cuda_model_face_detection_full_range_sparse) { check_file("face_detection_full_range_sparse.tflite", -1.f, 1.f); }
TEST(cuda_model_face_landmark) { check_file("face_landmark.tflite", 0.f, 1.f); }
TEST(cuda_model_face_landmark_with_attention) { check_file("face_landmark_with_attention.tflite", 0.f, 1.f); }
TEST(cuda_model_task_face_detector) { check_task_member("face_detector.tflite", -1.f, 1.f); }
TEST(cuda_model_task_face_landmarks_detector) { check_task_member("face_landmarks_detector.tflite", 0.f, 1.f); }
TEST(cuda_model_task_face_blendshapes) { check_task_member("face_blendshapes.tflite", 0.f, 1.f); }
