// FlexBuffers map reader (see flexbuffer.h for the contract).
//
// Encoding (FlexBuffers, google/flatbuffers flexbuffers.h):
//   - The last byte is the root's byte width; the byte before it is the root's packed type;
//     the root value occupies the `width` bytes before that.
//   - A packed type is (type << 2) | log2(byte width of the referenced data).
//   - NULL, INT, UINT, FLOAT and BOOL are stored inline at the parent's width; every other
//     type stores an unsigned offset, at the parent's width, pointing backwards
//     (target = position - offset).
//   - Sized objects (STRING, BLOB, VECTOR*, MAP) keep their element count just before the
//     target, at their own width. KEY is a NUL-terminated string without a count.
//   - Untyped VECTOR: `count` elements, then `count` packed-type bytes. Typed vectors
//     (VECTOR_INT/UINT/FLOAT/BOOL) have no type bytes; fixed typed vectors
//     (VECTOR_INT2..VECTOR_FLOAT4) have neither count nor type bytes.
//   - MAP: an untyped vector of values, preceded (from low to high addresses) by the offset
//     to its keys vector (a VECTOR_KEY), the keys vector's byte width, and the count.
//
// Descent is not recursive: a map's value may be a scalar, a string or a vector whose
// elements are numbers (inline or one indirection away). Well-formed values of other
// kinds (nested maps, blobs, vectors of strings or vectors) read as kNull.
#include "model/flexbuffer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace fmn {
namespace {

enum FlexType : uint8_t {
  kNullT = 0,
  kIntT = 1,
  kUIntT = 2,
  kFloatT = 3,
  kKeyT = 4,
  kStringT = 5,
  kIndirectIntT = 6,
  kIndirectUIntT = 7,
  kIndirectFloatT = 8,
  kMapT = 9,
  kVectorT = 10,
  kVectorIntT = 11,
  kVectorUIntT = 12,
  kVectorFloatT = 13,
  kVectorKeyT = 14,
  kVectorStringDeprecatedT = 15,
  kVectorInt2T = 16,
  kVectorFloat4T = 24,
  kBlobT = 25,
  kBoolT = 26,
  kVectorBoolT = 36,
};

[[noreturn]] void fail(const std::string& msg) { throw ModelError("flexbuffer: " + msg); }

bool valid_width(uint64_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

int64_t clamp_to_int(double f) {
  if (std::isnan(f)) return 0;
  if (f >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (f <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(f);
}

class Reader {
 public:
  Reader(const uint8_t* d, size_t n) : d_(d), n_(n) {}

  FlexMap read_root_map() const {
    if (n_ < 3) fail("buffer of " + std::to_string(n_) + " bytes is too small");
    const uint8_t width = d_[n_ - 1];
    if (!valid_width(width)) fail("root byte width " + std::to_string(width) + " is invalid");
    if (n_ < 2 + static_cast<size_t>(width)) fail("root value lies before the buffer start");
    const uint8_t packed = d_[n_ - 2];
    if ((packed >> 2) != kMapT)
      fail("root has type " + std::to_string(packed >> 2) + ", not a map");
    return read_map(n_ - 2 - width, width, packed);
  }

 private:
  void require(size_t pos, size_t len, const char* what) const {
    if (pos > n_ || len > n_ - pos)
      fail(std::string(what) + ": " + std::to_string(len) + " bytes at offset " +
           std::to_string(pos) + " lie outside the " + std::to_string(n_) + "-byte buffer");
  }
  uint64_t read_uint(size_t pos, size_t width, const char* what) const {
    if (!valid_width(width)) fail(std::string(what) + ": invalid byte width");
    require(pos, width, what);
    uint64_t v = 0;
    for (size_t k = 0; k < width; ++k) v |= static_cast<uint64_t>(d_[pos + k]) << (8 * k);
    return v;
  }
  int64_t read_int(size_t pos, size_t width, const char* what) const {
    const uint64_t u = read_uint(pos, width, what);
    if (width == 8) {
      int64_t s;
      std::memcpy(&s, &u, 8);
      return s;
    }
    const uint64_t sign = uint64_t{1} << (8 * width - 1);
    // Sign-extend from `width` bytes.
    return static_cast<int64_t>(u ^ sign) - static_cast<int64_t>(sign);
  }
  double read_float(size_t pos, size_t width, const char* what) const {
    require(pos, width, what);
    if (width == 4) {
      float f;
      std::memcpy(&f, d_ + pos, 4);
      return f;
    }
    if (width == 8) {
      double f;
      std::memcpy(&f, d_ + pos, 8);
      return f;
    }
    fail(std::string(what) + ": float of " + std::to_string(width) + " bytes");
  }
  // Target of the backward offset stored at `pos` with `width` bytes.
  size_t indirect(size_t pos, size_t width, const char* what) const {
    const uint64_t off = read_uint(pos, width, what);
    if (off > pos)
      fail(std::string(what) + ": offset " + std::to_string(off) + " at " + std::to_string(pos) +
           " points before the buffer start");
    return pos - static_cast<size_t>(off);
  }
  // Element count stored just before a sized object at `target`.
  uint64_t sized_count(size_t target, size_t width, const char* what) const {
    if (target < width) fail(std::string(what) + ": size field lies before the buffer start");
    return read_uint(target - width, width, what);
  }
  std::string read_key(size_t pos) const {
    require(pos, 1, "key");
    const void* end = std::memchr(d_ + pos, 0, n_ - pos);
    if (end == nullptr) fail("key at offset " + std::to_string(pos) + " is not NUL-terminated");
    return std::string(reinterpret_cast<const char*>(d_ + pos),
                       static_cast<const uint8_t*>(end) - (d_ + pos));
  }

  // A number held at `pos` with parent width `pw` and packed type `packed`; false when the
  // value is not numeric.
  bool read_number(size_t pos, size_t pw, uint8_t packed, FlexValue& v) const {
    const uint8_t type = packed >> 2;
    const size_t w = size_t{1} << (packed & 3);
    switch (type) {
      case kIntT: set_int(v, read_int(pos, pw, "int")); return true;
      case kUIntT: set_uint(v, read_uint(pos, pw, "uint")); return true;
      case kFloatT: set_float(v, read_float(pos, pw, "float")); return true;
      case kBoolT:
        set_int(v, read_uint(pos, pw, "bool") != 0 ? 1 : 0);
        v.kind = FlexValue::Kind::kBool;
        return true;
      case kIndirectIntT: set_int(v, read_int(indirect(pos, pw, "indirect int"), w, "int")); return true;
      case kIndirectUIntT:
        set_uint(v, read_uint(indirect(pos, pw, "indirect uint"), w, "uint"));
        return true;
      case kIndirectFloatT:
        set_float(v, read_float(indirect(pos, pw, "indirect float"), w, "float"));
        return true;
      default: return false;
    }
  }
  static void set_int(FlexValue& v, int64_t x) {
    v.kind = FlexValue::Kind::kInt;
    v.i = x;
    v.f = static_cast<double>(x);
  }
  static void set_uint(FlexValue& v, uint64_t x) {
    v.kind = FlexValue::Kind::kInt;
    v.i = x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
              ? std::numeric_limits<int64_t>::max()
              : static_cast<int64_t>(x);
    v.f = static_cast<double>(x);
  }
  static void set_float(FlexValue& v, double x) {
    v.kind = FlexValue::Kind::kFloat;
    v.f = x;
    v.i = clamp_to_int(x);
  }

  // Elements of a typed or fixed typed vector at `target`, element width `w`.
  void read_typed_numbers(size_t target, size_t w, uint64_t count, uint8_t elem_type,
                          FlexValue& v) const {
    if (count > (n_ - std::min(target, n_)) / w)
      fail("vector of " + std::to_string(count) + " elements at offset " +
           std::to_string(target) + " exceeds the buffer");
    v.numbers.reserve(static_cast<size_t>(count));
    for (uint64_t k = 0; k < count; ++k) {
      FlexValue e;
      const uint8_t packed = static_cast<uint8_t>(elem_type << 2);  // inline: width from w
      read_number(target + static_cast<size_t>(k) * w, w, packed, e);
      v.numbers.push_back(e.as_float());
    }
    v.kind = FlexValue::Kind::kVector;
  }

  FlexValue read_value(size_t pos, size_t pw, uint8_t packed) const {
    FlexValue v;
    if (read_number(pos, pw, packed, v)) return v;
    const uint8_t type = packed >> 2;
    const size_t w = size_t{1} << (packed & 3);
    switch (type) {
      case kNullT: return v;
      case kKeyT:
        v.kind = FlexValue::Kind::kString;
        v.s = read_key(indirect(pos, pw, "key"));
        return v;
      case kStringT: {
        const size_t target = indirect(pos, pw, "string");
        const uint64_t len = sized_count(target, w, "string");
        if (len > n_ - target) fail("string at offset " + std::to_string(target) + " exceeds the buffer");
        v.kind = FlexValue::Kind::kString;
        v.s.assign(reinterpret_cast<const char*>(d_ + target), static_cast<size_t>(len));
        return v;
      }
      case kVectorIntT:
      case kVectorUIntT:
      case kVectorFloatT:
      case kVectorBoolT: {
        const size_t target = indirect(pos, pw, "typed vector");
        const uint64_t count = sized_count(target, w, "typed vector");
        const uint8_t elem = type == kVectorBoolT ? static_cast<uint8_t>(kBoolT) : static_cast<uint8_t>(type - kVectorIntT + kIntT);
        read_typed_numbers(target, w, count, elem, v);
        return v;
      }
      case kVectorT: {
        const size_t target = indirect(pos, pw, "vector");
        const uint64_t count = sized_count(target, w, "vector");
        if (count > (n_ - target) / (w + 1))
          fail("vector of " + std::to_string(count) + " elements at offset " +
               std::to_string(target) + " exceeds the buffer");
        const size_t types = target + static_cast<size_t>(count) * w;
        std::vector<double> numbers;
        numbers.reserve(static_cast<size_t>(count));
        for (uint64_t k = 0; k < count; ++k) {
          FlexValue e;
          if (!read_number(target + static_cast<size_t>(k) * w, w, d_[types + k], e))
            return FlexValue();  // not a vector of numbers: unsupported, reads as null
          numbers.push_back(e.as_float());
        }
        v.kind = FlexValue::Kind::kVector;
        v.numbers = std::move(numbers);
        return v;
      }
      case kVectorKeyT:
      case kVectorStringDeprecatedT: {
        // An empty vector carries no element type (builders emit VECTOR_KEY): read it as an
        // empty vector of numbers. Non-empty ones hold strings: unsupported.
        const size_t target = indirect(pos, pw, "vector");
        if (sized_count(target, w, "vector") == 0) v.kind = FlexValue::Kind::kVector;
        return v;
      }
      case kMapT:
      case kBlobT:
        indirect(pos, pw, "object");  // well-formed reference, unsupported content
        return v;
      default:
        if (type >= kVectorInt2T && type <= kVectorFloat4T) {
          const size_t target = indirect(pos, pw, "fixed vector");
          const uint8_t fixed = type - kVectorInt2T;
          read_typed_numbers(target, w, fixed / 3 + 2, static_cast<uint8_t>(fixed % 3 + kIntT), v);
          return v;
        }
        fail("unknown value type " + std::to_string(type) + " at offset " + std::to_string(pos));
    }
  }

  FlexMap read_map(size_t pos, size_t pw, uint8_t packed) const {
    const size_t w = size_t{1} << (packed & 3);
    const size_t values = indirect(pos, pw, "map");
    if (values < 3 * w) fail("map header lies before the buffer start");
    const uint64_t count = read_uint(values - w, w, "map size");
    const uint64_t key_width = read_uint(values - 2 * w, w, "map key width");
    if (!valid_width(key_width)) fail("map key width " + std::to_string(key_width) + " is invalid");
    const size_t keys = indirect(values - 3 * w, w, "map keys");
    const uint64_t key_count = sized_count(keys, static_cast<size_t>(key_width), "map keys");
    if (key_count != count)
      fail("map has " + std::to_string(count) + " values but " + std::to_string(key_count) +
           " keys");
    if (count > (n_ - values) / (w + 1) || count > (n_ - keys) / key_width)
      fail("map of " + std::to_string(count) + " entries exceeds the buffer");
    const size_t types = values + static_cast<size_t>(count) * w;
    FlexMap out;
    for (uint64_t k = 0; k < count; ++k) {
      const size_t kpos = keys + static_cast<size_t>(k * key_width);
      std::string key = read_key(indirect(kpos, static_cast<size_t>(key_width), "map key"));
      FlexValue v = read_value(values + static_cast<size_t>(k) * w, w, d_[types + k]);
      if (!out.emplace(std::move(key), std::move(v)).second) fail("map has a duplicate key");
    }
    return out;
  }

  const uint8_t* d_;
  size_t n_;
};

}  // namespace

FlexMap parse_flexbuffer_map(const uint8_t* data, size_t size) {
  if (data == nullptr) fail("null buffer");
  return Reader(data, size).read_root_map();
}

}  // namespace fmn
