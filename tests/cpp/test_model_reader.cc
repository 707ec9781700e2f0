// Tests of the TFLite model reader and the FlexBuffers map reader on MediaPipe's three
// FaceMesh models.
//
// Cross-check (independent reference): the expected op counts, tensor shapes, builtin
// options and custom options below were compared with a dump of the same files made with
// ai_edge_litert 2.3.0's generated schema reader (ai_edge_litert/schema_py_generated.py,
// opcode = max(deprecated_builtin_code, builtin_code)) and flatbuffers' Python
// flexbuffers.Loads for the custom options: every operator's name, input/output tensor
// indices, types and shapes, every Conv2D/DepthwiseConv2D/Pool2D/Concatenation/Add/Mul/
// Reshape/StridedSlice options field and every custom option matched exactly, for all
// three models. The detector and plain landmark counts also match the table in
// facemesh-spec.md; for the attention model that table's "as above plus" row undercounts:
// the file holds 371 DEQUANTIZE, 80 CONV_2D, 73 PRELU, 66 DEPTHWISE_CONV_2D, 66 ADD,
// 16 MAX_POOL_2D, 9 PAD (the values used below, from both readers).
// The FlexBuffers byte vectors were built with flatbuffers' Python flexbuffers.Builder and
// their expected values are what flexbuffers.Loads decodes from them.
#define FMN_TEST_MAIN
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/flatbuffer_reader.h"
#include "model/flexbuffer.h"
#include "model/tflite_model.h"
#include "testing.h"

using namespace fmn;

