// The reference backend: plain, obviously-correct kernels for every supported op (the oracle,
// and what the plan folds constants with).
#pragma once

#include <memory>

#include "runtime/kernel.h"

namespace fmn {

// Throws ModelError for an op or an operand shape it does not support (naming both).
std::unique_ptr<Kernel> create_reference_kernel(const OpContext& ctx);

}  // namespace fmn
