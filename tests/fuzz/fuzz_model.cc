// libFuzzer target: a .tflite file through the whole load path (parse_tflite, GraphPlan and
// kernel preparation in the Interpreter) and, for models that load, one run on zeros. The only
// acceptable failure is a ModelError; anything else (a crash, a sanitizer report, another
// exception, a hang) is a bug. The custom mutator is structure-aware: half the time it writes a
// boundary value into a field the flatbuffer walk found (tflite_slots.h), otherwise libFuzzer's
// byte mutations.
//
//   build/fuzz/fuzz_model -max_total_time=60 build/fuzz/corpus-model tests/fuzz/corpus/model \
//       third_party/mediapipe
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "model/tflite_model.h"
#include "executors/interpreter.h"
#include "tflite_slots.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    fmn::ModelDef m = fmn::parse_tflite(data, size);
    fmn::InterpreterOptions o;
    o.num_threads = 1;
    fmn::Interpreter it(std::move(m), o);
    size_t total = 0;
    for (const auto& t : it.inputs()) total += static_cast<size_t>(t.num_elements());
    for (const auto& t : it.outputs()) total += static_cast<size_t>(t.num_elements());
    if (total > (size_t{1} << 24)) return 0;   // loads; too large to run quickly
    std::vector<std::vector<float>> in, out;
    std::vector<const float*> ip;
    std::vector<float*> op;
    for (const auto& t : it.inputs()) in.emplace_back(static_cast<size_t>(t.num_elements()), 0.f);
    for (const auto& t : it.outputs()) out.emplace_back(static_cast<size_t>(t.num_elements()), 0.f);
    for (auto& v : in) ip.push_back(v.data());
    for (auto& v : out) op.push_back(v.data());
    it.run(1, ip.data(), op.data());
  } catch (const fmn::ModelError&) {
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  std::mt19937_64 rng(seed);
  if (rng() % 2 == 0) {
    const std::vector<fmn::fuzz::Slot> slots = fmn::fuzz::tflite_slots(data, size);
    if (!slots.empty()) {
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) fmn::fuzz::mutate_slot(data, slots[rng() % slots.size()], rng());
      return size;
    }
  }
  return LLVMFuzzerMutate(data, size, max_size);
}