namespace {

std::string model_path(const char* name) {
  return std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe/" + name;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

const ModelDef& detector() {
  static const ModelDef m = load_tflite_file(model_path("face_detection_short_range.tflite"));
  return m;
}
const ModelDef& landmark() {
  static const ModelDef m = load_tflite_file(model_path("face_landmark.tflite"));
  return m;
}
const ModelDef& attention() {
  static const ModelDef m = load_tflite_file(model_path("face_landmark_with_attention.tflite"));
  return m;
}

std::string op_name(const OperatorDef& op) {
  return op.builtin_code == builtin::kCustom ? "CUSTOM:" + op.custom_code
                                             : builtin_name(op.builtin_code);
}

std::map<std::string, int> count_ops(const ModelDef& m) {
  std::map<std::string, int> c;
  for (const OperatorDef& op : m.operators) ++c[op_name(op)];
  return c;
}

bool same_counts(const std::map<std::string, int>& got, const std::map<std::string, int>& want) {
  if (got == want) return true;
  for (const auto& kv : got) std::fprintf(stderr, "  got %s %d\n", kv.first.c_str(), kv.second);
  return false;
}

using Shape = std::vector<int32_t>;
const Shape& shape_of(const ModelDef& m, int32_t t) { return m.tensors.at(static_cast<size_t>(t)).shape; }

// Every structural invariant the reader promises (tflite_model.h).
void check_invariants(const ModelDef& m) {
  CHECK(!m.buffers.empty() && m.buffers[0].empty());
  const int32_t nt = static_cast<int32_t>(m.tensors.size());
  for (const TensorDef& t : m.tensors) {
    CHECK(t.buffer < m.buffers.size());
    size_t n = 1;
    for (int32_t d : t.shape) {
      CHECK(d >= 0);
      n *= static_cast<size_t>(d);
    }
    const auto& b = m.buffers[t.buffer];
    if (!b.empty()) CHECK(b.size() == n * tensor_type_size(t.type));
  }
  for (const OperatorDef& op : m.operators) {
    for (int32_t i : op.inputs) CHECK(i >= -1 && i < nt);
    for (int32_t o : op.outputs) CHECK(o >= 0 && o < nt);
  }
  for (int32_t i : m.inputs) CHECK(i >= 0 && i < nt);
  for (int32_t o : m.outputs) CHECK(o >= 0 && o < nt);
}

// ---- helpers that locate fields in a model image (for targeted corruption) ----
struct Image {
  std::vector<uint8_t> b;
  size_t root() const {
    fb::Image img(b.data(), b.size());
    return img.follow(0, "root");
  }
  // Position of the object an offset field refers to.
  size_t child(size_t table, int id) const {
    fb::Image img(b.data(), b.size());
    fb::Table t(img, table, "table");
    return t.ref(id);
  }
  // Position of table i of the vector at `vec`.
  size_t elem(size_t vec, uint32_t i) const {
    fb::Image img(b.data(), b.size());
    return img.follow(vec + 4 + 4 * static_cast<size_t>(i), "elem");
  }
  // Absolute position of scalar field `id` (which must be present).
  size_t field(size_t table, int id, size_t size) const {
    fb::Image img(b.data(), b.size());
    fb::Table t(img, table, "table");
    const size_t off = t.field_offset(id, size);
    if (off == 0) throw std::runtime_error("test: field " + std::to_string(id) + " absent");
    return table + off;
  }
  size_t subgraph() const { return elem(child(root(), 2), 0); }
  size_t tensor(uint32_t i) const { return elem(child(subgraph(), 0), i); }
  size_t op(uint32_t i) const { return elem(child(subgraph(), 3), i); }
  template <typename T>
  void put(size_t pos, T v) {
    std::memcpy(b.data() + pos, &v, sizeof(T));
  }
  template <typename T>
  T get(size_t pos) const {
    T v;
    std::memcpy(&v, b.data() + pos, sizeof(T));
    return v;
  }
  // Appends a new table (vtable first, then the table) whose fields are given as
  // (id, bytes) in increasing id order, 4-byte aligned each; returns the table position.
  size_t append_table(const std::vector<std::pair<int, std::vector<uint8_t>>>& fields) {
    while (b.size() % 4) b.push_back(0);
    int max_id = -1;
    for (const auto& f : fields) max_id = std::max(max_id, f.first);
    std::vector<uint16_t> offs(static_cast<size_t>(max_id + 1), 0);
    uint16_t tsize = 4;
    for (const auto& f : fields) {
      offs[static_cast<size_t>(f.first)] = tsize;
      tsize = static_cast<uint16_t>(tsize + ((f.second.size() + 3) / 4) * 4);
    }
    const size_t vt = b.size();
    const uint16_t vtsize = static_cast<uint16_t>(4 + 2 * offs.size());
    auto push16 = [&](uint16_t v) { b.push_back(v & 0xff); b.push_back(v >> 8); };
    push16(vtsize);
    push16(tsize);
    for (uint16_t o : offs) push16(o);
    while (b.size() % 4) b.push_back(0);
    const size_t table = b.size();
    b.resize(table + tsize, 0);
    put<int32_t>(table, static_cast<int32_t>(table - vt));
    for (const auto& f : fields)
      std::memcpy(b.data() + table + offs[static_cast<size_t>(f.first)], f.second.data(),
                  f.second.size());
    return table;
  }
  // Points the uoffset stored at `slot` to `target` (which must lie after it).
  void point(size_t slot, size_t target) { put<uint32_t>(slot, static_cast<uint32_t>(target - slot)); }

  ModelDef parse() const { return parse_tflite(b.data(), b.size()); }
};

template <typename T>
std::vector<uint8_t> le(T v) {
  std::vector<uint8_t> out(sizeof(T));
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

Image load_image(const char* name) { return Image{read_bytes(model_path(name))}; }

// Runs `fn` and returns the ModelError message, or "" when nothing was thrown.
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos) return true;
  std::fprintf(stderr, "  message '%s' lacks '%s'\n", s.c_str(), part.c_str());
  return false;
}

void print_flex(const FlexMap& m) {
  std::printf("    {");
  bool first = true;
  for (const auto& kv : m) {
    std::printf("%s%s: ", first ? "" : ", ", kv.first.c_str());
    first = false;
    const FlexValue& v = kv.second;
    switch (v.kind) {
      case FlexValue::Kind::kInt: std::printf("%lld", static_cast<long long>(v.i)); break;
      case FlexValue::Kind::kFloat: std::printf("%g", v.f); break;
      case FlexValue::Kind::kBool: std::printf("%s", v.i ? "true" : "false"); break;
      case FlexValue::Kind::kString: std::printf("\"%s\"", v.s.c_str()); break;
      case FlexValue::Kind::kNull: std::printf("null"); break;
      case FlexValue::Kind::kVector:
        std::printf("[%zu:", v.numbers.size());
        for (double x : v.numbers) std::printf(" %g", x);
        std::printf("]");
        break;
    }
  }
  std::printf("}\n");
}

// FlexBuffers built with flatbuffers' Python flexbuffers.Builder (see the top of the file).
// kAllTypes: 598 bytes
const uint8_t kAllTypes[] = {
    0x69, 0x38, 0x00, 0x69, 0x31, 0x36, 0x00, 0x69, 0x33, 0x32, 0x00, 0x69, 0x36, 0x34, 0x00, 0x75,
    0x00, 0x75, 0x62, 0x69, 0x67, 0x00, 0x66, 0x33, 0x32, 0x00, 0x66, 0x36, 0x34, 0x00, 0x79, 0x65,
    0x73, 0x00, 0x6e, 0x6f, 0x00, 0x6e, 0x61, 0x6d, 0x65, 0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    0x00, 0x69, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0xec, 0xe5, 0x66, 0x41, 0xe3, 0xff, 0xff, 0xff,
    0x69, 0x75, 0x00, 0x4d, 0x69, 0x66, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x76, 0x69, 0x00, 0x00,
    0x03, 0x00, 0x01, 0x00, 0xfe, 0xff, 0x2c, 0x01, 0x76, 0x75, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00,
    0x02, 0x00, 0xff, 0xff, 0x76, 0x66, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f,
    0x00, 0x00, 0xa0, 0xbf, 0x76, 0x64, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x40, 0x66, 0x69, 0x32, 0x00, 0x07, 0xf8, 0x66, 0x66,
    0x33, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0x40, 0x00, 0x00, 0x80, 0xc0,
    0x66, 0x75, 0x34, 0x00, 0x01, 0x02, 0x03, 0x04, 0x6d, 0x69, 0x78, 0x65, 0x64, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x40, 0xfd, 0xff, 0xff, 0xff,
    0x01, 0x00, 0x00, 0x00, 0x06, 0x0e, 0x06, 0x6a, 0x73, 0x74, 0x72, 0x73, 0x00, 0x01, 0x61, 0x00,
    0x01, 0x62, 0x00, 0x02, 0x06, 0x04, 0x14, 0x14, 0x6e, 0x6f, 0x74, 0x68, 0x69, 0x6e, 0x67, 0x00,
    0x62, 0x6c, 0x6f, 0x62, 0x00, 0x03, 0x01, 0x02, 0x03, 0x73, 0x75, 0x62, 0x00, 0x78, 0x00, 0x01,
    0x03, 0x01, 0x01, 0x01, 0x01, 0x04, 0x65, 0x6d, 0x70, 0x74, 0x79, 0x00, 0x00, 0x00, 0x1b, 0x00,
    0x20, 0x00, 0x0c, 0x00, 0xfe, 0x00, 0xfc, 0x00, 0x7a, 0x00, 0x82, 0x00, 0x6c, 0x00, 0x1b, 0x01,
    0x19, 0x01, 0x17, 0x01, 0x24, 0x01, 0xe2, 0x00, 0xf7, 0x00, 0xea, 0x00, 0x74, 0x00, 0x09, 0x01,
    0x0e, 0x01, 0x4a, 0x00, 0x5c, 0x00, 0x3d, 0x00, 0x29, 0x01, 0x29, 0x01, 0xc8, 0x00, 0xda, 0x00,
    0xf4, 0x00, 0xea, 0x00, 0x26, 0x01, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x6a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,
    0xdc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xec, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xdc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0xf4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x70, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x70, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x88, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xad, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
    0x90, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xac, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xce, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xca, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x38, 0x0f, 0x0f, 0x56, 0x40, 0x5c, 0x07,
    0x07, 0x07, 0x07, 0x22, 0x1b, 0x1c, 0x2a, 0x14, 0x6b, 0x03, 0x28, 0x24, 0x0b, 0x0b, 0x37, 0x36,
    0x2d, 0x31, 0x6b, 0xf3, 0x27, 0x01,
};
// kWide: 608 bytes
const uint8_t kWide[] = {
    0x6b, 0x65, 0x79, 0x5f, 0x30, 0x30, 0x30, 0x5f, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x00, 0x6b, 0x65, 0x79, 0x5f, 0x30, 0x30, 0x31, 0x5f, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x00, 0x6b, 0x65, 0x79, 0x5f, 0x30, 0x30, 0x32, 0x5f, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x00, 0x6b, 0x65, 0x79, 0x5f, 0x30, 0x30, 0x33,
    0x5f, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x00, 0x6b, 0x65, 0x79, 0x5f,
    0x30, 0x30, 0x34, 0x5f, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x00, 0x6b,
    0x65, 0x79, 0x5f, 0x30, 0x30, 0x35, 0x5f, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x00, 0x6b, 0x65, 0x79, 0x5f, 0x30, 0x30, 0x36, 0x5f, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x00, 0x6b, 0x65, 0x79, 0x5f, 0x30, 0x30, 0x37, 0x5f, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x00, 0x6b, 0x65, 0x79, 0x5f, 0x30, 0x30, 0x38, 0x5f,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x00, 0x6b, 0x65, 0x79, 0x5f, 0x30,
    0x30, 0x39, 0x5f, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x00, 0x6b, 0x65,
    0x79, 0x5f, 0x30, 0x31, 0x30, 0x5f, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x00, 0x6b, 0x65, 0x79, 0x5f, 0x30, 0x31, 0x31, 0x5f, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x00, 0x76, 0x00, 0x96, 0x00, 0x00, 0x00, 0x14, 0x00, 0x28, 0x00, 0x3c, 0x00,
    0x50, 0x00, 0x64, 0x00, 0x78, 0x00, 0x8c, 0x00, 0xa0, 0x00, 0xb4, 0x00, 0xc8, 0x00, 0xdc, 0x00,
    0xf0, 0x00, 0x04, 0x01, 0x18, 0x01, 0x2c, 0x01, 0x40, 0x01, 0x54, 0x01, 0x68, 0x01, 0x7c, 0x01,
    0x90, 0x01, 0xa4, 0x01, 0xb8, 0x01, 0xcc, 0x01, 0xe0, 0x01, 0xf4, 0x01, 0x08, 0x02, 0x1c, 0x02,
    0x30, 0x02, 0x44, 0x02, 0x58, 0x02, 0x6c, 0x02, 0x80, 0x02, 0x94, 0x02, 0xa8, 0x02, 0xbc, 0x02,
    0xd0, 0x02, 0xe4, 0x02, 0xf8, 0x02, 0x0c, 0x03, 0x20, 0x03, 0x34, 0x03, 0x48, 0x03, 0x5c, 0x03,
    0x70, 0x03, 0x84, 0x03, 0x98, 0x03, 0xac, 0x03, 0xc0, 0x03, 0xd4, 0x03, 0xe8, 0x03, 0xfc, 0x03,
    0x10, 0x04, 0x24, 0x04, 0x38, 0x04, 0x4c, 0x04, 0x60, 0x04, 0x74, 0x04, 0x88, 0x04, 0x9c, 0x04,
    0xb0, 0x04, 0xc4, 0x04, 0xd8, 0x04, 0xec, 0x04, 0x00, 0x05, 0x14, 0x05, 0x28, 0x05, 0x3c, 0x05,
    0x50, 0x05, 0x64, 0x05, 0x78, 0x05, 0x8c, 0x05, 0xa0, 0x05, 0xb4, 0x05, 0xc8, 0x05, 0xdc, 0x05,
    0xf0, 0x05, 0x04, 0x06, 0x18, 0x06, 0x2c, 0x06, 0x40, 0x06, 0x54, 0x06, 0x68, 0x06, 0x7c, 0x06,
    0x90, 0x06, 0xa4, 0x06, 0xb8, 0x06, 0xcc, 0x06, 0xe0, 0x06, 0xf4, 0x06, 0x08, 0x07, 0x1c, 0x07,
    0x30, 0x07, 0x44, 0x07, 0x58, 0x07, 0x6c, 0x07, 0x80, 0x07, 0x94, 0x07, 0xa8, 0x07, 0xbc, 0x07,
    0xd0, 0x07, 0xe4, 0x07, 0xf8, 0x07, 0x0c, 0x08, 0x20, 0x08, 0x34, 0x08, 0x48, 0x08, 0x5c, 0x08,
    0x70, 0x08, 0x84, 0x08, 0x98, 0x08, 0xac, 0x08, 0xc0, 0x08, 0xd4, 0x08, 0xe8, 0x08, 0xfc, 0x08,
    0x10, 0x09, 0x24, 0x09, 0x38, 0x09, 0x4c, 0x09, 0x60, 0x09, 0x74, 0x09, 0x88, 0x09, 0x9c, 0x09,
    0xb0, 0x09, 0xc4, 0x09, 0xd8, 0x09, 0xec, 0x09, 0x00, 0x0a, 0x14, 0x0a, 0x28, 0x0a, 0x3c, 0x0a,
    0x50, 0x0a, 0x64, 0x0a, 0x78, 0x0a, 0x8c, 0x0a, 0xa0, 0x0a, 0xb4, 0x0a, 0xc8, 0x0a, 0xdc, 0x0a,
    0xf0, 0x0a, 0x04, 0x0b, 0x18, 0x0b, 0x2c, 0x0b, 0x40, 0x0b, 0x54, 0x0b, 0x68, 0x0b, 0x7c, 0x0b,
    0x90, 0x0b, 0xa4, 0x0b, 0x0d, 0x00, 0x16, 0x02, 0x05, 0x02, 0xf4, 0x01, 0xe3, 0x01, 0xd2, 0x01,
    0xc1, 0x01, 0xb0, 0x01, 0x9f, 0x01, 0x8e, 0x01, 0x7d, 0x01, 0x6c, 0x01, 0x5b, 0x01, 0x4a, 0x01,
    0x1a, 0x00, 0x02, 0x00, 0x0d, 0x00, 0x00, 0x00, 0xe8, 0x03, 0xd0, 0x07, 0xb8, 0x0b, 0xa0, 0x0f,
    0x88, 0x13, 0x70, 0x17, 0x58, 0x1b, 0x40, 0x1f, 0x28, 0x23, 0x10, 0x27, 0xf8, 0x2a, 0x66, 0x01,
    0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x2d, 0x27, 0x25, 0x01,
};

}  // namespace

