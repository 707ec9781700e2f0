#include "runtime/kernel.h"

#include <limits>
#include <string>

namespace fmn {

bool activation_bounds(Activation act, float* lo, float* hi) {
  const float inf = std::numeric_limits<float>::infinity();
  switch (act) {
    case Activation::kNone: *lo = -inf; *hi = inf; return true;
    case Activation::kRelu: *lo = 0.f; *hi = inf; return true;
    case Activation::kReluN1To1: *lo = -1.f; *hi = 1.f; return true;
    case Activation::kRelu6: *lo = 0.f; *hi = 6.f; return true;
    default: return false;
  }
}

void activation_range(Activation act, float* lo, float* hi) {
  if (!activation_bounds(act, lo, hi))
    throw ModelError("unsupported fused activation " + std::to_string(static_cast<int>(act)));
}

}  // namespace fmn
