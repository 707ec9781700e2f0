// Robustness of the model and FlexBuffers readers against malformed input: every input
// either parses into a model that satisfies the reader's invariants or throws ModelError;
// nothing else is thrown, nothing crashes, nothing hangs. (Build this test with
// -fsanitize=address,undefined to also prove the absence of out-of-bounds reads.)
#define FMN_TEST_MAIN
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model/flatbuffer_reader.h"
#include "model/flexbuffer.h"
#include "model/tflite_model.h"
#include "testing.h"

using namespace fmn;

namespace {

std::vector<uint8_t> read_model(const char* name) {
  std::ifstream f(std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/" + name,
                  std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

enum class Outcome { kParsed, kModelError, kOther };

// The reader's promises (tflite_model.h) for a model that parsed.
bool invariants_hold(const ModelDef& m) {
  if (m.buffers.empty() || !m.buffers[0].empty()) return false;
  const int64_t nt = static_cast<int64_t>(m.tensors.size());
  for (const TensorDef& t : m.tensors) {
    if (t.buffer >= m.buffers.size()) return false;
    uint64_t n = 1;
    for (int32_t d : t.shape) {
      if (d < 0) return false;
      n *= static_cast<uint64_t>(d);
      if (n > (uint64_t{1} << 28)) return false;
    }
    const auto& b = m.buffers[t.buffer];
    if (!b.empty() && b.size() != n * tensor_type_size(t.type)) return false;
  }
  for (const OperatorDef& op : m.operators) {
    for (int32_t i : op.inputs)
      if (i < -1 || i >= nt) return false;
    for (int32_t o : op.outputs)
      if (o < 0 || o >= nt) return false;
  }
  for (int32_t i : m.inputs)
    if (i < 0 || i >= nt) return false;
  for (int32_t o : m.outputs)
    if (o < 0 || o >= nt) return false;
  return true;
}

Outcome try_flex(const uint8_t* data, size_t size) {
  try {
    parse_flexbuffer_map(data, size);
    return Outcome::kParsed;
  } catch (const ModelError&) {
    return Outcome::kModelError;
  } catch (...) {
    return Outcome::kOther;
  }
}

// Parses; for a parsed model also checks the invariants and decodes its custom options.
Outcome try_parse(const uint8_t* data, size_t size) {
  try {
    const ModelDef m = parse_tflite(data, size);
    if (!invariants_hold(m)) return Outcome::kOther;
    for (const OperatorDef& op : m.operators) {
      if (op.custom_options.empty()) continue;
      if (try_flex(op.custom_options.data(), op.custom_options.size()) == Outcome::kOther)
        return Outcome::kOther;
    }
    return Outcome::kParsed;
  } catch (const ModelError&) {
    return Outcome::kModelError;
  } catch (...) {
    return Outcome::kOther;
  }
}

// Byte ranges of the model that hold constant data (buffer contents). Mutations inside
// them rarely reach the parser's checks, so half of the mutations avoid them.
std::vector<std::pair<size_t, size_t>> data_spans(const std::vector<uint8_t>& b) {
  std::vector<std::pair<size_t, size_t>> spans;
  const fb::Image img(b.data(), b.size());
  const fb::Table model(img, img.follow(0, "root"), "model");
  const fb::Vector bufs = model.vector(4, 4, "buffers");
  for (uint32_t i = 0; i < bufs.count; ++i) {
    const fb::Table t = fb::table_at(bufs, i, "buffer");
    const fb::Vector d = t.vector(0, 1, "data");
    if (d.count > 0) spans.push_back({d.pos, d.pos + d.count});
  }
  std::sort(spans.begin(), spans.end());
  return spans;
}

// Positions outside the data spans, as a list of [begin, end) gaps.
std::vector<std::pair<size_t, size_t>> gaps_of(const std::vector<std::pair<size_t, size_t>>& spans,
                                               size_t size) {
  std::vector<std::pair<size_t, size_t>> gaps;
  size_t at = 0;
  for (const auto& s : spans) {
    if (s.first > at) gaps.push_back({at, s.first});
    at = std::max(at, s.second);
  }
  if (at < size) gaps.push_back({at, size});
  return gaps;
}

struct FuzzStats {
  int parsed = 0, rejected = 0, other = 0;
};

FuzzStats mutate_model(const char* name, int rounds, uint32_t seed) {
  std::vector<uint8_t> bytes = read_model(name);
  FuzzStats st;
  if (bytes.empty()) {
    ++st.other;
    return st;
  }
  const auto gaps = gaps_of(data_spans(bytes), bytes.size());
  size_t gap_total = 0;
  for (const auto& g : gaps) gap_total += g.second - g.first;

  std::mt19937 rng(seed);
  const uint8_t specials[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe};
  std::vector<std::pair<size_t, uint8_t>> saved;
  for (int r = 0; r < rounds; ++r) {
    const int nbytes = 1 + static_cast<int>(rng() % 8);
    saved.clear();
    for (int k = 0; k < nbytes; ++k) {
      size_t pos;
      if (rng() % 2 == 0 || gap_total == 0) {
        pos = rng() % bytes.size();
      } else {
        size_t x = rng() % gap_total;
        size_t g = 0;
        while (x >= gaps[g].second - gaps[g].first) {
          x -= gaps[g].second - gaps[g].first;
          ++g;
        }
        pos = gaps[g].first + x;
      }
      saved.push_back({pos, bytes[pos]});
      bytes[pos] = rng() % 3 == 0 ? specials[rng() % sizeof(specials)]
                                  : static_cast<uint8_t>(rng());
    }
    switch (try_parse(bytes.data(), bytes.size())) {
      case Outcome::kParsed: ++st.parsed; break;
      case Outcome::kModelError: ++st.rejected; break;
      case Outcome::kOther:
        ++st.other;
        std::fprintf(stderr, "  %s round %d: unexpected outcome\n", name, r);
        break;
    }
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) bytes[it->first] = it->second;
  }
  return st;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(empty_and_foreign_input) {
  CHECK(try_parse(nullptr, 0) == Outcome::kModelError);
  const uint8_t one = 0;
  CHECK(try_parse(&one, 0) == Outcome::kModelError);
  CHECK(try_parse(&one, 1) == Outcome::kModelError);
  const std::string text = "This is certainly not a TensorFlow Lite model, just some text.";
  CHECK(try_parse(reinterpret_cast<const uint8_t*>(text.data()), text.size()) ==
        Outcome::kModelError);
  const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
                         'I',  'H', 'D', 'R', 0,    0,    1,    0,    0, 0, 1, 0};
  CHECK(try_parse(png, sizeof(png)) == Outcome::kModelError);
  std::vector<uint8_t> zeros(4096, 0);
  CHECK(try_parse(zeros.data(), zeros.size()) == Outcome::kModelError);
  std::mt19937 rng(7);
  for (int r = 0; r < 200; ++r) {
    std::vector<uint8_t> junk(8 + rng() % 4096);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    CHECK(try_parse(junk.data(), junk.size()) == Outcome::kModelError);
  }
  // A valid header and identifier followed by garbage.
  for (int r = 0; r < 200; ++r) {
    std::vector<uint8_t> junk(64 + rng() % 4096);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    const uint32_t root = 8 + rng() % 32;
    std::memcpy(junk.data(), &root, 4);
    std::memcpy(junk.data() + 4, "TFL3", 4);
    CHECK(try_parse(junk.data(), junk.size()) == Outcome::kModelError);
  }
}

TEST(truncated_detector) {
  const std::vector<uint8_t> bytes = read_model("face_detection_short_range.tflite");
  CHECK(bytes.size() == 229714);
  const Outcome whole = try_parse(bytes.data(), bytes.size());
  CHECK(whole == Outcome::kParsed);
  // The file ends with a 22-byte empty ZIP end-of-central-directory record ("PK\5\6", no
  // entries, no comment) that MediaPipe appends after the flatbuffer; no flatbuffer object
  // refers to it, so cutting only those bytes leaves a complete, valid model. Every cut
  // inside the flatbuffer proper must be rejected.
  const size_t eocd = bytes.size() - 22;
  CHECK(std::memcmp(bytes.data() + eocd, "PK\x05\x06", 4) == 0);
  std::vector<size_t> cuts;
  for (size_t n = 0; n < 64; ++n) cuts.push_back(n);
  for (size_t n = 1; n <= 64; ++n) cuts.push_back(eocd - n);
  for (size_t k = 0; k < 256; ++k) cuts.push_back(eocd * k / 256);
  int points = 0;
  for (size_t n : cuts) {
    // A copy of exactly n bytes so that the sanitizers see reads past the end.
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<long>(n));
    const Outcome o = try_parse(part.empty() ? nullptr : part.data(), part.size());
    if (o != Outcome::kModelError) std::fprintf(stderr, "  truncation at %zu parsed\n", n);
    CHECK(o == Outcome::kModelError);
    ++points;
  }
  CHECK(points >= 200);
  for (size_t n = eocd; n < bytes.size(); ++n) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<long>(n));
    CHECK(try_parse(part.data(), part.size()) == Outcome::kParsed);
  }
}