// ------------------------------------------------------------------ real models

TEST(detector_structure) {
  const ModelDef& m = detector();
  check_invariants(m);
  CHECK(m.version == 3);
  CHECK(m.tensors.size() == 250 && m.buffers.size() == 89 && m.operators.size() == 164);
  CHECK(same_counts(count_ops(m), {{"DEQUANTIZE", 74}, {"CONV_2D", 21}, {"RELU", 17},
                                   {"DEPTHWISE_CONV_2D", 16}, {"ADD", 16}, {"PAD", 11},
                                   {"RESHAPE", 4}, {"MAX_POOL_2D", 3}, {"CONCATENATION", 2}}));
  CHECK(m.inputs.size() == 1 && m.outputs.size() == 2);
  CHECK(shape_of(m, m.inputs[0]) == (Shape{1, 128, 128, 3}));
  CHECK(m.tensors[m.inputs[0]].type == TensorType::kFloat32);
  CHECK(shape_of(m, m.outputs[0]) == (Shape{1, 896, 16}));
  CHECK(shape_of(m, m.outputs[1]) == (Shape{1, 896, 1}));
  CHECK(m.tensors[m.outputs[0]].name == "regressors");
  CHECK(m.tensors[m.outputs[1]].name == "classificators");

  // Weights are float16 constants feeding DEQUANTIZE; every other op works on float32.
  for (const OperatorDef& op : m.operators) {
    if (op.builtin_code != builtin::kDequantize) continue;
    CHECK(op.inputs.size() == 1 && op.outputs.size() == 1);
    const TensorDef& in = m.tensors[op.inputs[0]];
    CHECK(in.type == TensorType::kFloat16 && !m.buffers[in.buffer].empty());
    CHECK(m.tensors[op.outputs[0]].type == TensorType::kFloat32);
  }

  // Operator 2: the first convolution, 5x5 stride 2 SAME, [1,128,128,3] -> [1,64,64,24].
  const OperatorDef& conv = m.operators[2];
  CHECK(conv.builtin_code == builtin::kConv2d && conv.options_type == 1);
  CHECK(conv.options.stride_w == 2 && conv.options.stride_h == 2);
  CHECK(conv.options.padding == Padding::kSame);
  CHECK(conv.options.dilation_w == 1 && conv.options.dilation_h == 1);
  CHECK(conv.options.activation == Activation::kNone);
  CHECK(shape_of(m, conv.inputs[1]) == (Shape{24, 5, 5, 3}));
  CHECK(shape_of(m, conv.outputs[0]) == (Shape{1, 64, 64, 24}));

  int pools = 0;
  for (const OperatorDef& op : m.operators) {
    if (op.builtin_code == builtin::kMaxPool2d) {
      ++pools;
      CHECK(op.options.filter_w == 2 && op.options.filter_h == 2);
      CHECK(op.options.stride_w == 2 && op.options.stride_h == 2);
      CHECK(op.options.padding == Padding::kSame);
    }
    if (op.builtin_code == builtin::kDepthwiseConv2d) CHECK(op.options.depth_multiplier == 1);
    if (op.builtin_code == builtin::kConcatenation) CHECK(op.options.axis == 1);
  }
  CHECK(pools == 3);
  const OperatorDef& reshape = m.operators[160];
  CHECK(reshape.builtin_code == builtin::kReshape && reshape.options.has_new_shape);
  CHECK(reshape.options.new_shape == (Shape{1, -1, 16}));
  CHECK(m.description == "keras2tflite_facedetector-front.tflite.generated");
}

