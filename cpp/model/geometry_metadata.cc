#include "model/geometry_metadata.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "model/tflite_model.h"

namespace fmn {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw ModelError("geometry pipeline metadata: " + what);
}

// A bounds-checked cursor over protobuf wire format.
class Wire {
 public:
  Wire(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ >= end_; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) fail("truncated varint");
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint longer than 10 bytes");
  }
  float fixed32_float() {
    if (end_ - p_ < 4) fail("truncated fixed32");
    float f;
    std::memcpy(&f, p_, 4);
    p_ += 4;
    return f;
  }
  Wire sub() {
    const uint64_t n = varint();
    if (n > static_cast<uint64_t>(end_ - p_)) fail("length-delimited field runs past the end");
    Wire w(p_, static_cast<size_t>(n));
    p_ += n;
    return w;
  }
  void skip(int wire_type) {
    switch (wire_type) {
      case 0: varint(); break;
      case 1: if (end_ - p_ < 8) fail("truncated fixed64"); p_ += 8; break;
      case 2: sub(); break;
      case 5: if (end_ - p_ < 4) fail("truncated fixed32"); p_ += 4; break;
      default: fail("unsupported wire type " + std::to_string(wire_type));
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

void read_floats(Wire& w, int wire_type, std::vector<float>* out) {
  if (wire_type == 5) {
    out->push_back(w.fixed32_float());
  } else if (wire_type == 2) {
    Wire s = w.sub();
    while (!s.done()) out->push_back(s.fixed32_float());
  } else {
    fail("float field with wire type " + std::to_string(wire_type));
  }
}

void read_uints(Wire& w, int wire_type, std::vector<uint32_t>* out) {
  if (wire_type == 0) {
    out->push_back(static_cast<uint32_t>(w.varint()));
  } else if (wire_type == 2) {
    Wire s = w.sub();
    while (!s.done()) out->push_back(static_cast<uint32_t>(s.varint()));
  } else {
    fail("uint32 field with wire type " + std::to_string(wire_type));
  }
}

}  // namespace

CanonicalFace GeometryMetadata::canonical_face() const {
  CanonicalFace f;
  f.vertices.resize(3 * static_cast<size_t>(vertex_count));
  f.weights.assign(static_cast<size_t>(vertex_count), 0.0f);
  for (int i = 0; i < vertex_count; ++i)
    for (int k = 0; k < 3; ++k) f.vertices[3 * i + k] = vertex_buffer[5 * i + k];
  for (size_t j = 0; j < basis_ids.size(); ++j) f.weights[basis_ids[j]] = basis_weights[j];
  return f;
}

GeometryMetadata parse_geometry_metadata(const uint8_t* data, size_t size) {
  GeometryMetadata m;
  bool have_mesh = false;
  int vertex_type = 0, primitive_type = 0;
  Wire w(data, size);
  while (!w.done()) {
    const uint64_t key = w.varint();
    const int field = static_cast<int>(key >> 3), type = static_cast<int>(key & 7);
    if (field == 3 && type == 0) {
      m.input_source = static_cast<int>(w.varint());
    } else if (field == 2 && type == 2) {
      Wire s = w.sub();
      uint32_t id = 0;
      float weight = 0.0f;
      while (!s.done()) {
        const uint64_t k = s.varint();
        const int f = static_cast<int>(k >> 3), t = static_cast<int>(k & 7);
        if (f == 1 && t == 0) id = static_cast<uint32_t>(s.varint());
        else if (f == 2 && t == 5) weight = s.fixed32_float();
        else s.skip(t);
      }
      m.basis_ids.push_back(id);
      m.basis_weights.push_back(weight);
    } else if (field == 1 && type == 2) {
      have_mesh = true;
      Wire s = w.sub();
      while (!s.done()) {
        const uint64_t k = s.varint();
        const int f = static_cast<int>(k >> 3), t = static_cast<int>(k & 7);
        if (f == 1 && t == 0) vertex_type = static_cast<int>(s.varint());
        else if (f == 2 && t == 0) primitive_type = static_cast<int>(s.varint());
        else if (f == 3) read_floats(s, t, &m.vertex_buffer);
        else if (f == 4) read_uints(s, t, &m.index_buffer);
        else s.skip(t);
      }
    } else {
      w.skip(type);
    }
  }
  if (!have_mesh) fail("no canonical mesh");
  if (vertex_type != 0) fail("vertex type " + std::to_string(vertex_type) + " is not VERTEX_PT");
  if (primitive_type != 0) fail("primitive type " + std::to_string(primitive_type) + " is not TRIANGLE");
  if (m.vertex_buffer.empty() || m.vertex_buffer.size() % 5 != 0)
    fail("vertex buffer of " + std::to_string(m.vertex_buffer.size()) +
         " floats is not a whole number of VERTEX_PT vertices");
  m.vertex_count = static_cast<int>(m.vertex_buffer.size() / 5);
  for (float v : m.vertex_buffer)
    if (!std::isfinite(v)) fail("non-finite vertex coordinate");
  if (m.index_buffer.size() % 3 != 0) fail("index buffer is not a whole number of triangles");
  for (uint32_t i : m.index_buffer)
    if (i >= static_cast<uint32_t>(m.vertex_count)) fail("triangle index out of range");
  if (m.basis_ids.empty()) fail("empty Procrustes landmark basis");
  double sum = 0.0;
  for (size_t j = 0; j < m.basis_ids.size(); ++j) {
    if (m.basis_ids[j] >= static_cast<uint32_t>(m.vertex_count))
      fail("landmark basis id " + std::to_string(m.basis_ids[j]) + " out of range");
    if (!std::isfinite(m.basis_weights[j]) || m.basis_weights[j] < 0)
      fail("landmark basis weight must be finite and non-negative");
    sum += m.basis_weights[j];
  }
  if (!(sum > 0)) fail("landmark basis weights sum to zero");
  return m;
}

GeometryMetadata load_geometry_metadata_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ModelError("cannot open geometry pipeline metadata '" + path + "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return parse_geometry_metadata(bytes.data(), bytes.size());
}

}  // namespace fmn
