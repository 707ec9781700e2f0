// The face geometry pipeline's metadata (geometry_pipeline_metadata_landmarks.binarypb in the
// face_landmarker.task bundle), read with a small protobuf wire-format reader of our own.
//
// Why our own reader: the native graph needs the canonical mesh in C++, the base package
// depends on numpy only, and the message is tiny and fixed (GeometryPipelineMetadata from
// mediapipe/modules/face_geometry/protos): a full protobuf runtime (libprotobuf, or the
// PyPI `protobuf` package plus generated classes) would be a heavy dependency for five fields.
//
// Fields read (field number: meaning):
//   GeometryPipelineMetadata  1 canonical_mesh (Mesh3d)
//                             2 procrustes_landmark_basis (repeated WeightedLandmarkRef)
//                             3 input_source (enum; 1 FACE_LANDMARK_PIPELINE)
//   WeightedLandmarkRef       1 landmark_id (uint32)  2 landmark_weight (float)
//   Mesh3d                    1 vertex_type (enum; 0 VERTEX_PT: x y z u v per vertex)
//                             2 primitive_type (enum; 0 TRIANGLE)
//                             3 vertex_buffer (repeated float, packed or not)
//                             4 index_buffer (repeated uint32, packed or not)
// Unknown fields are skipped, as protobuf does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/face_geometry.h"

namespace fmn {

struct GeometryMetadata {
  int input_source = 0;
  int vertex_count = 0;
  std::vector<float> vertex_buffer;    // 5 floats per vertex (x, y, z in cm; u, v)
  std::vector<uint32_t> index_buffer;  // triangles
  std::vector<uint32_t> basis_ids;     // Procrustes landmark basis
  std::vector<float> basis_weights;

  // The canonical face for EstimateFacePose: xyz per vertex, weight per vertex.
  CanonicalFace canonical_face() const;
};

// Parses and validates the metadata: VERTEX_PT vertices, indices and basis ids in range,
// finite non-negative weights with a positive sum. Throws ModelError naming the problem.
GeometryMetadata parse_geometry_metadata(const uint8_t* data, size_t size);
GeometryMetadata load_geometry_metadata_file(const std::string& path);

}  // namespace fmn