TEST(landmark_structure) {
  const ModelDef& m = landmark();
  check_invariants(m);
  CHECK(m.tensors.size() == 327 && m.buffers.size() == 120 && m.operators.size() == 210);
  CHECK(same_counts(count_ops(m), {{"DEQUANTIZE", 113}, {"CONV_2D", 25}, {"PRELU", 23},
                                   {"DEPTHWISE_CONV_2D", 20}, {"ADD", 20}, {"MAX_POOL_2D", 6},
                                   {"PAD", 3}}));
  CHECK(m.inputs.size() == 1 && m.outputs.size() == 2);
  CHECK(shape_of(m, m.inputs[0]) == (Shape{1, 192, 192, 3}));
  CHECK(shape_of(m, m.outputs[0]) == (Shape{1, 1, 1, 1404}));
  CHECK(shape_of(m, m.outputs[1]) == (Shape{1, 1, 1, 1}));
  // The first convolution halves 192 -> 96.
  const OperatorDef* first_conv = nullptr;
  for (const OperatorDef& op : m.operators)
    if (op.builtin_code == builtin::kConv2d) {
      first_conv = &op;
      break;
    }
  CHECK(first_conv != nullptr);
  if (first_conv) {
    CHECK(first_conv->options.stride_w == 2 && first_conv->options.stride_h == 2);
    CHECK(shape_of(m, first_conv->outputs[0])[1] == 96);
  }
}

