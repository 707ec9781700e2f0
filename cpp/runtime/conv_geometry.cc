#include "runtime/conv_geometry.h"

#include <algorithm>

namespace fmn {

int conv_output_size(Padding padding, int in, int kernel, int stride, int dilation,
                     int* pad_before) {
  const int effective = (kernel - 1) * dilation + 1;
  int out = 0;
  if (padding == Padding::kSame) {
    out = (in + stride - 1) / stride;
  } else {
    out = in >= effective ? (in - effective) / stride + 1 : 0;
  }
  const int total = std::max((out - 1) * stride + effective - in, 0);
  *pad_before = padding == Padding::kSame ? total / 2 : 0;
  return out;
}

int conv_output_size_explicit(int in, int before, int after, int kernel, int stride, int dilation,
                              int* pad_before) {
  int valid_before = 0;
  const int out = conv_output_size(Padding::kValid, before + in + after, kernel, stride, dilation,
                                   &valid_before);
  *pad_before = before;
  return out;
}

}  // namespace fmn
