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
const ModelDef& full_range() {
  static const ModelDef m = load_tflite_file(model_path("face_detection_full_range_sparse.tflite"));
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
  // Appends a vector of scalars (4-byte aligned length prefix); returns the prefix position.
  template <typename T>
  size_t append_vector(const std::vector<T>& v) {
    while (b.size() % 4) b.push_back(0);
    const size_t pos = b.size();
    b.resize(pos + 4 + v.size() * sizeof(T), 0);
    put<uint32_t>(pos, static_cast<uint32_t>(v.size()));
    if (!v.empty()) std::memcpy(b.data() + pos + 4, v.data(), v.size() * sizeof(T));
    return pos;
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
    // A stride past the supported bound (the fuzzer's SAME-padding overflow: in + stride - 1
    // wrapped in 32 bits) is rejected at load.
    Image img = load_image("face_detection_short_range.tflite");
    const size_t opts = img.child(img.op(2), 4);
    img.put<int32_t>(img.field(opts, 1, 4), 0x7fffffff);
    CHECK(contains(error_of([&] { img.parse(); }),
                   "operator 2 (CONV_2D) has stride_w = 2147483647; at most 65536"));
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

// ------------------------------------------------------------------ sparse tensors

// The full-range detector stores 46 float16 1x1 conv filters sparse: DENSE over the first three
// dimensions, SPARSE_CSR over the input channels, no blocks. Tensor 14 is the first of them
// (values cross-checked with ai_edge_litert's Interpreter.get_tensor_details()).
TEST(full_range_structure_and_sparsity) {
  const ModelDef& m = full_range();
  CHECK(m.version == 3);
  CHECK(same_counts(count_ops(m), {{"DEQUANTIZE", 182}, {"CONV_2D", 49}, {"DENSIFY", 46}, {"PAD", 43},
                                   {"DEPTHWISE_CONV_2D", 42}, {"ADD", 19}, {"RESIZE_BILINEAR", 3},
                                   {"DEPTH_TO_SPACE", 2}, {"RESHAPE", 2}}));
  CHECK(m.operators.size() == 388);
  CHECK(shape_of(m, m.inputs[0]) == (Shape{1, 192, 192, 3}));
  CHECK(shape_of(m, m.outputs[0]) == (Shape{1, 2304, 16}));
  CHECK(shape_of(m, m.outputs[1]) == (Shape{1, 2304, 1}));
  int sparse = 0;
  for (const TensorDef& t : m.tensors) {
    if (!t.sparsity) continue;
    ++sparse;
    CHECK(t.type == TensorType::kFloat16);
    CHECK(m.buffers[t.buffer].size() == static_cast<size_t>(t.sparsity->num_values) * 2);
  }
  CHECK(sparse == 46);
  for (const OperatorDef& op : m.operators)
    if (op.builtin_code == builtin::kDensify)
      CHECK(op.inputs.size() == 1 && m.tensors[op.inputs[0]].sparsity &&
            !m.tensors[op.outputs[0]].sparsity);
  const TensorDef& t = m.tensors[14];
  CHECK(t.name == "model_1/model/conv2d_1/Conv2D_dequantize");
  CHECK(t.shape == (Shape{8, 1, 1, 32}));
  const SparsityDef& sp = *t.sparsity;
  CHECK(sp.traversal_order == (Shape{0, 1, 2, 3}) && sp.block_map.empty() && sp.dims.size() == 4);
  CHECK(!sp.dims[0].csr && sp.dims[0].dense_size == 8);
  CHECK(!sp.dims[1].csr && sp.dims[1].dense_size == 1 && !sp.dims[2].csr && sp.dims[2].dense_size == 1);
  CHECK(sp.dims[3].csr && sp.dims[3].segments == (Shape{0, 15, 30, 39, 48, 57, 63, 68, 77}));
  CHECK(sp.dims[3].indices.size() == 77 && sp.num_values == 77);
  CHECK(std::vector<int32_t>(sp.dims[3].indices.begin(), sp.dims[3].indices.begin() + 10) ==
        (Shape{0, 2, 4, 6, 7, 8, 9, 13, 14, 16}));
  // Options of the two new dense ops.
  for (const OperatorDef& op : m.operators) {
    if (op.builtin_code == builtin::kResizeBilinear)
      CHECK(op.options_type == 15 && !op.options.align_corners && op.options.half_pixel_centers);
    if (op.builtin_code == builtin::kDepthToSpace) CHECK(op.options_type == 94 && op.options.block_size == 2);
  }
}

namespace {

// Positions inside the full-range model image of tensor 14's sparsity fields.
struct SparseImage : Image {
  SparseImage() : Image(load_image("face_detection_full_range_sparse.tflite")) {}
  size_t sparsity() const { return child(tensor(14), 6); }
  size_t traversal() const { return child(sparsity(), 0); }  // vector length prefix
  size_t dim(uint32_t l) const { return elem(child(sparsity(), 2), l); }
  // The values vector (length prefix) of dim 3's array_segments (field 3) / array_indices (5).
  size_t csr_vector(int field) const { return child(child(dim(3), field), 0); }
  std::string error() const { return error_of([&] { parse(); }); }
  // The file stores these as Uint8Vector tables; re-encodes dim 3's array_segments and
  // array_indices as Int32Vector tables (appended), so that the cases can write any int32.
  void widen() {
    const SparseDimension& sd = full_range().tensors[14].sparsity->dims[3];
    const size_t d3 = dim(3);
    for (int field : {3, 5}) {
      const size_t t = append_table({{0, le<uint32_t>(0)}});
      point(this->field(t, 0, 4), append_vector(field == 3 ? sd.segments : sd.indices));
      put<uint8_t>(this->field(d3, field - 1, 1), 1);
      point(this->field(d3, field, 4), t);
    }
  }
};

const char* const kTensor14 = "tensor 14 ('model_1/model/conv2d_1/Conv2D_dequantize')";

}  // namespace

TEST(sparsity_malformed_fields_raise_model_error) {
  struct Case {
    const char* what;
    void (*edit)(SparseImage&);
    const char* message;
  };
  const Case cases[] = {
      {"duplicate traversal dimension", [](SparseImage& s) { s.put<int32_t>(s.traversal() + 8, 0); },
       "traversal_order 1 is 0"},
      {"traversal dimension out of range", [](SparseImage& s) { s.put<int32_t>(s.traversal() + 4, 4); },
       "traversal_order 0 is 4"},
      {"short traversal order", [](SparseImage& s) { s.put<uint32_t>(s.traversal(), 3); },
       "traversal_order has 3 entries"},
      {"dense size not the dimension's", [](SparseImage& s) { s.put<int32_t>(s.field(s.dim(0), 1, 4), 9); },
       "dim_metadata 0 is DENSE with dense_size 9 but the dimension it traverses has size 8"},
      {"unknown format", [](SparseImage& s) { s.put<uint8_t>(s.field(s.dim(3), 0, 1), 2); },
       "dim_metadata 3 has the unknown format 2"},
      {"unknown index vector type", [](SparseImage& s) { s.put<uint8_t>(s.field(s.dim(3), 2, 1), 7); },
       "array_segments has the index vector type 7"},
      {"first segment not 0", [](SparseImage& s) { s.put<int32_t>(s.csr_vector(3) + 4, 1); },
       "array_segments [0] is 1, not 0"},
      {"segments decrease", [](SparseImage& s) { s.put<int32_t>(s.csr_vector(3) + 4 + 4 * 2, 10); },
       "array_segments decrease at 2 (15 then 10)"},
      {"segment beyond the indices", [](SparseImage& s) { s.put<int32_t>(s.csr_vector(3) + 4 + 4 * 8, 78); },
       "array_segments [8] = 78 exceeds the 77 array_indices"},
      {"last segment short of the indices", [](SparseImage& s) { s.put<int32_t>(s.csr_vector(3) + 4 + 4 * 8, 76); },
       "the last array_segments entry is 76 but there are 77 array_indices"},
      {"too few segments", [](SparseImage& s) { s.put<uint32_t>(s.csr_vector(3), 8); },
       "has 8 array_segments; the level above has 8 positions, so it needs 9"},
      {"index outside the dimension", [](SparseImage& s) { s.put<int32_t>(s.csr_vector(5) + 4, 32); },
       "array_indices [0] = 32 is outside the dimension's size 32"},
      {"negative index", [](SparseImage& s) { s.put<int32_t>(s.csr_vector(5) + 4, -3); },
       "array_indices [0] is negative (-3)"},
      {"indices not ascending", [](SparseImage& s) { s.put<int32_t>(s.csr_vector(5) + 8, 0); },
       "array_indices are not ascending within segment 0 (at 1)"},
      {"index vector past the file", [](SparseImage& s) { s.put<uint32_t>(s.csr_vector(5), 0x40000000u); },
       "exceeds the"},
      {"stored values do not fill the buffer",
       [](SparseImage& s) {
         s.put<int32_t>(s.csr_vector(3) + 4 + 4 * 8, 76);
         s.put<uint32_t>(s.csr_vector(5), 76);
       },
       "bytes but its sparsity (76 stored values) and type need 152"},
      {"missing dim_metadata entry", [](SparseImage& s) { s.put<uint32_t>(s.child(s.sparsity(), 2), 3); },
       "dim_metadata has 3 entries, traversal_order 4"},
  };
  {
    // The file's own Uint8Vector encoding: an index beyond the dimension.
    SparseImage img;
    CHECK(img.get<uint8_t>(img.field(img.dim(3), 4, 1)) == 3);
    img.put<uint8_t>(img.csr_vector(5) + 4, 40);
    CHECK(contains(img.error(), std::string(kTensor14) + " sparsity: dim_metadata 3: array_indices [0] = 40"));
  }
  for (const Case& c : cases) {
    SparseImage img;
    img.widen();
    CHECK(img.parse().tensors[14].sparsity->num_values == 77);
    c.edit(img);
    const std::string msg = img.error();
    if (msg.empty()) std::fprintf(stderr, "  case '%s' parsed without error\n", c.what);
    CHECK(!msg.empty());
    CHECK(contains(msg, kTensor14));
    CHECK(contains(msg, c.message));
  }
}

// The same segments and indices as Uint8Vector / Uint16Vector tables read the same; a missing
// union value is an error.
TEST(sparsity_narrow_index_vectors) {
  SparseImage img;
  const SparsityDef want = *full_range().tensors[14].sparsity;
  std::vector<uint8_t> seg8(want.dims[3].segments.begin(), want.dims[3].segments.end());
  std::vector<uint16_t> idx16(want.dims[3].indices.begin(), want.dims[3].indices.end());
  const size_t d3 = img.dim(3);
  const size_t seg_table = img.append_table({{0, le<uint32_t>(0)}});
  img.point(img.field(seg_table, 0, 4), img.append_vector(seg8));
  const size_t idx_table = img.append_table({{0, le<uint32_t>(0)}});
  img.point(img.field(idx_table, 0, 4), img.append_vector(idx16));
  img.put<uint8_t>(img.field(d3, 2, 1), 3);
  img.point(img.field(d3, 3, 4), seg_table);
  img.put<uint8_t>(img.field(d3, 4, 1), 2);
  img.point(img.field(d3, 5, 4), idx_table);
  const ModelDef m = img.parse();
  const SparsityDef& got = *m.tensors[14].sparsity;
  CHECK(got.dims[3].segments == want.dims[3].segments);
  CHECK(got.dims[3].indices == want.dims[3].indices);
  CHECK(got.num_values == 77);
  // An absent union value (offset field dropped from the vtable).
  const size_t table = d3;
  const size_t vt = table - static_cast<size_t>(img.get<int32_t>(table));
  img.put<uint16_t>(vt + 4 + 2 * 5, 0);
  CHECK(contains(img.error(), "array_indices is missing"));
}

// Block sparsity: a new SparsityParameters table for tensor 14 that splits dimension 3 (32)
// into blocks. Consistent sizes parse; a block size that does not divide, a SPARSE_CSR block
// level, a bad block_map and a block traversal out of order are ModelErrors; an index valid for
// the unblocked size (up to 31) is out of range for the blocked one.
TEST(sparsity_blocks) {
  // Builds tensor 14's sparsity with `block_map` and dims 0..3 from the file (dim 3 replaced by
  // a DENSE level of `d3_size` when >= 0) plus one block level per block_map entry.
  auto build = [](const std::vector<int32_t>& traversal, const std::vector<int32_t>& block_map,
                  int d3_size, int block_size, uint8_t block_format) {
    SparseImage img;
    std::vector<size_t> dims;
    for (uint32_t l = 0; l < 3; ++l) dims.push_back(img.dim(l));
    dims.push_back(d3_size >= 0 ? img.append_table({{0, le<uint8_t>(0)}, {1, le<int32_t>(d3_size)}})
                                : img.dim(3));
    for (size_t b = 0; b < block_map.size(); ++b)
      dims.push_back(img.append_table({{0, le<uint8_t>(block_format)}, {1, le<int32_t>(block_size)}}));
    const size_t sp = img.append_table({{0, le<uint32_t>(0)}, {1, le<uint32_t>(0)}, {2, le<uint32_t>(0)}});
    img.point(img.field(sp, 0, 4), img.append_vector(traversal));
    img.point(img.field(sp, 1, 4), img.append_vector(block_map));
    const size_t vec = img.append_vector(std::vector<uint32_t>(dims.size(), 0));
    img.point(img.field(sp, 2, 4), vec);
    // Offsets must point forward: copy each referenced table after the vector.
    for (size_t i = 0; i < dims.size(); ++i) {
      const size_t t = dims[i];
      if (t > vec) {
        img.point(vec + 4 + 4 * i, t);
        continue;
      }
      // A table before the vector: re-append its two scalar fields (format, dense_size) and
      // its CSR vectors when present.
      fb::Image fi(img.b.data(), img.b.size());
      fb::Table tt(fi, t, "dim");
      const uint8_t fmt = tt.get<uint8_t>(0, 0);
      const int32_t ds = tt.get<int32_t>(1, 0);
      if (fmt == 0) {
        img.point(vec + 4 + 4 * i, img.append_table({{0, le<uint8_t>(0)}, {1, le<int32_t>(ds)}}));
      } else {
        const ModelDef& ref = full_range();
        const SparseDimension& sd = ref.tensors[14].sparsity->dims[3];
        const size_t nt = img.append_table({{0, le<uint8_t>(1)}, {2, le<uint8_t>(1)}, {3, le<uint32_t>(0)},
                                            {4, le<uint8_t>(1)}, {5, le<uint32_t>(0)}});
        img.point(vec + 4 + 4 * i, nt);
        const size_t st = img.append_table({{0, le<uint32_t>(0)}});
        img.point(img.field(nt, 3, 4), st);
        img.point(img.field(st, 0, 4), img.append_vector(sd.segments));
        const size_t it = img.append_table({{0, le<uint32_t>(0)}});
        img.point(img.field(nt, 5, 4), it);
        img.point(img.field(it, 0, 4), img.append_vector(sd.indices));
      }
    }
    img.point(img.field(img.tensor(14), 6, 4), sp);
    return img;
  };
  // No blocks, rebuilt: the same sparsity as the file's.
  {
    const SparseImage img = build({0, 1, 2, 3}, {}, -1, 0, 0);
    const ModelDef m = img.parse();
    CHECK(m.tensors[14].sparsity->dims[3].segments == full_range().tensors[14].sparsity->dims[3].segments);
  }
  // Dimension 3 in blocks of 4: the CSR indices (up to 31) exceed the blocked size 8.
  CHECK(contains(build({0, 1, 2, 3, 4}, {3}, -1, 4, 0).error(),
                 "dim_metadata 3: array_indices [5] = 8 is outside the dimension's size 8"));
  // All DENSE, dimension 3 blocked by 4: 8 * 8 * 4 = 256 values, the buffer holds 77.
  CHECK(contains(build({0, 1, 2, 3, 4}, {3}, 8, 4, 0).error(), "sparsity (256 stored values)"));
  CHECK(contains(build({0, 1, 2, 3, 4}, {3}, 8, 5, 0).error(),
                 "dim_metadata 4 (block dimension 0) has dense_size 5, which does not divide dimension 3 (32)"));
  CHECK(contains(build({0, 1, 2, 3, 4}, {3}, 8, 4, 1).error(),
                 "dim_metadata 4 (block dimension 0) is SPARSE_CSR; block dimensions must be DENSE"));
  CHECK(contains(build({0, 1, 2, 3, 4}, {7}, 8, 4, 0).error(), "block_map 0 is 7"));
  CHECK(contains(build({0, 1, 2, 3, 4, 5}, {3, 3}, 8, 4, 0).error(), "block_map 1 is 3"));
  CHECK(contains(build({0, 1, 2, 4, 3}, {3}, 8, 4, 0).error(), "traversal_order 3 is 4"));
  CHECK(contains(build({0, 1, 2, 3, 4}, {0, 1, 2, 3, 0}, 8, 4, 0).error(), "block_map has 5 entries"));
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
