// The tuned CPU backend (AVX-512 / AVX2 / portable, chosen at run time).
#pragma once

#include <memory>

#include "runtime/kernel.h"

namespace fmn {

// A tuned kernel for the node, or nullptr for nodes it does not cover (the executor then
// takes the reference kernel).
std::unique_ptr<Kernel> create_cpu_kernel(const OpContext& ctx);
// The instruction-set level the tuned CPU kernels use on this machine ("cpu.avx512",
// "cpu.avx2", "cpu.generic"; FMN_CPU_ISA may lower it).
const char* cpu_kernels_impl_name();

}  // namespace fmn
