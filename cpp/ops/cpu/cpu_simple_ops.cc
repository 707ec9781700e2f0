// MAX_POOL_2D (float32 NHWC) and PAD (any rank-4 float32 tensor, constant int32 [4, 2]
// paddings >= 0, zero fill) for the tuned CPU backend. Both compute on the instruction set's
// table; PAD's pixel copies use it when nothing is padded before the channels.
#include "ops/cpu/cpu_simple_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/reference/reference_ops.h"
#include "runtime/thread_pool.h"

namespace fmn {
namespace cpu {
namespace {

// Minimum output floats per parallel chunk for these memory-bound ops.
constexpr int64_t kMinFloatsPerChunk = 16384;

bool is_f32(const TensorView& t) { return t.type == TensorType::kFloat32; }

// Splits `rows` over the pool when each chunk gets at least kMinFloatsPerChunk floats.
template <class Fn>
void for_rows(ThreadPool* pool, int64_t rows, int64_t floats_per_row, const Fn& fn) {
  if (pool && pool->size() > 1 && rows > 1) {
    const int64_t grain = std::max<int64_t>(1, kMinFloatsPerChunk / std::max<int64_t>(1, floats_per_row));
    pool->parallel_for(rows, [&](int64_t b, int64_t e, int) { fn(b, e); }, grain);
  } else {
    fn(0, rows);
  }
}

class MaxPoolKernel : public Kernel {
 public:
  MaxPoolKernel(const IsaKernels* isa, const PoolPlan& plan) : isa_(isa), plan_(plan) {}

  void run(const NodeArgs& a, ThreadPool* pool) const override {
    RunArgs ra;
    ra.in = a.inputs[0].f32();
    ra.out = a.outputs[0].f32();
    for_rows(pool, plan_.rows(), static_cast<int64_t>(plan_.g.out_w) * plan_.g.out_c,
             [&](int64_t b, int64_t e) { isa_->max_pool(plan_, ra, b, e); });
  }
  const char* impl_name() const override { return isa_->name; }

 private:
  const IsaKernels* isa_;
  PoolPlan plan_;
};

class PadKernel : public Kernel {
 public:
  PadKernel(const IsaKernels* isa, const std::vector<int32_t>& in_shape,
            const std::vector<int32_t>& out_shape, const int32_t* before)
      : isa_(isa), in_(in_shape), out_(out_shape), before_(before, before + 4) {}

  void run(const NodeArgs& a, ThreadPool* pool) const override {
    const float* in = a.inputs[0].f32();
    float* out = a.outputs[0].f32();
    for_rows(pool, static_cast<int64_t>(out_[0]) * out_[1],
             static_cast<int64_t>(out_[2]) * out_[3],
             [&](int64_t b, int64_t e) { rows(in, out, b, e); });
  }
  const char* impl_name() const override { return isa_->name; }

 private:
  // Output rows (n, y) in [begin, end).
  void rows(const float* in, float* out, int64_t begin, int64_t end) const {
    const int64_t oc = out_[3], ic = in_[3];
    const int64_t out_row = static_cast<int64_t>(out_[2]) * oc;
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / out_[1] - before_[0];
      const int64_t y = row % out_[1] - before_[1];
      float* o = out + row * out_row;
      if (n < 0 || n >= in_[0] || y < 0 || y >= in_[1]) {
        std::memset(o, 0, sizeof(float) * static_cast<size_t>(out_row));
        continue;
      }
      const float* src = in + (n * in_[1] + y) * in_[2] * ic;
      const int64_t x0 = before_[2], x1 = before_[2] + in_[2];
      std::memset(o, 0, sizeof(float) * static_cast<size_t>(x0 * oc));
      if (before_[3] == 0) {
        isa_->pad_channels(src, o + x0 * oc, x1 - x0, static_cast<int>(ic), static_cast<int>(oc));
      } else {
        for (int64_t x = x0; x < x1; ++x) {
          float* op = o + x * oc;
          const float* sp = src + (x - x0) * ic;
          for (int64_t ch = 0; ch < before_[3]; ++ch) op[ch] = 0.f;
          std::memcpy(op + before_[3], sp, sizeof(float) * static_cast<size_t>(ic));
          for (int64_t ch = before_[3] + ic; ch < oc; ++ch) op[ch] = 0.f;
        }
      }
      std::memset(o + x1 * oc, 0, sizeof(float) * static_cast<size_t>((out_[2] - x1) * oc));
    }
  }

