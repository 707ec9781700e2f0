#include "util/anchors.h"

#include <cmath>
#include <stdexcept>

namespace fmn {

namespace {

float LayerScale(float min_scale, float max_scale, int stride_index, int num_strides) {
  if (num_strides == 1) return (min_scale + max_scale) * 0.5f;
  return static_cast<float>(min_scale + (max_scale - min_scale) * 1.0 * stride_index /
                                            (num_strides - 1.0f));
}

}  // namespace

SsdAnchorOptions FaceDetectionShortRangeAnchorOptions() {
  SsdAnchorOptions o;
  o.input_size_width = 128;
  o.input_size_height = 128;
  o.min_scale = 0.1484375f;
  o.max_scale = 0.75f;
  o.anchor_offset_x = 0.5f;
  o.anchor_offset_y = 0.5f;
  o.num_layers = 4;
  o.strides = {8, 16, 16, 16};
  o.aspect_ratios = {1.0f};
  o.interpolated_scale_aspect_ratio = 1.0f;
  o.fixed_anchor_size = true;
  return o;
}

std::vector<Anchor> GenerateSsdAnchors(const SsdAnchorOptions& options) {
  const bool have_maps = !options.feature_map_height.empty();
  if (!have_maps && options.strides.empty())
    throw std::invalid_argument("SSD anchors: need strides or feature map sizes");
  if (have_maps) {
    if (static_cast<int>(options.feature_map_height.size()) != options.num_layers ||
        options.feature_map_width.size() != options.feature_map_height.size())
      throw std::invalid_argument("SSD anchors: feature map sizes do not match num_layers");
  } else if (static_cast<int>(options.strides.size()) != options.num_layers) {
    throw std::invalid_argument("SSD anchors: strides do not match num_layers");
  }
  if (options.input_size_width <= 0 || options.input_size_height <= 0)
    throw std::invalid_argument("SSD anchors: input size must be positive");

  std::vector<Anchor> anchors;
  const int num_strides = static_cast<int>(options.strides.size());
  int layer = 0;
  while (layer < options.num_layers) {
    std::vector<float> aspect_ratios;
    std::vector<float> scales;
    // Consecutive layers with the same stride share one grid; their anchors interleave per cell.
    int last = layer;
    while (last < num_strides && options.strides[last] == options.strides[layer]) {
      const float scale = LayerScale(options.min_scale, options.max_scale, last, num_strides);
      if (last == 0 && options.reduce_boxes_in_lowest_layer) {
        aspect_ratios.insert(aspect_ratios.end(), {1.0f, 2.0f, 0.5f});
        scales.insert(scales.end(), {0.1f, scale, scale});
      } else {
        for (float ar : options.aspect_ratios) {
          aspect_ratios.push_back(ar);
          scales.push_back(scale);
        }
        if (options.interpolated_scale_aspect_ratio > 0.0f) {
          const float next = last == num_strides - 1
                                 ? 1.0f
                                 : LayerScale(options.min_scale, options.max_scale, last + 1,
                                              num_strides);
          scales.push_back(std::sqrt(scale * next));
          aspect_ratios.push_back(options.interpolated_scale_aspect_ratio);
        }
      }
      ++last;
    }
    if (last == layer) last = layer + 1;  // only reachable with feature maps and no strides

    std::vector<float> anchor_w, anchor_h;
    for (size_t i = 0; i < aspect_ratios.size(); ++i) {
      const float r = std::sqrt(aspect_ratios[i]);
      anchor_h.push_back(scales[i] / r);
      anchor_w.push_back(scales[i] * r);
    }

    int map_h, map_w;
    if (have_maps) {
      map_h = options.feature_map_height[layer];
      map_w = options.feature_map_width[layer];
    } else {
      const int stride = options.strides[layer];
      map_h = static_cast<int>(std::ceil(1.0f * options.input_size_height / stride));
      map_w = static_cast<int>(std::ceil(1.0f * options.input_size_width / stride));
    }
    for (int y = 0; y < map_h; ++y) {
      for (int x = 0; x < map_w; ++x) {
        for (size_t a = 0; a < anchor_h.size(); ++a) {
          Anchor anchor;
          anchor.x_center = (x + options.anchor_offset_x) * 1.0f / map_w;
          anchor.y_center = (y + options.anchor_offset_y) * 1.0f / map_h;
          anchor.w = options.fixed_anchor_size ? 1.0f : anchor_w[a];
          anchor.h = options.fixed_anchor_size ? 1.0f : anchor_h[a];
          anchors.push_back(anchor);
        }
      }
    }
    layer = last;
  }
  return anchors;
}

}  // namespace fmn