TEST(attention_structure_and_custom_options) {
  const ModelDef& m = attention();
  check_invariants(m);
  CHECK(m.tensors.size() == 1096 && m.buffers.size() == 387 && m.operators.size() == 712);
  CHECK(same_counts(count_ops(m),
                    {{"DEQUANTIZE", 371}, {"CONV_2D", 80}, {"PRELU", 73},
                     {"DEPTHWISE_CONV_2D", 66}, {"ADD", 66}, {"MAX_POOL_2D", 16},
                     {"RESHAPE", 13}, {"PAD", 9}, {"MUL", 6}, {"STRIDED_SLICE", 1},
                     {"CUSTOM:TransformLandmarks", 5}, {"CUSTOM:Landmarks2TransformMatrix", 3},
                     {"CUSTOM:TransformTensorBilinear", 3}}));
  CHECK(shape_of(m, m.inputs.at(0)) == (Shape{1, 192, 192, 3}));
  const std::vector<Shape> outs = {{1, 1, 1, 1404}, {1, 1, 1, 160}, {1, 1, 1, 142},
                                   {1, 1, 1, 142},  {1, 1, 1, 10},  {1, 1, 1, 10},
                                   {1, 1, 1, 1}};
  const std::vector<std::string> out_names = {
      "output_mesh_identity", "output_lips", "output_left_eye", "output_right_eye",
      "output_left_iris", "output_right_iris", "conv_faceflag"};
  CHECK(m.outputs.size() == outs.size());
  for (size_t i = 0; i < outs.size() && i < m.outputs.size(); ++i) {
    CHECK(shape_of(m, m.outputs[i]) == outs[i]);
    CHECK(m.tensors[m.outputs[i]].name == out_names[i]);
  }

  std::printf("  custom operators of face_landmark_with_attention.tflite:\n");
  int l2t = 0, ttb = 0, tl = 0;
  for (size_t k = 0; k < m.operators.size(); ++k) {
    const OperatorDef& op = m.operators[k];
    if (op.builtin_code != builtin::kCustom) continue;
    std::printf("  op %zu %s in:", k, op.custom_code.c_str());
    for (int32_t t : op.inputs) {
      std::printf(" [");
      for (size_t d = 0; d < shape_of(m, t).size(); ++d)
        std::printf("%s%d", d ? "," : "", shape_of(m, t)[d]);
      std::printf("]");
    }
    std::printf(" options %zu bytes\n", op.custom_options.size());
    if (op.custom_code == "TransformLandmarks") {
      ++tl;
      CHECK(op.custom_options.empty());
      CHECK(op.inputs.size() == 2 && shape_of(m, op.inputs[1]) == (Shape{1, 4, 4}));
      continue;
    }
    const FlexMap opts = parse_flexbuffer_map(op.custom_options.data(), op.custom_options.size());
    print_flex(opts);
    if (op.custom_code == "Landmarks2TransformMatrix") {
      ++l2t;
      CHECK(opts.size() == 8);
      CHECK(opts.count("left_rotation_idx") && opts.count("right_rotation_idx"));
      CHECK(opts.at("output_width").kind == FlexValue::Kind::kInt);
      CHECK(opts.at("output_width").as_int() == 16 && opts.at("output_height").as_int() == 16);
      CHECK(opts.at("scale_x").kind == FlexValue::Kind::kFloat);
      CHECK_NEAR(opts.at("scale_x").as_float(), 1.5, 0);
      CHECK_NEAR(opts.at("scale_y").as_float(), 1.5, 0);
      CHECK_NEAR(opts.at("target_rotation_radians").as_float(), 0.0, 0);
      const FlexValue& subset = opts.at("subset_idxs");
      CHECK(subset.kind == FlexValue::Kind::kVector);
      CHECK(subset.numbers.size() == 80 || subset.numbers.size() == 71);
      for (double idx : subset.numbers) CHECK(idx >= 0 && idx < 468 && idx == static_cast<int>(idx));
      // The rotation landmarks belong to the subset (lips 61/291, eyes 33/133, 362/263).
      const double left = opts.at("left_rotation_idx").as_float();
      const double right = opts.at("right_rotation_idx").as_float();
      bool has_left = false, has_right = false;
      for (double idx : subset.numbers) {
        has_left = has_left || idx == left;
        has_right = has_right || idx == right;
      }
      CHECK(has_left && has_right);
      CHECK(shape_of(m, op.inputs[0]) == (Shape{1, 468, 3}));
      CHECK(shape_of(m, op.outputs[0]) == (Shape{1, 4, 4}));
    } else if (op.custom_code == "TransformTensorBilinear") {
      ++ttb;
      CHECK(opts.size() == 2);
      CHECK(opts.at("output_width").as_int() == 16 && opts.at("output_height").as_int() == 16);
      CHECK(shape_of(m, op.inputs[0]) == (Shape{1, 48, 48, 32}));
      CHECK(shape_of(m, op.outputs[0]) == (Shape{1, 16, 16, 32}));
    }
  }
  CHECK(l2t == 3 && ttb == 3 && tl == 5);
  // The lips matrix (first Landmarks2TransformMatrix, op 192) rotates on 61 -> 291.
  const OperatorDef& lips = m.operators[192];
  CHECK(lips.custom_code == "Landmarks2TransformMatrix");
  const FlexMap lo = parse_flexbuffer_map(lips.custom_options.data(), lips.custom_options.size());
  CHECK(lo.at("left_rotation_idx").as_int() == 61 && lo.at("right_rotation_idx").as_int() == 291);
  CHECK(lo.at("subset_idxs").numbers.size() == 80 && lo.at("subset_idxs").numbers[0] == 61);

  // STRIDED_SLICE (op 706) copies the mesh through; its masks as stored in the file.
  const OperatorDef& ss = m.operators[706];
  CHECK(ss.builtin_code == builtin::kStridedSlice && ss.options_type == 32);
  CHECK(ss.inputs.size() == 4 && shape_of(m, ss.inputs[1]) == (Shape{4}));
  CHECK(m.tensors[ss.inputs[1]].type == TensorType::kInt32);
  CHECK(!m.buffers[m.tensors[ss.inputs[1]].buffer].empty());
  CHECK(ss.options.ellipsis_mask == 0 && ss.options.new_axis_mask == 0 &&
        ss.options.shrink_axis_mask == 0 && !ss.options.offset);
  // Reshape (op 183) to [1,468,3] and MUL by a [1] scalar constant.
  CHECK(m.operators[183].options.new_shape == (Shape{1, 468, 3}));
  CHECK(m.operators[187].builtin_code == builtin::kMul);
}

