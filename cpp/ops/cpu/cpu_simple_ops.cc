#include "ops/cpu/cpu_simple_ops.h"

namespace fmn {
namespace cpu {

std::unique_ptr<Kernel> create_cpu_simple_kernel(const OpContext& ctx, const char* impl_name) {
  (void)ctx;
  (void)impl_name;
  return nullptr;
}

}  // namespace cpu
}  // namespace fmn
