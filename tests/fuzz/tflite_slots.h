// The places in a .tflite file where a structure-aware mutator does the most damage: vector
// lengths, tensor shape entries, tensor types and buffer indices, operator input/output
// indices, opcode indices, builtin option fields, buffer offsets and sizes. Found by walking
// the flatbuffer with the validated reader (cpp/model/flatbuffer_reader.h); a malformed file
// yields the slots found before the first problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/flatbuffer_reader.h"

namespace fmn {
namespace fuzz {

struct Slot {
  size_t pos;    // byte position in the file
  int width;     // 1, 2, 4 or 8 bytes, little endian
};

inline std::vector<Slot> tflite_slots(const uint8_t* data, size_t size) {
  std::vector<Slot> out;
  try {
    const fb::Image img(data, size);
    const fb::Table model(img, img.follow(0, "root"), "model");
    auto vec = [&](const fb::Table& t, int id, size_t elem, const char* what) {
      const fb::Vector v = t.vector(id, elem, what);
      if (t.ref(id)) out.push_back({v.pos - 4, 4});   // the length prefix
      return v;
    };
    auto ints = [&](const fb::Table& t, int id, const char* what) {
      const fb::Vector v = vec(t, id, 4, what);
      for (uint32_t i = 0; i < v.count; ++i) out.push_back({v.elem_pos(i), 4});
    };
    auto scalars = [&](const fb::Table& t, int max_id) {   // every present inline field
      for (int id = 0; id < max_id; ++id) {
        const size_t off = t.field_offset(id, 1);
        if (!off) continue;
        int width = 1;   // as wide as the table allows, up to 4 bytes (int8 .. int32 fields)
        try {
          if (t.field_offset(id, 4)) width = 4;
        } catch (...) {
        }
        out.push_back({t.pos() + off, width});
      }
    };
    const fb::Vector subgraphs = vec(model, 2, 4, "subgraphs");
    for (uint32_t s = 0; s < subgraphs.count; ++s) {
      const fb::Table sg(img, img.follow(subgraphs.elem_pos(s), "subgraph"), "subgraph");
      ints(sg, 1, "inputs");
      ints(sg, 2, "outputs");
      const fb::Vector tensors = vec(sg, 0, 4, "tensors");
      for (uint32_t i = 0; i < tensors.count; ++i) {
        const fb::Table t(img, img.follow(tensors.elem_pos(i), "tensor"), "tensor");
        ints(t, 0, "shape");
        scalars(t, 3);          // type, buffer
      }
      const fb::Vector ops = vec(sg, 3, 4, "operators");
      for (uint32_t i = 0; i < ops.count; ++i) {
        const fb::Table op(img, img.follow(ops.elem_pos(i), "operator"), "operator");
        scalars(op, 1);         // opcode_index
        ints(op, 1, "op inputs");
        ints(op, 2, "op outputs");
        scalars(op, 4);         // builtin_options_type
        const fb::Table opts = op.table(4, "builtin options");
        if (opts.valid()) scalars(opts, 16);
        const fb::Vector custom = vec(op, 5, 1, "custom options");
        for (uint32_t k = 0; k < custom.count && k < 64; ++k) out.push_back({custom.elem_pos(k), 1});
      }
    }
    const fb::Vector codes = vec(model, 1, 4, "operator codes");
    for (uint32_t i = 0; i < codes.count; ++i) {
      const fb::Table c(img, img.follow(codes.elem_pos(i), "code"), "code");
      scalars(c, 4);
    }
    const fb::Vector bufs = vec(model, 4, 4, "buffers");
    for (uint32_t i = 0; i < bufs.count; ++i) {
      const fb::Table b(img, img.follow(bufs.elem_pos(i), "buffer"), "buffer");
      if (b.ref(0)) out.push_back({b.vector(0, 1, "data").pos - 4, 4});
      for (int id = 1; id <= 2; ++id) {
        const size_t off = b.field_offset(id, 8);
        if (off) out.push_back({b.pos() + off, 8});
      }
    }
  } catch (...) {
  }
  return out;
}

// Writes a value chosen to hit boundaries into the slot: 0, -1, 1, the width's extremes, a
// power of two, the old value +- 1, or random bits.
inline void mutate_slot(uint8_t* data, const Slot& s, uint64_t r) {
  uint64_t v = 0;
  for (int i = 0; i < s.width; ++i) v |= static_cast<uint64_t>(data[s.pos + i]) << (8 * i);
  const uint64_t mask = s.width == 8 ? ~uint64_t{0} : ((uint64_t{1} << (8 * s.width)) - 1);
  switch (r % 10) {
    case 0: v = 0; break;
    case 1: v = mask; break;                                  // -1
    case 2: v = 1; break;
    case 3: v = mask >> 1; break;                             // INT_MAX of the width
    case 4: v = (mask >> 1) + 1; break;                       // INT_MIN of the width
    case 5: v = uint64_t{1} << ((r >> 8) % (8 * s.width)); break;
    case 6: v = v + 1; break;
    case 7: v = v - 1; break;
    case 8: v = v * 2 + 1; break;
    default: v = r >> 4; break;
  }
  v &= mask;
  for (int i = 0; i < s.width; ++i) data[s.pos + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace fuzz
}  // namespace fmn