// ------------------------------------------------------------------ names

TEST(names) {
  CHECK(builtin_name(builtin::kConv2d) == "CONV_2D");
  CHECK(builtin_name(builtin::kDepthwiseConv2d) == "DEPTHWISE_CONV_2D");
  CHECK(builtin_name(builtin::kDequantize) == "DEQUANTIZE");
  CHECK(builtin_name(builtin::kCustom) == "CUSTOM");
  CHECK(builtin_name(builtin::kPrelu) == "PRELU");
  CHECK(builtin_name(builtin::kStridedSlice) == "STRIDED_SLICE");
  CHECK(builtin_name(builtin::kLogistic) == "LOGISTIC");
  CHECK(builtin_name(builtin::kRelu6) == "RELU6");
  CHECK(builtin_name(9) == "FULLY_CONNECTED");
  CHECK(builtin_name(25) == "SOFTMAX");
  CHECK(builtin_name(1) == "AVERAGE_POOL_2D");
  CHECK(builtin_name(23) == "RESIZE_BILINEAR");
  CHECK(builtin_name(39) == "TRANSPOSE");
  CHECK(builtin_name(40) == "MEAN");
  CHECK(builtin_name(41) == "SUB");
  CHECK(builtin_name(126) == "BATCH_MATMUL");
  CHECK(builtin_name(150) == "GELU");
  CHECK(builtin_name(1000) == "BUILTIN_1000");
  CHECK(builtin_name(-3) == "BUILTIN_-3");
  CHECK(std::string(tensor_type_name(TensorType::kFloat16)) == "FLOAT16");
  CHECK(std::string(tensor_type_name(TensorType::kInt8)) == "INT8");
  CHECK(tensor_type_size(TensorType::kFloat32) == 4 && tensor_type_size(TensorType::kFloat16) == 2);
  CHECK(tensor_type_size(TensorType::kInt64) == 8 && tensor_type_size(TensorType::kString) == 0);
  CHECK(tensor_type_size(TensorType::kBool) == 1 && tensor_type_size(TensorType::kComplex64) == 8);
}

// ------------------------------------------------------------------ targeted corruption

TEST(load_errors_name_the_path) {
  const std::string missing = model_path("no_such_model.tflite");
  const std::string msg = error_of([&] { load_tflite_file(missing); });
  CHECK(contains(msg, missing));
  CHECK_THROWS(parse_tflite(nullptr, 0), ModelError);
}

TEST(tensor_buffer_index_out_of_range) {
  Image img = load_image("face_detection_short_range.tflite");
  const ModelDef& ref = detector();
  const int32_t t = ref.operators[0].inputs[0];  // a float16 constant
  img.put<uint32_t>(img.field(img.tensor(static_cast<uint32_t>(t)), 2, 4), 99);
  const std::string msg = error_of([&] { img.parse(); });
  CHECK(contains(msg, "tensor " + std::to_string(t) + " ('" + ref.tensors[t].name +
                          "') refers to buffer 99 but the model has 89 buffers"));
}

TEST(constant_size_mismatch) {
  Image img = load_image("face_detection_short_range.tflite");
  const ModelDef& ref = detector();
  const int32_t t = ref.operators[1].inputs[0];  // float16 [24,5,5,3]
  CHECK(ref.tensors[t].shape == (Shape{24, 5, 5, 3}));
  const size_t shape = img.child(img.tensor(static_cast<uint32_t>(t)), 0);
  img.put<int32_t>(shape + 4, 25);
  CHECK(contains(error_of([&] { img.parse(); }), "bytes but its shape and type need"));
  img.put<int32_t>(shape + 4, -24);
  CHECK(contains(error_of([&] { img.parse(); }), "negative dimension -24"));
  img.put<int32_t>(shape + 4, 1 << 30);
  CHECK(contains(error_of([&] { img.parse(); }), "more than 2^28 elements"));
}

