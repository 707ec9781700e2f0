// Helpers shared by the GL tests (test_gl_*.cc): the GL context of a test run (or a SKIP),
// random data, a ModelDef builder, and the error of a GL output against its CPU reference.
// Include after testing.h (the including file defines FMN_TEST_MAIN as it needs).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model/tflite_model.h"
#include "ops/gl/gl_context.h"
#include "ops/gl/gl_probe.h"
#include "testing.h"

namespace gltest {

// True when FMN_TEST_REQUIRE_GL=1: a missing GL device is then a test failure, not a SKIP.
inline bool gl_required() {
  const char* require = std::getenv("FMN_TEST_REQUIRE_GL");
  return require != nullptr && std::string(require) == "1";
}

// The one context of the test run ("gl", software rasterizers allowed), created on first use.
// Null when there is no usable GL device: then prints SKIP, or records a failure when
// gl_required(); callers return early on null. Deliberately never destroyed: static
// destructors run after the EGL/driver libraries' own exit handlers, and tearing a context
// down then is unsafe.
inline fmn::gl::GlContext* context() {
  static fmn::gl::GlContext* ctx = nullptr;
  static bool tried = false;
  static std::string why;
  if (!tried) {
    tried = true;
    ctx = fmn::gl::create_gl_context("gl", /*allow_software=*/true, &why).release();
  }
  if (!ctx) {
    if (gl_required()) {
      fmn_test::fail(__FILE__, __LINE__, "FMN_TEST_REQUIRE_GL=1 but no GL device: " + why);
    } else {
      std::printf("SKIP: no usable GL device: %s\n", why.c_str());
    }
  }
  return ctx;
}

inline int64_t numel(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

// n floats drawn uniformly from [lo, hi) with `rng`.
inline std::vector<float> uniform_floats(std::mt19937& rng, int64_t n, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

// Builds a ModelDef op by op. Buffer 0 is the empty buffer of non-constant tensors.
struct ModelBuilder {
  fmn::ModelDef m;
  ModelBuilder() { m.buffers.emplace_back(); }
  int tensor(const std::vector<int32_t>& shape, fmn::TensorType type = fmn::TensorType::kFloat32) {
    fmn::TensorDef t;
    t.name = "t" + std::to_string(m.tensors.size());
    t.shape = shape;
    t.type = type;
    m.tensors.push_back(t);
    return static_cast<int>(m.tensors.size()) - 1;
  }
  // A constant tensor holding a copy of `bytes` bytes at `data`.
  int constant(const std::vector<int32_t>& shape, const void* data, size_t bytes,
               fmn::TensorType type = fmn::TensorType::kFloat32) {
    const int id = tensor(shape, type);
    m.buffers.emplace_back(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + bytes);
    m.tensors[id].buffer = static_cast<uint32_t>(m.buffers.size() - 1);
    return id;
  }
  int fconst(const std::vector<int32_t>& shape, const std::vector<float>& v) {
    return constant(shape, v.data(), v.size() * sizeof(float), fmn::TensorType::kFloat32);
  }
  int iconst(const std::vector<int32_t>& shape, const std::vector<int32_t>& v) {
    return constant(shape, v.data(), v.size() * sizeof(int32_t), fmn::TensorType::kInt32);
  }
  // A new fp32 graph input.
  int input(const std::vector<int32_t>& shape) {
    const int id = tensor(shape);
    m.inputs.push_back(id);
    return id;
  }
  fmn::OperatorDef& op(int32_t code, std::vector<int32_t> in, std::vector<int32_t> out) {
    fmn::OperatorDef o;
    o.builtin_code = code;
    o.inputs = std::move(in);
    o.outputs = std::move(out);
    m.operators.push_back(o);
    return m.operators.back();
  }
};

// How far `got` is from `want` (same length): max_ref = max |want[i]|, max_err = max
// |got[i] - want[i]| (infinity when any difference is NaN), worst = an index where max_err is
// reached (the last NaN one when there are NaNs).
struct OutputError {
  double max_ref = 0, max_err = 0;
  size_t worst = 0;
  // max_err / max_ref, or max_err when the reference is all zeros.
  double relative() const { return max_ref > 0 ? max_err / max_ref : max_err; }
};

inline OutputError output_error(const std::vector<float>& got, const std::vector<float>& want) {
  OutputError r;
  for (size_t i = 0; i < want.size(); ++i) {
    r.max_ref = std::max(r.max_ref, std::fabs(static_cast<double>(want[i])));
    const double e = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(e <= r.max_err)) {
      r.max_err = std::isnan(e) ? INFINITY : e;
      r.worst = i;
    }
  }
  return r;
}

}  // namespace gltest
