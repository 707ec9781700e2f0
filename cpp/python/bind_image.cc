// Python bindings of the image-to-tensor crop (util/image_to_tensor.h): type conversion and
// GIL release only. bindings.cc calls register_image_bindings(m) on the _core module.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <stdexcept>
#include <string>

#include "python/convert.h"
#include "python/bind_image.h"
#include "util/image_to_tensor.h"

namespace py = pybind11;

namespace fmn {
namespace {

using U8Array = py::array_t<uint8_t, py::array::c_style>;

// A view of an HxWxC uint8 array (C = 3 or 4). Arrays whose pixels are not interleaved and
// contiguous within a row are copied into *keep first; rows may have any stride.
ImageView view_image(const py::array& image, U8Array* keep) {
  if (!py::isinstance<py::array_t<uint8_t>>(image) || image.ndim() != 3)
    throw std::invalid_argument("image must be a uint8 array of shape (H, W, 3) or (H, W, 4)");
  const int64_t h = image.shape(0), w = image.shape(1), c = image.shape(2);
  if (c != 3 && c != 4) throw std::invalid_argument("image must have 3 or 4 channels");
  if (h < 1 || w < 1) throw std::invalid_argument("image is empty");
  // Sizes are checked in 64 bits before anything is copied or narrowed.
  if (h > pyconv::kMaxFrameSide || w > pyconv::kMaxFrameSide)
    throw std::invalid_argument("image is too large: " + std::to_string(h) + " x " + std::to_string(w) +
                                " (at most " + std::to_string(pyconv::kMaxFrameSide) + " pixels a side)");
  py::array src = image;
  if (image.strides(2) != 1 || image.strides(1) != c || image.strides(0) < w * c ||
      image.strides(0) > (int64_t{1} << 30)) {
    *keep = pyconv::contiguous_or_raise<uint8_t>(image, "the image");
    src = *keep;
  }
  ImageView v;
  v.data = static_cast<const uint8_t*>(src.data());
  v.height = static_cast<int>(h);
  v.width = static_cast<int>(w);
  v.row_stride_bytes = static_cast<int>(src.strides(0));
  v.channels = static_cast<int>(c);
  return v;
}

Border parse_border(const std::string& s) {
  if (s == "zero") return Border::kZero;
  if (s == "replicate") return Border::kReplicate;
  throw std::invalid_argument("border must be \"zero\" or \"replicate\", got \"" + s + "\"");
}

RotatedRectPx to_rect(const std::array<float, 5>& r) { return {r[0], r[1], r[2], r[3], r[4]}; }

}  // namespace

void register_image_bindings(py::module_& m) {
  m.def(
      "crop_to_tensor",
      [](const py::array& image, const std::array<float, 5>& rect,
         const std::array<int, 2>& out_size, const std::string& border, float scale,
         float offset) {
        U8Array keep;
        const ImageView img = view_image(image, &keep);
        const Border b = parse_border(border);
        const int w = out_size[0], h = out_size[1];
        if (w <= 0 || h <= 0) throw std::invalid_argument("out_size must be positive");
        py::array_t<float> out({h, w, 3});
        float* dst = out.mutable_data();
        {
          py::gil_scoped_release release;
          crop_to_tensor(img, to_rect(rect), w, h, b, scale, offset, dst);
        }
        return out;
      },
      py::arg("image"), py::arg("rect"), py::arg("out_size"), py::arg("border"),
      py::arg("scale"), py::arg("offset"),
      "Crops the rotated rect (cx, cy, w, h, rotation in radians; image pixels) of an HxWx3|4 "
      "uint8 image to out_size=(w, h), bilinear as MediaPipe's CPU ImageToTensor "
      "(cv2.warpPerspective semantics), border \"zero\" or \"replicate\", then "
      "fma(v, scale, offset). Returns float32 (h, w, 3).");
  m.def(
      "crop_to_uint8",
      [](const py::array& image, const std::array<float, 5>& rect,
         const std::array<int, 2>& out_size, const std::string& border) {
        U8Array keep;
        const ImageView img = view_image(image, &keep);
        const Border b = parse_border(border);
        const int w = out_size[0], h = out_size[1];
        if (w <= 0 || h <= 0) throw std::invalid_argument("out_size must be positive");
        py::array_t<uint8_t> out({h, w, 3});
        uint8_t* dst = out.mutable_data();
        {
          py::gil_scoped_release release;
          crop_to_uint8(img, to_rect(rect), w, h, b, dst);
        }
        return out;
      },
      py::arg("image"), py::arg("rect"), py::arg("out_size"), py::arg("border"),
      "The same crop before the float conversion: uint8 (h, w, 3).");
  m.def(
      "crop_sampling_matrix",
      [](const std::array<float, 5>& rect, const std::array<int, 2>& out_size) {
        return CropSamplingMatrix(to_rect(rect), out_size[0], out_size[1]);
      },
      py::arg("rect"), py::arg("out_size"),
      "Row-major 3x3 (9 floats) mapping output pixel (x, y, 1) to homogeneous source pixel "
      "coordinates, as warpPerspective applies it.");
}

}  // namespace fmn