TEST(operator_indices_checked) {
  {
    Image img = load_image("face_detection_short_range.tflite");
    img.put<uint32_t>(img.field(img.op(0), 0, 4), 50);
    CHECK(contains(error_of([&] { img.parse(); }),
                   "operator 0 uses opcode_index 50 but the model has 9 operator codes"));
  }
  {
    Image img = load_image("face_detection_short_range.tflite");
    const size_t inputs = img.child(img.op(2), 1);
    img.put<int32_t>(inputs + 4 + 4 * 2, 250);
    CHECK(contains(error_of([&] { img.parse(); }),
                   "operator 2 (CONV_2D) input 2 is tensor 250 but the subgraph has 250 tensors"));
    img.put<int32_t>(inputs + 4 + 4 * 2, -1);  // an omitted optional input is allowed
    const ModelDef m = img.parse();
    CHECK(m.operators[2].inputs[2] == -1);
    img.put<int32_t>(inputs + 4 + 4 * 2, -2);
    CHECK_THROWS(img.parse(), ModelError);
  }
  {
    Image img = load_image("face_detection_short_range.tflite");
    img.put<int32_t>(img.child(img.op(2), 2) + 4, -1);
    CHECK(contains(error_of([&] { img.parse(); }), "operator 2 (CONV_2D) output 0 is tensor -1"));
  }
  {
    Image img = load_image("face_detection_short_range.tflite");
    img.put<int32_t>(img.child(img.subgraph(), 1) + 4, -1);
    CHECK(contains(error_of([&] { img.parse(); }), "subgraph input 0 is tensor -1"));
  }
  {
    Image img = load_image("face_detection_short_range.tflite");
    img.put<int32_t>(img.child(img.subgraph(), 2) + 4 + 4, 1000);
    CHECK(contains(error_of([&] { img.parse(); }), "subgraph output 1 is tensor 1000"));
  }
}

TEST(header_and_structure_errors) {
  {
    Image img = load_image("face_detection_short_range.tflite");
    std::memcpy(img.b.data() + 4, "ABCD", 4);
    CHECK(contains(error_of([&] { img.parse(); }), "file identifier 'ABCD'"));
  }
  {
    Image img = load_image("face_detection_short_range.tflite");
    img.put<uint32_t>(img.field(img.root(), 0, 4), 2);
    CHECK(contains(error_of([&] { img.parse(); }), "schema version 2 is not 3"));
  }
  {
    // Two subgraphs: claim a length of 2 for the subgraphs vector.
    Image img = load_image("face_detection_short_range.tflite");
    img.put<uint32_t>(img.child(img.root(), 2), 2);
    CHECK(contains(error_of([&] { img.parse(); }), "subgraphs; exactly one is supported"));
  }
  {
    // An odd vtable size.
    Image img = load_image("face_detection_short_range.tflite");
    const size_t table = img.root();
    const size_t vt = table - static_cast<size_t>(img.get<int32_t>(table));
    img.put<uint16_t>(vt, static_cast<uint16_t>(img.get<uint16_t>(vt) + 1));
    CHECK(contains(error_of([&] { img.parse(); }), "malformed vtable size"));
  }
  {
    // A vector length far beyond the file is rejected before any allocation.
    Image img = load_image("face_detection_short_range.tflite");
    img.put<uint32_t>(img.child(img.subgraph(), 0), 0x7fffffffu);
    CHECK(contains(error_of([&] { img.parse(); }), "exceeds the"));
  }
  {
    // Conv options with a zero stride and an unknown padding.
    Image img = load_image("face_detection_short_range.tflite");
    const size_t opts = img.child(img.op(2), 4);
    img.put<int32_t>(img.field(opts, 1, 4), 0);
    CHECK(contains(error_of([&] { img.parse(); }), "operator 2 (CONV_2D) has stride_w = 0"));
  }
  {
    Image img = load_image("face_detection_short_range.tflite");
    // Operator 9 is a VALID convolution, so its padding field is stored.
    const size_t opts = img.child(img.op(9), 4);
    img.put<int8_t>(img.field(opts, 0, 1), 7);
    CHECK(contains(error_of([&] { img.parse(); }), "unknown padding 7"));
  }
  {
    // Options table of the wrong union type for the operator.
    Image img = load_image("face_detection_short_range.tflite");
    img.put<uint8_t>(img.field(img.op(2), 3, 1), 5);
    CHECK(contains(error_of([&] { img.parse(); }), "instead of Conv2DOptions (1)"));
  }
}

TEST(opcode_max_of_deprecated_and_builtin_code) {
  // Replace operator code 0 (CONV_2D, only deprecated_builtin_code set) by a new table.
  Image img = load_image("face_detection_short_range.tflite");
  const size_t codes = img.child(img.root(), 1);
  CHECK(detector().operators[2].builtin_code == builtin::kConv2d);
  size_t t = img.append_table({{0, le<int8_t>(127)}, {3, le<int32_t>(150)}});
  img.point(codes + 4, t);
  ModelDef m = img.parse();
  CHECK(m.operators[2].builtin_code == 150 && builtin_name(150) == "GELU");
  CHECK(m.operators[2].version == 1);  // schema default

  // An unknown builtin still parses (the interpreter rejects it) and has a printable name.
  Image img2 = load_image("face_detection_short_range.tflite");
  t = img2.append_table({{0, le<int8_t>(3)}, {2, le<int32_t>(4)}, {3, le<int32_t>(300)}});
  img2.point(codes + 4, t);
  m = img2.parse();
  CHECK(m.operators[2].builtin_code == 300 && m.operators[2].version == 4);
  CHECK(builtin_name(m.operators[2].builtin_code) == "BUILTIN_300");
  check_invariants(m);
}

