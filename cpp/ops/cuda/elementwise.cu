// Broadcasting binary ops (ADD, MUL, SUB, DIV, SQUARED_DIFFERENCE, PRELU) over up to 6
// dimensions, and the unary ops (RELU, RELU6, LOGISTIC, NEG, SQRT, RSQRT): one thread per
// output element, in the reference kernels' arithmetic.
#include "ops/cuda/cuda_common.cuh"

namespace fmn {
namespace FMN_CUDA_NS {

FMN_DEVICE float binary_op(Binary op, float x, float y) {
  switch (op) {
    case Binary::kAdd: return x + y;
    case Binary::kMul: return x * y;
    case Binary::kSub: return x - y;
    case Binary::kDiv: return x / y;
    case Binary::kSquaredDifference: return (x - y) * (x - y);
    case Binary::kPrelu: return x >= 0.0f ? x : y * x;
  }
  return 0.0f;
}

FMN_GLOBAL void binary_kernel(BinaryArgs a, int64_t count) {
  FMN_GRID_LOOP(i, count) {
    const int64_t sample = i / a.out_sample;
    int64_t rest = i - sample * a.out_sample;
    int64_t ai = sample * a.a_sample, bi = sample * a.b_sample;
    for (int d = kMaxRank - 1; d >= 0; --d) {
      const int64_t coord = rest % a.dims[d];
      rest /= a.dims[d];
      ai += coord * a.a_strides[d];
      bi += coord * a.b_strides[d];
    }
    a.out[i] = clamp_to(binary_op(a.op, a.a[ai], a.b[bi]), a.act_lo, a.act_hi);
  }
}

FMN_GLOBAL void unary_kernel(UnaryArgs a) {
  FMN_GRID_LOOP(i, a.count) {
    const float v = a.in[i];
    float r = 0.0f;
    switch (a.op) {
      case Unary::kRelu: r = fmaxf(v, 0.0f); break;
      case Unary::kRelu6: r = fminf(fmaxf(v, 0.0f), 6.0f); break;
      case Unary::kLogistic: r = 1.0f / (1.0f + expf(-v)); break;
      case Unary::kNeg: r = -v; break;
      case Unary::kSqrt: r = sqrtf(v); break;
      case Unary::kRsqrt: r = 1.0f / sqrtf(v); break;
    }
    a.out[i] = r;
  }
}

void binary(const BinaryArgs& a, Stream s) {
  const int64_t count = static_cast<int64_t>(a.batch) * a.out_sample;
  if (count == 0) return;
  FMN_LAUNCH(binary_kernel, grid_blocks(count), kThreads, s)(a, count);
}

void unary(const UnaryArgs& a, Stream s) {
  if (a.count == 0) return;
  FMN_LAUNCH(unary_kernel, grid_blocks(a.count), kThreads, s)(a);
}

}  // namespace FMN_CUDA_NS
}  // namespace fmn
