// Registers the image-to-tensor functions (bind_image.cc) on the extension module:
// crop_to_tensor, crop_to_uint8, crop_sampling_matrix.
#pragma once

#include <pybind11/pybind11.h>

namespace fmn {

void register_image_bindings(pybind11::module_& m);

}  // namespace fmn