TEST(mutated_models) {
  const char* names[] = {"face_detection_short_range.tflite", "face_landmark.tflite",
                         "face_landmark_with_attention.tflite"};
  uint32_t seed = 12345;
  for (const char* name : names) {
    const auto t0 = std::chrono::steady_clock::now();
    const FuzzStats st = mutate_model(name, 3000, seed++);
    std::printf("  %s: 3000 mutations, %d parsed, %d rejected, %d other, %.2f s\n", name,
                st.parsed, st.rejected, st.other, seconds_since(t0));
    CHECK(st.other == 0);
    CHECK(st.parsed + st.rejected == 3000);
    CHECK(st.rejected > 100);  // the mutations do reach the checks
  }
}

TEST(mutated_custom_options) {
  const std::vector<uint8_t> bytes = read_model("face_landmark_with_attention.tflite");
  const ModelDef m = parse_tflite(bytes.data(), bytes.size());
  std::mt19937 rng(99);
  int blobs = 0, parsed = 0, rejected = 0;
  for (const OperatorDef& op : m.operators) {
    if (op.custom_options.empty()) continue;
    ++blobs;
    std::vector<uint8_t> b = op.custom_options;
    CHECK(try_flex(b.data(), b.size()) == Outcome::kParsed);
    for (size_t n = 0; n < b.size(); ++n) {
      std::vector<uint8_t> part(b.begin(), b.begin() + static_cast<long>(n));
      CHECK(try_flex(part.empty() ? nullptr : part.data(), part.size()) != Outcome::kOther);
    }
    for (int r = 0; r < 2000; ++r) {
      std::vector<uint8_t> x = b;
      const int nbytes = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < nbytes; ++k) {
        // Bias towards the tail, where the root and the map header live.
        const size_t pos = rng() % 2 ? x.size() - 1 - rng() % std::min<size_t>(x.size(), 48)
                                     : rng() % x.size();
        x[pos] = static_cast<uint8_t>(rng());
      }
      const Outcome o = try_flex(x.data(), x.size());
      CHECK(o != Outcome::kOther);
      if (o == Outcome::kParsed) ++parsed;
      if (o == Outcome::kModelError) ++rejected;
    }
  }
  std::printf("  %d custom option blobs x 2000 mutations: %d parsed, %d rejected\n", blobs,
              parsed, rejected);
  CHECK(blobs == 6);
  CHECK(rejected > 100);
}