  const IsaKernels* isa_;
  std::vector<int32_t> in_, out_;
  std::vector<int64_t> before_;
};

std::unique_ptr<Kernel> make_max_pool(const OpContext& ctx, const IsaKernels* isa) {
  if (ctx.inputs.size() != 1 || ctx.outputs.size() != 1) return nullptr;
  const TensorView& in = ctx.inputs[0];
  const TensorView& out = ctx.outputs[0];
  if (!is_f32(in) || !is_f32(out) || in.rank() != 4) return nullptr;
  const BuiltinOptions& o = ctx.op->options;
  if (o.stride_h < 1 || o.stride_w < 1 || o.filter_h < 1 || o.filter_w < 1) return nullptr;
  float lo, hi;
  if (!activation_bounds(o.activation, &lo, &hi)) return nullptr;
  const int n = in.dim(0), ih = in.dim(1), iw = in.dim(2), c = in.dim(3);
  int pt = 0, pl = 0;
  const int oh = ref::conv_output_size(o.padding, ih, o.filter_h, o.stride_h, 1, &pt);
  const int ow = ref::conv_output_size(o.padding, iw, o.filter_w, o.stride_w, 1, &pl);
  if (n < 1 || oh < 1 || ow < 1 || c < 1) return nullptr;
  if (out.shape != std::vector<int32_t>{n, oh, ow, c}) return nullptr;
  PoolPlan plan;
  plan.g.batch = n;
  plan.g.in_h = ih;
  plan.g.in_w = iw;
  plan.g.in_c = plan.g.out_c = c;
  plan.g.out_h = oh;
  plan.g.out_w = ow;
  plan.g.k_h = o.filter_h;
  plan.g.k_w = o.filter_w;
  plan.g.stride_h = o.stride_h;
  plan.g.stride_w = o.stride_w;
  plan.g.pad_top = pt;
  plan.g.pad_left = pl;
  plan.lo = lo;
  plan.hi = hi;
  return std::unique_ptr<Kernel>(new MaxPoolKernel(isa, plan));
}

std::unique_ptr<Kernel> make_pad(const OpContext& ctx, const IsaKernels* isa) {
  if (ctx.inputs.size() != 2 || ctx.outputs.size() != 1) return nullptr;
  const TensorView& in = ctx.inputs[0];
  const TensorView& pads = ctx.inputs[1];
  const TensorView& out = ctx.outputs[0];
  if (!is_f32(in) || !is_f32(out) || in.rank() != 4) return nullptr;
  if (!pads.is_constant || !pads.data || pads.type != TensorType::kInt32 || pads.rank() != 2 ||
      pads.dim(0) != 4 || pads.dim(1) != 2)
    return nullptr;
  std::vector<int32_t> out_shape(4);
  int32_t before[4];
  for (int d = 0; d < 4; ++d) {
    const int32_t b = pads.i32()[2 * d], e = pads.i32()[2 * d + 1];
    if (b < 0 || e < 0 || b > (1 << 16) || e > (1 << 16)) return nullptr;
    before[d] = b;
    out_shape[d] = in.dim(d) + b + e;
  }
  if (out.shape != out_shape) return nullptr;
  return std::unique_ptr<Kernel>(new PadKernel(isa, in.shape, out_shape, before));
}

}  // namespace

std::unique_ptr<Kernel> create_cpu_simple_kernel(const OpContext& ctx, const IsaKernels* isa) {
  switch (ctx.op->builtin_code) {
    case builtin::kMaxPool2d: return make_max_pool(ctx, isa);
    case builtin::kPad: return make_pad(ctx, isa);
    default: return nullptr;
  }
}

}  // namespace cpu
}  // namespace fmn
