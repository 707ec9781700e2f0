// TFLite flatbuffer model, parsed and validated.
//
// Contract: parse_tflite() reads a .tflite file image (schema version 3) and returns a
// ModelDef whose every index is in range and every buffer is the size its tensor needs.
// Any malformed input (truncated, corrupt offsets, out-of-range indices, wrong sizes,
// several subgraphs we cannot run) throws ModelError with a message that names the problem.
// The parser never reads outside [data, data + size), never recurses without bound and never
// allocates more than a small multiple of `size`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmn {

// Thrown for any malformed or unsupported model. Python sees ValueError.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// TFLite TensorType values (schema.fbs).
enum class TensorType : int8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kString = 5,
  kBool = 6,
  kInt16 = 7,
  kComplex64 = 8,
  kInt8 = 9,
  kFloat64 = 10,
};
const char* tensor_type_name(TensorType t);
// Bytes per element, or 0 for types we do not hold (string, ...).
size_t tensor_type_size(TensorType t);

// TFLite BuiltinOperator codes we know by name (schema.fbs).
namespace builtin {
constexpr int32_t kAdd = 0;
constexpr int32_t kConcatenation = 2;
constexpr int32_t kConv2d = 3;
constexpr int32_t kDepthwiseConv2d = 4;
constexpr int32_t kDepthToSpace = 5;
constexpr int32_t kDequantize = 6;
constexpr int32_t kLogistic = 14;
constexpr int32_t kMaxPool2d = 17;
constexpr int32_t kMul = 18;
constexpr int32_t kRelu = 19;
constexpr int32_t kRelu6 = 21;
constexpr int32_t kReshape = 22;
constexpr int32_t kResizeBilinear = 23;
constexpr int32_t kCustom = 32;
constexpr int32_t kPad = 34;
constexpr int32_t kStridedSlice = 45;
constexpr int32_t kPrelu = 54;
constexpr int32_t kTranspose = 39;
constexpr int32_t kMean = 40;
constexpr int32_t kSub = 41;
constexpr int32_t kDiv = 42;
constexpr int32_t kNeg = 59;
constexpr int32_t kPadv2 = 60;
constexpr int32_t kSum = 74;
constexpr int32_t kSqrt = 75;
constexpr int32_t kRsqrt = 76;
constexpr int32_t kSquaredDifference = 99;
constexpr int32_t kDensify = 124;
}  // namespace builtin
// Name of a builtin operator code ("CONV_2D"), or "BUILTIN_<n>" when unknown to us.
std::string builtin_name(int32_t code);

enum class Padding : int8_t { kSame = 0, kValid = 1 };
enum class Activation : int8_t {
  kNone = 0,
  kRelu = 1,
  kReluN1To1 = 2,
  kRelu6 = 3,
  kTanh = 4,
  kSignBit = 5,
};

// One level of a sparse tensor's traversal (TFLite DimensionMetadata).
struct SparseDimension {
  bool csr = false;               // SPARSE_CSR; else DENSE
  int32_t dense_size = 0;         // DENSE: the level's size
  std::vector<int32_t> segments;  // SPARSE_CSR: array_segments, one more than the previous
                                  // level's positions; [0] = 0, non-decreasing
  std::vector<int32_t> indices;   // SPARSE_CSR: array_indices, ascending within a segment
};

// A constant stored sparse (TFLite SparsityParameters). For a tensor of rank n with k block
// dimensions: traversal_order has n + k entries, the first n a permutation of 0..n-1 and the
// last k exactly n..n+k-1 (blocks are traversed in order); block_map[i] is the dimension block
// dimension n + i splits, by dims[n + i].dense_size, which divides it. dims[l] describes the
// dimension traversal_order[l]: its size is the dense (blocked) size of that dimension, or the
// block size. The tensor's buffer holds num_values elements of its type, in traversal order.
// The reader checks all of this (sizes, segment bounds and order, every index in range);
// block levels are DENSE.
struct SparsityDef {
  std::vector<int32_t> traversal_order;
  std::vector<int32_t> block_map;
  std::vector<SparseDimension> dims;
  int64_t num_values = 0;
};

struct TensorDef {
  std::string name;
  std::vector<int32_t> shape;  // may be empty for scalars
  TensorType type = TensorType::kFloat32;
  uint32_t buffer = 0;  // index into ModelDef::buffers; buffers[0] is always empty
  // Set for a sparse constant: only DENSIFY reads it (GraphPlan checks), and its buffer holds
  // the stored values only.
  std::shared_ptr<const SparsityDef> sparsity;
};

// The union of the builtin option fields the supported operators use, with the schema's
// defaults. Only the fields of the operator's own options table are filled in.
struct BuiltinOptions {
  Padding padding = Padding::kSame;
  int32_t stride_w = 1, stride_h = 1;
  int32_t dilation_w = 1, dilation_h = 1;
  int32_t depth_multiplier = 1;
  int32_t filter_w = 1, filter_h = 1;           // Pool2DOptions
  Activation activation = Activation::kNone;    // fused_activation_function
  int32_t axis = 0;                             // ConcatenationOptions
  std::vector<int32_t> new_shape;               // ReshapeOptions
  bool has_new_shape = false;
  int32_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0,
          shrink_axis_mask = 0;                 // StridedSliceOptions
  bool offset = false;                          // StridedSliceOptions.offset
  bool keep_dims = false;                       // ReducerOptions (MEAN, SUM)
  bool align_corners = false, half_pixel_centers = false;  // ResizeBilinearOptions
  int32_t block_size = 0;                       // DepthToSpaceOptions
};

struct OperatorDef {
  int32_t builtin_code = 0;        // BuiltinOperator; builtin::kCustom for custom ops
  std::string custom_code;         // custom op name when builtin_code == kCustom
  int32_t version = 1;
  std::vector<int32_t> inputs;     // tensor indices; -1 means an omitted optional input
  std::vector<int32_t> outputs;
  uint8_t options_type = 0;        // BuiltinOptions union tag (0 = none)
  BuiltinOptions options;
  std::vector<uint8_t> custom_options;  // raw bytes (a flexbuffer for MediaPipe's ops)
};

struct ModelDef {
  uint32_t version = 0;
  std::string description;
  std::vector<TensorDef> tensors;
  std::vector<std::vector<uint8_t>> buffers;  // raw constant data, copied out of the file
  std::vector<OperatorDef> operators;         // in execution order
  std::vector<int32_t> inputs, outputs;       // subgraph 0's inputs and outputs
};

// Parses and validates a model image. Throws ModelError.
ModelDef parse_tflite(const uint8_t* data, size_t size);
// Reads a file and parses it. Throws ModelError (also for I/O errors, naming the path).
ModelDef load_tflite_file(const std::string& path);

}  // namespace fmn
