// Output sizes of a convolution or pooling window: TFLite's SAME / VALID rule and explicit
// padding. Shared by the plan (PAD folding checks) and every backend's kernels.
#pragma once

#include "model/tflite_model.h"

namespace fmn {

// TFLite's padding rule. Returns the output size and writes the padding before.
int conv_output_size(Padding padding, int in, int kernel, int stride, int dilation, int* pad_before);
// Explicit padding (a folded PAD, runtime/kernel.h ConvPadding): VALID over before + in +
// after; writes pad_before = before. 0 when the padded input is shorter than the kernel.
int conv_output_size_explicit(int in, int before, int after, int kernel, int stride, int dilation,
                              int* pad_before);

}  // namespace fmn
