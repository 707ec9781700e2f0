// Tuned CPU kernels for the small memory-bound ops MAX_POOL_2D and PAD, on the chosen
// instruction set's table (impl_name() is the table's name).
#pragma once

#include <memory>

#include "ops/cpu/cpu_kernels.h"
#include "runtime/kernel.h"

namespace fmn {
namespace cpu {

// A kernel for ctx's node, or nullptr when the node is not covered.
std::unique_ptr<Kernel> create_cpu_simple_kernel(const OpContext& ctx, const IsaKernels* isa);

}  // namespace cpu
}  // namespace fmn
