// Omitted operator inputs: TFLite marks an absent optional input with index -1. For every
// operator input slot of the bundled models, set to -1, the model must either be rejected
// when it is loaded (ModelError naming the operator and the input) or load and run without
// reading the absent tensor (the slots that are optional, such as a convolution's bias).
// Before this was checked, 309 of the 1,782 slots loaded and then crashed in run().
#define FMN_TEST_MAIN
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "executors/interpreter.h"
#include "testing.h"

using namespace fmn;

namespace {

std::vector<uint8_t> read_model(const char* name) {
  std::ifstream f(std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/" + name,
                  std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

struct ScanCounts {
  int slots = 0, rejected = 0, ran = 0;
};

// Loads `m` with the given kernels and runs it once on zeros.
void load_and_run(const ModelDef& m, bool tuned) {
  InterpreterOptions o;
  o.tuned_kernels = tuned;
  Interpreter it(m, o);
  std::vector<std::vector<float>> in, out;
  std::vector<const float*> ip;
  std::vector<float*> op;
  for (const TensorInfo& t : it.inputs()) in.emplace_back(static_cast<size_t>(t.num_elements()), 0.f);
  for (const TensorInfo& t : it.outputs()) out.emplace_back(static_cast<size_t>(t.num_elements()), 0.f);
  for (auto& v : in) ip.push_back(v.data());
  for (auto& v : out) op.push_back(v.data());
  it.run(1, ip.data(), op.data());
}

ScanCounts scan(const char* name) {
  const std::vector<uint8_t> bytes = read_model(name);
  const ModelDef base = parse_tflite(bytes.data(), bytes.size());
  ScanCounts c;
  for (size_t o = 0; o < base.operators.size(); ++o) {
    for (size_t i = 0; i < base.operators[o].inputs.size(); ++i) {
      if (base.operators[o].inputs[i] == -1) continue;
      ModelDef m = base;
      m.operators[o].inputs[i] = -1;
      ++c.slots;
      for (bool tuned : {true, false}) {
        try {
          load_and_run(m, tuned);
          if (tuned) ++c.ran;
        } catch (const ModelError&) {
          if (tuned) ++c.rejected;
        }
      }
    }
  }
  return c;
}

}  // namespace

TEST(omitted_inputs_detector) {
  const ScanCounts c = scan("face_detection_short_range.tflite");
  std::printf("face_detection_short_range: %d slots, %d rejected, %d ran\n", c.slots, c.rejected, c.ran);
  CHECK(c.slots > 100);
  CHECK(c.rejected + c.ran == c.slots);
}

TEST(omitted_inputs_landmark) {
  const ScanCounts c = scan("face_landmark.tflite");
  std::printf("face_landmark: %d slots, %d rejected, %d ran\n", c.slots, c.rejected, c.ran);
  CHECK(c.slots > 100);
  CHECK(c.rejected + c.ran == c.slots);
}

TEST(omitted_inputs_attention) {
  const ScanCounts c = scan("face_landmark_with_attention.tflite");
  std::printf("face_landmark_with_attention: %d slots, %d rejected, %d ran\n", c.slots, c.rejected, c.ran);
  CHECK(c.slots > 100);
  CHECK(c.rejected + c.ran == c.slots);
}

TEST(omitted_input_error_names_operator_and_input) {
  const std::vector<uint8_t> bytes = read_model("face_detection_short_range.tflite");
  ModelDef m = parse_tflite(bytes.data(), bytes.size());
  // The first ADD's second operand.
  for (OperatorDef& op : m.operators) {
    if (op.builtin_code != builtin::kAdd) continue;
    op.inputs[1] = -1;
    break;
  }
  bool thrown = false;
  try {
    load_and_run(m, true);
  } catch (const ModelError& e) {
    thrown = true;
    const std::string what = e.what();
    CHECK(what.find("ADD") != std::string::npos);
    CHECK(what.find("input 1") != std::string::npos);
  }
  CHECK(thrown);
}
