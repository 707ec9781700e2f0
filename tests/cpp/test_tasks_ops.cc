// Reference kernels of the ops the face_blendshapes model adds (SUB, DIV, SQUARED_DIFFERENCE,
// NEG, SQRT, RSQRT, LOGISTIC, MEAN, SUM, TRANSPOSE) against direct loops written here, on the
// model's own shapes and random ones; and their preparation's checks (missing inputs, wrong
// types, ranks, non-constant axes/perms, bad output shapes) raise ModelError.
#define FMN_TEST_MAIN
#include "ops/reference/reference_kernels.h"
#include "testing.h"

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "runtime/kernel.h"

using namespace fmn;

namespace {

struct Node {
  OperatorDef op;
  std::vector<std::vector<float>> in_data;
  std::vector<std::vector<int32_t>> in_int;
  OpContext ctx;
  std::vector<float> out;
  std::unique_ptr<Kernel> kernel;
};

TensorView fview(std::vector<float>& d, std::vector<int32_t> shape, bool constant = false) {
  TensorView t;
  t.type = TensorType::kFloat32;
  t.shape = std::move(shape);
  t.data = d.data();
  t.is_constant = constant;
  return t;
}

TensorView iview(std::vector<int32_t>& d, std::vector<int32_t> shape, bool constant = true) {
  TensorView t;
  t.type = TensorType::kInt32;
  t.shape = std::move(shape);
  t.data = d.data();
  t.is_constant = constant;
  return t;
}

std::vector<float> rand_vec(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

int64_t count(const std::vector<int32_t>& s) {
  int64_t n = 1;
  for (int32_t d : s) n *= d;
  return n;
}

// Runs a kernel over prepared views; returns the output.
std::vector<float> run(OpContext& ctx, std::vector<float>& out) {
  std::unique_ptr<Kernel> k = create_reference_kernel(ctx);
  k->prepare(ctx);
  NodeArgs a;
  a.inputs = ctx.inputs;
  a.outputs = ctx.outputs;
  k->run(a, nullptr);
  return out;
}

void check_binary(int32_t code, std::vector<int32_t> as, std::vector<int32_t> bs, std::mt19937& rng) {
  OperatorDef op;
  op.builtin_code = code;
  std::vector<float> a = rand_vec(rng, count(as), -2.f, 2.f);
  std::vector<float> b = rand_vec(rng, count(bs), 0.5f, 2.f);
  const int rank = static_cast<int>(std::max(as.size(), bs.size()));
  std::vector<int32_t> os(rank);
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - static_cast<int>(as.size())), ib = i - (rank - static_cast<int>(bs.size()));
    os[i] = std::max(ia >= 0 ? as[ia] : 1, ib >= 0 ? bs[ib] : 1);
  }
  std::vector<float> out(count(os));
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = builtin_name(code);
  ctx.inputs = {fview(a, as), fview(b, bs)};
  ctx.outputs = {fview(out, os)};
  run(ctx, out);
  // Direct evaluation through the broadcast index.
  std::vector<int32_t> idx(rank, 0);
  for (int64_t i = 0; i < count(os); ++i) {
    int64_t oa = 0, ob = 0;
    for (int d = 0; d < rank; ++d) {
      const int ia = d - (rank - static_cast<int>(as.size())), ib = d - (rank - static_cast<int>(bs.size()));
      if (ia >= 0) oa = oa * as[ia] + (as[ia] == 1 ? 0 : idx[d]);
      if (ib >= 0) ob = ob * bs[ib] + (bs[ib] == 1 ? 0 : idx[d]);
    }
    const double x = a[oa], y = b[ob];
    double want = code == builtin::kSub ? x - y : code == builtin::kDiv ? x / y : (x - y) * (x - y);
    CHECK_NEAR(out[i], want, 1e-5 * (1 + std::fabs(want)));
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < os[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace

TEST(binary_ops_match_direct_loops) {
  std::mt19937 rng(1);
  for (int32_t code : {builtin::kSub, builtin::kDiv, builtin::kSquaredDifference}) {
    check_binary(code, {1, 146, 2}, {1, 1, 2}, rng);          // the model's SUB
    check_binary(code, {1, 146, 2}, {1, 1, 1}, rng);          // the model's DIV
    check_binary(code, {1, 1, 97, 64}, {1, 1, 97, 1}, rng);   // SQUARED_DIFFERENCE
    check_binary(code, {2, 3, 4}, {3, 4}, rng);
    check_binary(code, {5}, {5}, rng);
  }
}

TEST(unary_ops_match_std) {
  std::mt19937 rng(2);
  for (int32_t code : {builtin::kNeg, builtin::kSqrt, builtin::kRsqrt, builtin::kLogistic}) {
    OperatorDef op;
    op.builtin_code = code;
    std::vector<float> a = rand_vec(rng, 97, 0.01f, 4.f);
    std::vector<float> out(97);
    OpContext ctx;
    ctx.op = &op;
    ctx.op_name = builtin_name(code);
    ctx.inputs = {fview(a, {1, 1, 97, 1})};
    ctx.outputs = {fview(out, {1, 1, 97, 1})};
    run(ctx, out);
    for (int i = 0; i < 97; ++i) {
      const double x = a[i];
      const double want = code == builtin::kNeg ? -x : code == builtin::kSqrt ? std::sqrt(x)
                          : code == builtin::kRsqrt ? 1 / std::sqrt(x) : 1 / (1 + std::exp(-x));
      CHECK_NEAR(out[i], want, 1e-6 * (1 + std::fabs(want)));
    }
  }
}

TEST(reduce_ops_match_direct_sums) {
  std::mt19937 rng(3);
  struct Case { std::vector<int32_t> shape; std::vector<int32_t> axes; bool keep; };
  const Case cases[] = {{{1, 146, 2}, {-2}, true}, {{1, 146, 2}, {-1}, true},
                        {{1, 1, 97, 64}, {3}, true}, {{2, 3, 4}, {0, 2}, false},
                        {{2, 3, 4}, {1, 1}, false}};
  for (int32_t code : {builtin::kMean, builtin::kSum}) {
    for (const Case& c : cases) {
      OperatorDef op;
      op.builtin_code = code;
      op.options.keep_dims = c.keep;
      std::vector<float> a = rand_vec(rng, count(c.shape), -1.f, 1.f);
      std::vector<int32_t> axes = c.axes;
      std::vector<bool> red(c.shape.size(), false);
      for (int32_t ax : axes) red[ax < 0 ? ax + c.shape.size() : ax] = true;
      std::vector<int32_t> os;
      for (size_t d = 0; d < c.shape.size(); ++d)
        if (!red[d]) os.push_back(c.shape[d]);
        else if (c.keep) os.push_back(1);
      std::vector<float> out(count(os));
      OpContext ctx;
      ctx.op = &op;
      ctx.op_name = builtin_name(code);
      ctx.inputs = {fview(a, c.shape), iview(axes, {static_cast<int32_t>(axes.size())})};
      ctx.outputs = {fview(out, os)};
      run(ctx, out);
      // Direct: accumulate each input element into its output slot.
      std::vector<double> acc(out.size(), 0.0);
      std::vector<int> cnt(out.size(), 0);
      std::vector<int32_t> idx(c.shape.size(), 0);
      for (int64_t i = 0; i < count(c.shape); ++i) {
        int64_t o = 0;
        for (size_t d = 0; d < c.shape.size(); ++d)
          if (!red[d]) o = o * c.shape[d] + idx[d];
        acc[o] += a[i];
        cnt[o] += 1;
        for (int d = static_cast<int>(c.shape.size()) - 1; d >= 0; --d) {
          if (++idx[d] < c.shape[d]) break;
          idx[d] = 0;
        }
      }
      for (size_t o = 0; o < out.size(); ++o)
        CHECK_NEAR(out[o], code == builtin::kMean ? acc[o] / cnt[o] : acc[o], 1e-5);
    }
  }
}

TEST(transpose_matches_index_map) {
  std::mt19937 rng(4);
  OperatorDef op;
  op.builtin_code = builtin::kTranspose;
  std::vector<float> a = rand_vec(rng, 2 * 3 * 4 * 5, -1.f, 1.f);
  std::vector<int32_t> perm = {2, 0, 3, 1};
  std::vector<float> out(a.size());
  OpContext ctx;
  ctx.op = &op;
  ctx.op_name = "TRANSPOSE";
  ctx.inputs = {fview(a, {2, 3, 4, 5}), iview(perm, {4})};
  ctx.outputs = {fview(out, {4, 2, 5, 3})};
  run(ctx, out);
  for (int i0 = 0; i0 < 2; ++i0)
    for (int i1 = 0; i1 < 3; ++i1)
      for (int i2 = 0; i2 < 4; ++i2)
        for (int i3 = 0; i3 < 5; ++i3)
          CHECK(out[((i2 * 2 + i0) * 5 + i3) * 3 + i1] == a[((i0 * 3 + i1) * 4 + i2) * 5 + i3]);
}

TEST(preparation_rejects_bad_operands) {
  std::vector<float> a(8), out(8);
  std::vector<int32_t> axes = {5}, perm = {0, 0};
  OperatorDef op;
  OpContext ctx;
  ctx.op = &op;
  auto prepare = [&] {
    std::unique_ptr<Kernel> k = create_reference_kernel(ctx);
    k->prepare(ctx);
  };
  // MEAN: axis out of range; axes not constant; missing axes.
  op.builtin_code = builtin::kMean;
  ctx.op_name = "MEAN";
  ctx.inputs = {fview(a, {2, 4}), iview(axes, {1})};
  ctx.outputs = {fview(out, {2, 4})};
  CHECK_THROWS(prepare(), ModelError);
  axes = {1};
  ctx.inputs = {fview(a, {2, 4}), iview(axes, {1}, /*constant=*/false)};
  CHECK_THROWS(prepare(), ModelError);
  ctx.inputs = {fview(a, {2, 4})};
  CHECK_THROWS(prepare(), ModelError);
  // TRANSPOSE: not a permutation; wrong output shape.
  op.builtin_code = builtin::kTranspose;
  ctx.op_name = "TRANSPOSE";
  ctx.inputs = {fview(a, {2, 4}), iview(perm, {2})};
  ctx.outputs = {fview(out, {4, 2})};
  CHECK_THROWS(prepare(), ModelError);
  perm = {1, 0};
  ctx.outputs = {fview(out, {2, 4})};
  CHECK_THROWS(prepare(), ModelError);
  // Binary: an int32 input; incompatible shapes.
  op.builtin_code = builtin::kDiv;
  ctx.op_name = "DIV";
  std::vector<int32_t> ints(8);
  ctx.inputs = {fview(a, {2, 4}), iview(ints, {2, 4})};
  ctx.outputs = {fview(out, {2, 4})};
  CHECK_THROWS(prepare(), ModelError);
  ctx.inputs = {fview(a, {2, 4}), fview(a, {4, 2})};
  CHECK_THROWS(prepare(), ModelError);
  // Unary: output shape differs.
  op.builtin_code = builtin::kRsqrt;
  ctx.op_name = "RSQRT";
  ctx.inputs = {fview(a, {2, 4})};
  ctx.outputs = {fview(out, {8})};
  CHECK_THROWS(prepare(), ModelError);
}
