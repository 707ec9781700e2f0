// Tuned CPU kernels for the small memory-bound ops (MAX_POOL_2D, PAD), in portable C++.
#pragma once

#include <memory>

#include "runtime/kernel.h"

namespace fmn {
namespace cpu {

// A kernel for ctx's node, named impl_name, or nullptr when the node is not covered.
std::unique_ptr<Kernel> create_cpu_simple_kernel(const OpContext& ctx, const char* impl_name);

}  // namespace cpu
}  // namespace fmn
