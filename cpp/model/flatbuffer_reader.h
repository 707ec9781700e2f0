// Bounds-checked primitives for reading a FlatBuffer image (internal to cpp/model).
//
// Contract: every accessor reads only inside [data, data + size) of the image it was given
// and throws ModelError (message prefixed "tflite: " and naming `what`) when an offset,
// length or vtable entry would leave it. Scalars are little-endian and need no alignment.
// Nothing here allocates more than the caller asks for after the length was checked against
// the bytes that remain.
//
// FlatBuffer layout used below (see the FlatBuffers "internals" documentation):
//   root:   uoffset (u32) at byte 0 to the root table; optional 4-byte file identifier at 4.
//   table:  soffset (i32) at the table start; vtable = table - soffset.
//   vtable: u16 vtable size in bytes, u16 table inline size in bytes, then one u16 per field
//           id (0 = absent) giving the field's offset from the table start.
//   vector: u32 element count, then the elements; a string is a vector of bytes followed
//           by a NUL; offsets to sub-objects are u32 relative to where they are stored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "model/tflite_model.h"

namespace fmn {
namespace fb {

[[noreturn]] inline void fail(const std::string& msg) { throw ModelError("tflite: " + msg); }

// A view of the whole image. Positions are byte offsets from its start.
class Image {
 public:
  Image(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  // True when [pos, pos + n) lies inside the image (overflow-safe).
  bool contains(size_t pos, size_t n) const { return pos <= size_ && n <= size_ - pos; }
  void require(size_t pos, size_t n, const char* what) const {
    if (!contains(pos, n))
      fail(std::string(what) + ": " + std::to_string(n) + " bytes at offset " +
           std::to_string(pos) + " lie outside the " + std::to_string(size_) + "-byte file");
  }

  template <typename T>
  T scalar(size_t pos, const char* what) const {
    static_assert(std::is_arithmetic<T>::value, "scalar type");
    require(pos, sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos, sizeof(T));  // little-endian host assumed (x86, ARM)
    return v;
  }

  // Follows the uoffset stored at `pos`; the target must be inside the image.
  size_t follow(size_t pos, const char* what) const {
    const uint32_t off = scalar<uint32_t>(pos, what);
    const size_t target = pos + static_cast<size_t>(off);
    if (off == 0 || target >= size_)
      fail(std::string(what) + ": offset " + std::to_string(off) + " stored at " +
           std::to_string(pos) + " points outside the file");
    return target;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

// A vector's elements: `count` items of `elem_size` bytes starting at `pos`, all inside
// the image (checked on construction through Table::vector / Image).
struct Vector {
  const Image* img = nullptr;
  size_t pos = 0;
  uint32_t count = 0;
  size_t elem_size = 0;

  size_t elem_pos(uint32_t i) const { return pos + static_cast<size_t>(i) * elem_size; }
  template <typename T>
  T at(uint32_t i, const char* what) const {
    return img->scalar<T>(elem_pos(i), what);
  }
};

// Reads the vector whose length prefix is at `pos`; checks count * elem_size fits.
inline Vector vector_at(const Image& img, size_t pos, size_t elem_size, const char* what) {
  Vector v;
  v.img = &img;
  v.count = img.scalar<uint32_t>(pos, what);
  v.pos = pos + 4;
  v.elem_size = elem_size;
  const size_t avail = img.size() - v.pos;  // pos + 4 <= size checked by scalar()
  if (elem_size != 0 && v.count > avail / elem_size)
    fail(std::string(what) + ": vector of " + std::to_string(v.count) + " x " +
         std::to_string(elem_size) + " bytes at offset " + std::to_string(pos) +
         " exceeds the " + std::to_string(avail) + " bytes left in the file");
  return v;
}

// Reads the NUL-terminated string whose length prefix is at `pos`.
inline std::string string_at(const Image& img, size_t pos, const char* what) {
  const Vector v = vector_at(img, pos, 1, what);
  img.require(v.pos, static_cast<size_t>(v.count) + 1, what);
  if (img.data()[v.pos + v.count] != 0)
    fail(std::string(what) + ": string at offset " + std::to_string(pos) +
         " lacks its NUL terminator");
  return std::string(reinterpret_cast<const char*>(img.data() + v.pos), v.count);
}

// A table with its vtable validated. Field ids are the schema's field order (0-based);
// a union field takes two ids (the _type byte, then the value offset).
class Table {
 public:
  Table() = default;
  Table(const Image& img, size_t pos, const char* what) : img_(&img), pos_(pos), what_(what) {
    const int32_t soff = img.scalar<int32_t>(pos, what);
    const int64_t vt = static_cast<int64_t>(pos) - static_cast<int64_t>(soff);
    if (vt < 0 || static_cast<uint64_t>(vt) > img.size())
      fail(std::string(what) + ": table at offset " + std::to_string(pos) +
           " has its vtable outside the file");
    vt_ = static_cast<size_t>(vt);
    vt_size_ = img.scalar<uint16_t>(vt_, what);
    tbl_size_ = img.scalar<uint16_t>(vt_ + 2, what);
    if (vt_size_ < 4 || (vt_size_ & 1) != 0)
      fail(std::string(what) + ": table at offset " + std::to_string(pos) +
           " has a malformed vtable size " + std::to_string(vt_size_));
    if (tbl_size_ < 4)
      fail(std::string(what) + ": table at offset " + std::to_string(pos) +
           " has a malformed inline size " + std::to_string(tbl_size_));
    img.require(vt_, vt_size_, what);
    img.require(pos_, tbl_size_, what);
  }
  bool valid() const { return img_ != nullptr; }
  size_t pos() const { return pos_; }

  // Offset of field `id` from the table start, or 0 when absent. A present field of
  // `field_size` bytes must lie inside the table's inline size.
  size_t field_offset(int id, size_t field_size) const {
    const size_t entry = 4 + 2 * static_cast<size_t>(id);
    if (entry + 2 > vt_size_) return 0;
    const uint16_t off = img_->scalar<uint16_t>(vt_ + entry, what_);
    if (off == 0) return 0;
    if (off < 4 || static_cast<size_t>(off) + field_size > tbl_size_)
      fail(std::string(what_) + ": field " + std::to_string(id) + " of the table at offset " +
           std::to_string(pos_) + " lies outside the table (offset " + std::to_string(off) +
           ", table size " + std::to_string(tbl_size_) + ")");
    return off;
  }
  bool has(int id) const { return field_offset(id, 1) != 0; }

  template <typename T>
  T get(int id, T def) const {
    const size_t off = field_offset(id, sizeof(T));
    return off ? img_->scalar<T>(pos_ + off, what_) : def;
  }

  // Position of the object referenced by offset field `id`, or 0 when absent.
  size_t ref(int id) const {
    const size_t off = field_offset(id, 4);
    return off ? img_->follow(pos_ + off, what_) : 0;
  }
  Table table(int id, const char* what) const {
    const size_t p = ref(id);
    return p ? Table(*img_, p, what) : Table();
  }
  // An absent vector reads as empty.
  Vector vector(int id, size_t elem_size, const char* what) const {
    const size_t p = ref(id);
    if (!p) {
      Vector v;
      v.img = img_;
      v.elem_size = elem_size;
      return v;
    }
    return vector_at(*img_, p, elem_size, what);
  }
  // An absent string reads as "".
  std::string string(int id, const char* what) const {
    const size_t p = ref(id);
    return p ? string_at(*img_, p, what) : std::string();
  }

 private:
  const Image* img_ = nullptr;
  size_t pos_ = 0;
  size_t vt_ = 0;
  uint16_t vt_size_ = 0;
  uint16_t tbl_size_ = 0;
  const char* what_ = "";
};

// Element `i` of a vector of tables.
inline Table table_at(const Vector& v, uint32_t i, const char* what) {
  return Table(*v.img, v.img->follow(v.elem_pos(i), what), what);
}

}  // namespace fb
}  // namespace fmn
