#include "util/geometry.h"

#include <algorithm>
#include <cmath>

namespace fmn {

float NormalizeRadians(float angle) {
  constexpr double kPi = 3.14159265358979323846;
  return static_cast<float>(angle - 2.0 * kPi * std::floor((angle + kPi) / (2.0 * kPi)));
}

namespace {

// An axis-aligned box by its corners, with the emptiness and intersection rules of
// MediaPipe's Rectangle_f (edges belong to the box; min > max means empty).
struct Box {
  float x0, y0, x1, y1;
  bool empty() const { return x0 > x1 || y0 > y1; }
  float area() const { return (x1 - x0) * (y1 - y0); }
};

}  // namespace

float BoxIoU(float ax, float ay, float aw, float ah, float bx, float by, float bw, float bh) {
  const Box a{ax, ay, ax + aw, ay + ah};
  const Box b{bx, by, bx + bw, by + bh};
  const bool intersects = !(a.empty() || b.empty() || b.x1 < a.x0 || a.x1 < b.x0 ||
                            b.y1 < a.y0 || a.y1 < b.y0);
  if (!intersects) return 0.0f;
  const Box i{std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1),
              std::min(a.y1, b.y1)};
  const float inter = i.area();
  const float norm = a.area() + b.area() - inter;
  return norm > 0.0f ? inter / norm : 0.0f;
}

}  // namespace fmn
