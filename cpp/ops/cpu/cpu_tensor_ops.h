// Tuned CPU kernels for the small elementwise, reduction and layout ops of the Tasks models
// (the blendshapes MLP-Mixer's layer norms and token transposes): ADD, MUL, SUB, DIV,
// SQUARED_DIFFERENCE with broadcasting, NEG, SQRT, RSQRT, LOGISTIC, MEAN, SUM, TRANSPOSE; and
// the detectors' RESIZE_BILINEAR (NHWC, constant size; output rows split over the pool).
//
// Everything shape-dependent (broadcast strides, collapsed dimensions, reduction blocks) is
// decided when the kernel is created; run() only loops. Results equal the reference kernels'
// bit for bit: the same float operations in the same order (MEAN/SUM accumulate in double in
// memory order, as ref::reduce does). impl_name() is "cpu.generic": plain C++ loops that the
// compiler vectorises, on every instruction set.
#pragma once

#include <memory>

#include "runtime/kernel.h"

namespace fmn {
namespace cpu {

// A kernel for ctx's node, or nullptr when the node is not covered (the reference kernel then
// runs it, or reports what is wrong with it).
std::unique_ptr<Kernel> create_cpu_tensor_kernel(const OpContext& ctx);

}  // namespace cpu
}  // namespace fmn