TEST(unknown_builtin_parses) {
  // Operator code 0 of the detector (CONV_2D) rewritten as a new OperatorCode table with
  // builtin_code 200 + deprecated_builtin_code 127, appended after the flatbuffer.
  std::vector<uint8_t> b = read_model("face_detection_short_range.tflite");
  const ModelDef ref = parse_tflite(b.data(), b.size());
  size_t slot = 0;
  {
    const fb::Image img(b.data(), b.size());
    const fb::Table model(img, img.follow(0, "root"), "model");
    slot = model.ref(1) + 4;  // element 0 of operator_codes
  }
  while (b.size() % 4) b.push_back(0);
  const size_t vt = b.size();
  const uint16_t vtable[] = {12, 12, 4, 0, 0, 8};  // fields 0 (byte) and 3 (int)
  b.resize(vt + sizeof(vtable));
  std::memcpy(b.data() + vt, vtable, sizeof(vtable));
  const size_t table = b.size();
  b.resize(table + 12, 0);
  const int32_t soff = static_cast<int32_t>(table - vt);
  const int8_t dep = 127;
  const int32_t code = 200;
  std::memcpy(b.data() + table, &soff, 4);
  std::memcpy(b.data() + table + 4, &dep, 1);
  std::memcpy(b.data() + table + 8, &code, 4);
  const uint32_t rel = static_cast<uint32_t>(table - slot);
  std::memcpy(b.data() + slot, &rel, 4);

  const ModelDef m = parse_tflite(b.data(), b.size());
  int changed = 0;
  for (size_t i = 0; i < m.operators.size(); ++i) {
    if (ref.operators[i].builtin_code != builtin::kConv2d) continue;
    ++changed;
    CHECK(m.operators[i].builtin_code == 200);
    // The operator keeps its Conv2DOptions union tag; options of unknown ops are not decoded.
    CHECK(m.operators[i].options_type == 1);
  }
  CHECK(changed == 21);
  const std::string name = builtin_name(200);
  CHECK(name == "STABLEHLO_GATHER" || name == "BUILTIN_200");
  std::printf("  builtin 200 reads as %s\n", name.c_str());
  CHECK(invariants_hold(m));
}
