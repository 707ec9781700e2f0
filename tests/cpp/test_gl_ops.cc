// GL op kernels against the reference kernels: the shared op suite (op_suite.h) through
// GlExecutor, plus what only GL has (RESHAPE aliases, batches split into passes of max_batch,
// its error types).
// Without a usable GL device (not even llvmpipe) the tests print SKIP and pass, unless
// FMN_TEST_REQUIRE_GL=1, which makes them fail.
#define FMN_TEST_MAIN
#include "testing.h"

#include <memory>
#include <string>
#include <vector>

#include "executors/gl_executor.h"
#include "gl_test_util.h"
#include "model/tflite_model.h"
#include "ops/gl/gl_probe.h"
#include "ops/gl/kernels/gl_kernels.h"

namespace {

bool backend_ready() { return gltest::context() != nullptr; }

std::unique_ptr<fmn::Executor> make_executor(const fmn::ModelDef& m, int max_batch, bool fuse) {
  fmn::gl::GlExecutorOptions o;
  o.fuse = fuse;
  return std::unique_ptr<fmn::Executor>(new fmn::gl::GlExecutor(m, gltest::context(), max_batch, o));
}

}  // namespace

#define OP_PREFIX gl_
#include "op_suite.h"

using fmn::gl::GlContext;
using fmn::gl::GlExecutor;

// RESHAPE shares storage: reshape -> add -> reshape, and a reshape that is itself an output.
TEST(gl_reshape_alias) {
  if (!context()) return;
  ModelBuilder b;
  const int in = b.input({1, 4, 3, 6});
  const int r1 = b.tensor({1, 12, 6});
  b.op(builtin::kReshape, {in, b.iconst({3}, {1, -1, 6})}, {r1});
  const int c = b.fconst({6}, rand_floats(6));
  const int sum = b.tensor({1, 12, 6});
  b.op(builtin::kAdd, {r1, c}, {sum});
  const int r2 = b.tensor({1, 72});
  OperatorDef& op = b.op(builtin::kReshape, {sum}, {r2});
  op.options.new_shape = {1, 72};
  op.options.has_new_shape = true;
  b.m.outputs = {r2, r1};
  std::vector<NodeInfo> plan;
  CHECK(compare_model(b.m, 3, "reshape chain", 1e-5, -1, true, &plan));
  CHECK(plan.size() == 3 && plan[0].impl == "gl.alias" && plan[1].impl == "gl");
}

// Batches above max_batch run as several passes; constant-folded outputs are replicated.
TEST(gl_batch_split_and_folding) {
  if (!context()) return;
  ModelBuilder b;
  const int in = b.input({1, 5, 5, 3});
  int conv_out;
  {
    const int w = b.fconst({4, 3, 3, 3}, rand_floats(108));
    conv_out = b.tensor({1, 5, 5, 4});
    b.op(builtin::kConv2d, {in, w, -1}, {conv_out}).options.padding = Padding::kSame;
  }
  // A float16 constant dequantized and multiplied by another constant: folded at load.
  std::vector<uint16_t> half = {0x3c00, 0x4000, 0xbc00, 0x3800};  // 1, 2, -1, 0.5
  const int h = b.constant({4}, half.data(), 8, TensorType::kFloat16);
  const int hf = b.tensor({4});
  b.op(builtin::kDequantize, {h}, {hf});
  const int scaled = b.tensor({4});
  b.op(builtin::kMul, {hf, b.fconst({4}, {3, 3, 3, 3})}, {scaled});
  const int out = b.tensor({1, 5, 5, 4});
  b.op(builtin::kMul, {conv_out, scaled}, {out});
  b.m.outputs = {out, scaled};
  std::vector<NodeInfo> plan;
  CHECK(compare_model(b.m, 5, "batch 5 in passes of 2", 1e-5, 2, true, &plan));
  CHECK(plan.size() == 2);
}

TEST(gl_unsupported_is_reported) {
  if (!context()) return;
  // A float16 activation (DEQUANTIZE of a graph input): the CPU runs it, GL does not.
  ModelBuilder b;
  const int in = b.tensor({1, 4}, TensorType::kFloat16);
  b.m.inputs.push_back(in);
  const int out = b.tensor({1, 4});
  b.op(builtin::kDequantize, {in}, {out});
  b.m.outputs = {out};
  bool threw = false;
  try {
    GlExecutor ex(b.m, context(), 1);
  } catch (const gl::GlUnsupportedError& e) {
    threw = std::string(e.what()).find("DEQUANTIZE") != std::string::npos;
    if (!threw) std::fprintf(stderr, "  message: %s\n", e.what());
  }
  CHECK(threw);
  // A shader that does not compile: GlError with the driver's log and the label.
  bool compile_error = false;
  try {
    context()->compile_compute_program("#version 310 es\nlayout(local_size_x = 1) in;\nvoid main() { undefined_call(); }\n", "broken");
  } catch (const gl::GlError& e) {
    compile_error = std::string(e.what()).find("broken") != std::string::npos;
  }
  CHECK(compile_error);
}

