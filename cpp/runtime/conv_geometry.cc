#include "runtime/conv_geometry.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "model/tflite_model.h"

namespace fmn {

namespace {

// Sizes are computed in 64 bits: a model's window parameters are bounded at load (at most
// 2^16), tensor dimensions are not, and (kernel - 1) * dilation + in can pass 2^31.
int checked_int(int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<int32_t>::max()) {
    throw ModelError(std::string("the ") + what + " of a convolution or pooling window (" +
                     std::to_string(v) + ") does not fit in 32 bits");
  }
  return static_cast<int>(v);
}

}  // namespace

int conv_output_size(Padding padding, int in, int kernel, int stride, int dilation,
                     int* pad_before) {
  if (stride < 1 || dilation < 1 || kernel < 1 || in < 0) {
    throw ModelError("a convolution or pooling window needs stride, dilation and kernel >= 1 (got " +
                     std::to_string(stride) + ", " + std::to_string(dilation) + ", " +
                     std::to_string(kernel) + ")");
  }
  const int64_t effective = (static_cast<int64_t>(kernel) - 1) * dilation + 1;
  const int64_t in64 = in;
  int64_t out = 0;
  if (padding == Padding::kSame) {
    out = (in64 + stride - 1) / stride;
  } else {
    out = in64 >= effective ? (in64 - effective) / stride + 1 : 0;
  }
  const int64_t total = std::max<int64_t>((out - 1) * stride + effective - in64, 0);
  *pad_before = checked_int(padding == Padding::kSame ? total / 2 : 0, "padding");
  checked_int(effective, "kernel extent");
  return checked_int(out, "output size");
}

int conv_output_size_explicit(int in, int before, int after, int kernel, int stride, int dilation,
                              int* pad_before) {
  int valid_before = 0;
  const int padded = checked_int(static_cast<int64_t>(before) + in + after, "padded input size");
  const int out = conv_output_size(Padding::kValid, padded, kernel, stride, dilation, &valid_before);
  *pad_before = before;
  return out;
}

}  // namespace fmn