TEST(buffer_stored_outside_the_flatbuffer) {
  // Buffer table with offset/size (fields 1, 2) pointing at the bytes of another buffer.
  Image img = load_image("face_detection_short_range.tflite");
  const ModelDef& ref = detector();
  const int32_t t = ref.operators[1].inputs[0];
  const uint32_t b = ref.tensors[t].buffer;
  const size_t bufs = img.child(img.root(), 4);
  const size_t data = img.child(img.elem(bufs, b), 0);  // the data vector's length prefix
  const uint64_t off = data + 4, size = img.get<uint32_t>(data);
  const size_t nt = img.append_table({{1, le<uint64_t>(off)}, {2, le<uint64_t>(size)}});
  img.point(bufs + 4 + 4 * b, nt);
  const ModelDef m = img.parse();
  CHECK(m.buffers[b] == ref.buffers[b]);

  const size_t bad = img.append_table({{1, le<uint64_t>(img.b.size() - 10)}, {2, le<uint64_t>(size)}});
  img.point(bufs + 4 + 4 * b, bad);
  CHECK(contains(error_of([&] { img.parse(); }), "buffer " + std::to_string(b) + " stores"));
}

// ------------------------------------------------------------------ FlexBuffers


TEST(flexbuffer_all_types) {
  // Expected values: flexbuffers.Loads of kAllTypes.
  const FlexMap m = parse_flexbuffer_map(kAllTypes, sizeof(kAllTypes));
  print_flex(m);
  CHECK(m.size() == 27);
  auto is = [&](const char* k, FlexValue::Kind kind) { return m.count(k) && m.at(k).kind == kind; };
  CHECK(is("i8", FlexValue::Kind::kInt) && m.at("i8").i == -5 && m.at("i8").f == -5.0);
  CHECK(m.at("i16").i == -3000 && m.at("i32").i == 70000);
  CHECK(m.at("i64").i == -(int64_t{1} << 40));
  CHECK(is("u", FlexValue::Kind::kInt) && m.at("u").i == 200);
  // 2^63 + 5 does not fit int64: clamped, the float keeps the magnitude.
  CHECK(m.at("ubig").i == INT64_MAX);
  CHECK_NEAR(m.at("ubig").f, 9223372036854775813.0, 4096.0);
  CHECK(is("f32", FlexValue::Kind::kFloat) && m.at("f32").f == 1.5 && m.at("f32").as_int() == 1);
  CHECK(is("f64", FlexValue::Kind::kFloat) && m.at("f64").f == 0.1);
  CHECK(is("yes", FlexValue::Kind::kBool) && m.at("yes").i == 1 && m.at("no").i == 0);
  CHECK(is("name", FlexValue::Kind::kString) && m.at("name").s == "hello");
  CHECK(is("ii", FlexValue::Kind::kInt) && m.at("ii").i == -123456789012LL);
  CHECK(m.at("iu").i == 77);
  CHECK(is("if", FlexValue::Kind::kFloat) && m.at("if").f == 2.25);
  CHECK(is("vi", FlexValue::Kind::kVector) && m.at("vi").numbers == (std::vector<double>{1, -2, 300}));
  CHECK(m.at("vu").numbers == (std::vector<double>{1, 2, 65535}));
  CHECK(m.at("vf").numbers == (std::vector<double>{0.5, -1.25}));
  CHECK(m.at("vd").numbers == (std::vector<double>{0.1, 2.0, 3.5}));
  CHECK(m.at("fi2").numbers == (std::vector<double>{7, -8}));
  CHECK(m.at("ff3").numbers == (std::vector<double>{1.0, 2.5, -4.0}));
  CHECK(m.at("fu4").numbers == (std::vector<double>{1, 2, 3, 4}));
  CHECK(m.at("mixed").numbers == (std::vector<double>{1, 2.5, -3, 1}));
  CHECK(is("empty", FlexValue::Kind::kVector) && m.at("empty").numbers.empty());
  // Well-formed values of kinds the reader does not convert read as null.
  // (An empty typed vector is encoded as VECTOR_KEY; it reads as an empty vector.)
  CHECK(is("strs", FlexValue::Kind::kNull) && is("nothing", FlexValue::Kind::kNull));
  CHECK(is("blob", FlexValue::Kind::kNull) && is("sub", FlexValue::Kind::kNull));
}

TEST(flexbuffer_wide_offsets) {
  const FlexMap m = parse_flexbuffer_map(kWide, sizeof(kWide));
  CHECK(m.size() == 13);
  for (int k = 0; k < 12; ++k) {
    char key[64];
    std::snprintf(key, sizeof(key), "key_%03d_xxxxxxxxxx", k);
    CHECK(m.count(key) && m.at(key).i == k * 1000);
  }
  const FlexValue& v = m.at("v");
  CHECK(v.kind == FlexValue::Kind::kVector && v.numbers.size() == 150);
  for (size_t i = 0; i < v.numbers.size(); ++i) CHECK(v.numbers[i] == 20.0 * static_cast<double>(i));
}

TEST(flexbuffer_malformed) {
  const uint8_t tiny[] = {0x01, 0x02};
  CHECK_THROWS(parse_flexbuffer_map(tiny, sizeof(tiny)), ModelError);
  CHECK_THROWS(parse_flexbuffer_map(tiny, 0), ModelError);
  // Root is an int, not a map.
  const uint8_t int_root[] = {0x05, 0x04, 0x01};
  CHECK(contains(error_of([&] { parse_flexbuffer_map(int_root, sizeof(int_root)); }), "not a map"));
  // Invalid root width.
  std::vector<uint8_t> b(kAllTypes, kAllTypes + sizeof(kAllTypes));
  b.back() = 3;
  CHECK_THROWS(parse_flexbuffer_map(b.data(), b.size()), ModelError);
  // Every truncation of a valid buffer (the root moves) fails cleanly or parses.
  for (size_t n = 0; n < sizeof(kAllTypes); ++n) {
    try {
      parse_flexbuffer_map(kAllTypes, n);
    } catch (const ModelError&) {
    }
  }
  // Huge element count.
  const FlexMap ok = parse_flexbuffer_map(kWide, sizeof(kWide));
  CHECK(!ok.empty());
}
