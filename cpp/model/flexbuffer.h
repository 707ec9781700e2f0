// FlexBuffers reader for custom operator options (MediaPipe's custom ops store a map).
//
// Contract: parse_flexbuffer_map() reads a FlexBuffer whose root is a map and returns its
// entries with their values converted to plain C++ types. Any malformed input throws
// ModelError; nothing outside [data, data + size) is read; nesting is bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/tflite_model.h"

namespace fmn {

struct FlexValue {
  enum class Kind { kNull, kInt, kFloat, kBool, kString, kVector };
  Kind kind = Kind::kNull;
  int64_t i = 0;                 // kInt, kBool (and kFloat truncated)
  double f = 0.0;                // kFloat (and kInt converted)
  std::string s;                 // kString / key
  std::vector<double> numbers;   // kVector of numbers (ints or floats) in order

  int64_t as_int() const { return i; }  // the parser fills i for floats too (truncated, capped)
  double as_float() const { return kind == Kind::kFloat ? f : static_cast<double>(i); }
};

using FlexMap = std::map<std::string, FlexValue>;

FlexMap parse_flexbuffer_map(const uint8_t* data, size_t size);

}  // namespace fmn
