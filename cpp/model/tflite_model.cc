// TFLite flatbuffer model reader (see tflite_model.h for the contract).
//
// Field ids follow tensorflow/lite/schema/schema.fbs (schema version 3):
//   Model:        0 version, 1 operator_codes, 2 subgraphs, 3 description, 4 buffers
//   OperatorCode: 0 deprecated_builtin_code (byte), 1 custom_code, 2 version,
//                 3 builtin_code (int); the code is max(deprecated, builtin)
//   SubGraph:     0 tensors, 1 inputs, 2 outputs, 3 operators, 4 name
//   Tensor:       0 shape, 1 type, 2 buffer, 3 name, 4 quantization, 5 is_variable, 6 sparsity
//   SparsityParameters: 0 traversal_order, 1 block_map, 2 dim_metadata
//   DimensionMetadata:  0 format (byte: 0 DENSE, 1 SPARSE_CSR), 1 dense_size,
//                       2 array_segments_type, 3 array_segments, 4 array_indices_type,
//                       5 array_indices; SparseIndexVector union: 1 Int32Vector,
//                       2 Uint16Vector, 3 Uint8Vector, each a table with 0 values
//   Buffer:       0 data, 1 offset (ulong), 2 size (ulong); offset > 1 means the bytes lie
//                 outside the flatbuffer, at that offset from the start of the file
//   Operator:     0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type,
//                 4 builtin_options, 5 custom_options, 6 custom_options_format,
//                 7 mutating_variable_inputs, 8 intermediates, 9 large_custom_options_offset,
//                 10 large_custom_options_size
#include "model/tflite_model.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "model/flatbuffer_reader.h"

namespace fmn {
namespace {

using fb::fail;

// BuiltinOptions union tags (schema.fbs) of the options tables we decode.
namespace opt {
constexpr uint8_t kConv2D = 1;
constexpr uint8_t kDepthwiseConv2D = 2;
constexpr uint8_t kPool2D = 5;
constexpr uint8_t kConcatenation = 10;
constexpr uint8_t kAdd = 11;
constexpr uint8_t kResizeBilinear = 15;
constexpr uint8_t kReshape = 17;
constexpr uint8_t kMul = 21;
constexpr uint8_t kPad = 22;
constexpr uint8_t kStridedSlice = 32;
constexpr uint8_t kReducer = 27;
constexpr uint8_t kSub = 28;
constexpr uint8_t kDiv = 29;
constexpr uint8_t kDepthToSpace = 94;
}  // namespace opt

constexpr int64_t kMaxElements = int64_t{1} << 28;
constexpr size_t kMaxSparseRank = 8;
constexpr size_t kMaxFileBytes = size_t{512} << 20;

const char* const kBuiltinNames[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1",
    "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
    "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX",
    "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT",
    "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL",
    "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT",
    "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT",
    "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL",
    "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
    "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND",
    "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",
    "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
    "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM",
    "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO",
    "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND",
    "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE",
    "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
    "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
};
constexpr int32_t kNumBuiltinNames =
    static_cast<int32_t>(sizeof(kBuiltinNames) / sizeof(kBuiltinNames[0]));

// The options table a builtin operator carries, or 0 when we do not decode its options.
uint8_t expected_options(int32_t code) {
  switch (code) {
    case builtin::kConv2d: return opt::kConv2D;
    case builtin::kDepthwiseConv2d: return opt::kDepthwiseConv2D;
    case builtin::kMaxPool2d:
    case 1:  // AVERAGE_POOL_2D
    case 12:  // L2_POOL_2D
      return opt::kPool2D;
    case builtin::kConcatenation: return opt::kConcatenation;
    case builtin::kAdd: return opt::kAdd;
    case builtin::kMul: return opt::kMul;
    case builtin::kReshape: return opt::kReshape;
    case builtin::kPad: return opt::kPad;
    case builtin::kStridedSlice: return opt::kStridedSlice;
    case builtin::kMean:
    case builtin::kSum: return opt::kReducer;
    case builtin::kSub: return opt::kSub;
    case builtin::kDiv: return opt::kDiv;
    case builtin::kResizeBilinear: return opt::kResizeBilinear;
    case builtin::kDepthToSpace: return opt::kDepthToSpace;
    default: return 0;
  }
}

const char* options_name(uint8_t t) {
  switch (t) {
    case opt::kConv2D: return "Conv2DOptions";
    case opt::kDepthwiseConv2D: return "DepthwiseConv2DOptions";
    case opt::kPool2D: return "Pool2DOptions";
    case opt::kConcatenation: return "ConcatenationOptions";
    case opt::kAdd: return "AddOptions";
    case opt::kReshape: return "ReshapeOptions";
    case opt::kMul: return "MulOptions";
    case opt::kPad: return "PadOptions";
    case opt::kStridedSlice: return "StridedSliceOptions";
    case opt::kReducer: return "ReducerOptions";
    case opt::kSub: return "SubOptions";
    case opt::kDiv: return "DivOptions";
    case opt::kResizeBilinear: return "ResizeBilinearOptions";
    case opt::kDepthToSpace: return "DepthToSpaceOptions";
    default: return "options";
  }
}

// Parser state: the image plus an allocation budget so that aliased offsets (many table
// entries pointing at one large object) cannot make us allocate far more than the file.
class Parser {
 public:
  Parser(const uint8_t* data, size_t size)
      : img_(data, size), budget_(8 * static_cast<uint64_t>(size) + (uint64_t{1} << 16)) {}

  ModelDef parse();

 private:
  void charge(uint64_t bytes, const std::string& what) {
    if (bytes > budget_)
      fail(what + " would need more memory than a model of " + std::to_string(img_.size()) +
           " bytes can describe (aliased or oversized objects)");
    budget_ -= bytes;
  }
  std::vector<int32_t> int_vector(const fb::Table& t, int id, const char* what,
                                  const std::string& where) {
    const fb::Vector v = t.vector(id, 4, what);
    charge(static_cast<uint64_t>(v.count) * 4, where);
    std::vector<int32_t> out(v.count);
    for (uint32_t i = 0; i < v.count; ++i) out[i] = v.at<int32_t>(i, what);
    return out;
  }
  std::string string_field(const fb::Table& t, int id, const char* what,
                           const std::string& where) {
    std::string s = t.string(id, what);
    charge(s.size() + 1, where);
    return s;
  }
  // Names reach Python as str: reject what would not decode (overlong forms and surrogates
  // included, as Python's decoder does).
  static bool valid_utf8(const std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    for (size_t i = 0; i < n;) {
      const unsigned c = p[i];
      size_t len;
      unsigned cp;
      if (c < 0x80) { ++i; continue; }
      if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
      else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
      else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
      else return false;
      if (i + len > n) return false;
      for (size_t k = 1; k < len; ++k) {
        if ((p[i + k] & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (p[i + k] & 0x3F);
      }
      if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
          cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
      i += len;
    }
    return true;
  }
  // Copies [offset, offset + size) of the file for data stored outside the flatbuffer.
  std::vector<uint8_t> external_bytes(uint64_t offset, uint64_t size, const std::string& where) {
    if (offset > img_.size() || size > img_.size() - offset)
      fail(where + " stores " + std::to_string(size) + " bytes at file offset " +
           std::to_string(offset) + ", outside the " + std::to_string(img_.size()) +
           "-byte file");
    charge(size, where);
    return std::vector<uint8_t>(img_.data() + offset, img_.data() + offset + size);
  }

  void parse_buffers(const fb::Table& model, ModelDef& m);
  void parse_opcodes(const fb::Table& model);
  void parse_tensors(const fb::Table& sg, ModelDef& m);
  std::shared_ptr<const SparsityDef> parse_sparsity(const fb::Table& sp, const TensorDef& td,
                                                    const std::string& where);
  std::vector<int32_t> index_vector(const fb::Table& dim, int type_id, const char* field,
                                    const std::string& where);
  void parse_operators(const fb::Table& sg, ModelDef& m);
  void parse_options(const fb::Table& op, uint8_t type, OperatorDef& od, const std::string& where);
  std::string tensor_label(const ModelDef& m, int32_t t) const {
    return "tensor " + std::to_string(t) + " ('" + m.tensors[static_cast<size_t>(t)].name + "')";
  }

  struct OpCode {
    int32_t code = 0;
    int32_t version = 1;
    std::string custom;
  };

  fb::Image img_;
  uint64_t budget_;
  std::vector<OpCode> opcodes_;
};

ModelDef Parser::parse() {
  if (img_.size() < 8)
    fail("file of " + std::to_string(img_.size()) + " bytes is too small to be a model");
  // The identifier is optional in FlatBuffers; treat the 4 bytes as one when they are
  // printable text, and then require "TFL3".
  const uint8_t* id = img_.data() + 4;
  bool text = true;
  for (int i = 0; i < 4; ++i) text = text && id[i] >= 0x20 && id[i] < 0x7f;
  if (text && std::memcmp(id, "TFL3", 4) != 0)
    fail("file identifier '" + std::string(reinterpret_cast<const char*>(id), 4) +
         "' is not 'TFL3': not a TFLite model");

  const fb::Table model(img_, img_.follow(0, "model root"), "model table");
  ModelDef m;
  m.version = model.get<uint32_t>(0, 0);
  if (m.version != 3)
    fail("model schema version " + std::to_string(m.version) + " is not 3");
  m.description = string_field(model, 3, "model description", "model description");

  const fb::Vector subgraphs = model.vector(2, 4, "model subgraphs");
  if (subgraphs.count != 1)
    fail("model has " + std::to_string(subgraphs.count) +
         " subgraphs; exactly one is supported");

  parse_buffers(model, m);
  parse_opcodes(model);

  const fb::Table sg = fb::table_at(subgraphs, 0, "subgraph 0");
  parse_tensors(sg, m);

  m.inputs = int_vector(sg, 1, "subgraph inputs", "subgraph inputs");
  m.outputs = int_vector(sg, 2, "subgraph outputs", "subgraph outputs");
  const int64_t nt = static_cast<int64_t>(m.tensors.size());
  for (size_t i = 0; i < m.inputs.size(); ++i)
    if (m.inputs[i] < 0 || m.inputs[i] >= nt)
      fail("subgraph input " + std::to_string(i) + " is tensor " + std::to_string(m.inputs[i]) +
           " but the subgraph has " + std::to_string(nt) + " tensors");
  for (size_t i = 0; i < m.outputs.size(); ++i)
    if (m.outputs[i] < 0 || m.outputs[i] >= nt)
      fail("subgraph output " + std::to_string(i) + " is tensor " +
           std::to_string(m.outputs[i]) + " but the subgraph has " + std::to_string(nt) +
           " tensors");

  parse_operators(sg, m);
  return m;
}

void Parser::parse_buffers(const fb::Table& model, ModelDef& m) {
  const fb::Vector bufs = model.vector(4, 4, "model buffers");
  if (bufs.count == 0) fail("model has no buffers (buffer 0 must exist and be empty)");
  charge(static_cast<uint64_t>(bufs.count) * sizeof(std::vector<uint8_t>), "buffer list");
  m.buffers.resize(bufs.count);
  for (uint32_t i = 0; i < bufs.count; ++i) {
    const fb::Table b = fb::table_at(bufs, i, "buffer");
    const std::string where = "buffer " + std::to_string(i);
    const fb::Vector data = b.vector(0, 1, "buffer data");
    const uint64_t offset = b.get<uint64_t>(1, 0);
    const uint64_t size = b.get<uint64_t>(2, 0);
    if (offset > 1) {
      if (data.count != 0)
        fail(where + " has both inline data and an external offset");
      m.buffers[i] = external_bytes(offset, size, where);
    } else if (data.count != 0) {
      charge(data.count, where);
      const uint8_t* p = img_.data() + data.pos;
      m.buffers[i].assign(p, p + data.count);
    }
  }
  if (!m.buffers[0].empty())
    fail("buffer 0 holds " + std::to_string(m.buffers[0].size()) +
         " bytes; TFLite reserves it as the empty buffer");
}

void Parser::parse_opcodes(const fb::Table& model) {
  const fb::Vector codes = model.vector(1, 4, "model operator_codes");
  charge(static_cast<uint64_t>(codes.count) * sizeof(OpCode), "operator code list");
  opcodes_.resize(codes.count);
  for (uint32_t i = 0; i < codes.count; ++i) {
    const fb::Table c = fb::table_at(codes, i, "operator code");
    const std::string where = "operator code " + std::to_string(i);
    OpCode& oc = opcodes_[i];
    const int32_t deprecated = c.get<int8_t>(0, 0);
    const int32_t code = c.get<int32_t>(3, 0);
    oc.code = deprecated > code ? deprecated : code;
    if (oc.code < 0) fail(where + " has the negative builtin code " + std::to_string(oc.code));
    oc.version = c.get<int32_t>(2, 1);
    oc.custom = string_field(c, 1, "operator custom_code", where);
    if (!valid_utf8(oc.custom)) fail(where + ": operator custom_code is not valid UTF-8");
    if (oc.code == builtin::kCustom && oc.custom.empty())
      fail(where + " is CUSTOM but has no custom_code name");
  }
}

void Parser::parse_tensors(const fb::Table& sg, ModelDef& m) {
  const fb::Vector ts = sg.vector(0, 4, "subgraph tensors");
  charge(static_cast<uint64_t>(ts.count) * sizeof(TensorDef), "tensor list");
  m.tensors.resize(ts.count);
  for (uint32_t i = 0; i < ts.count; ++i) {
    const fb::Table t = fb::table_at(ts, i, "tensor");
    TensorDef& td = m.tensors[i];
    td.name = string_field(t, 3, "tensor name", "tensor " + std::to_string(i) + " name");
    if (!valid_utf8(td.name)) fail("tensor " + std::to_string(i) + ": its name is not valid UTF-8");
    const std::string where = "tensor " + std::to_string(i) + " ('" + td.name + "')";
    td.shape = int_vector(t, 0, "tensor shape", where + " shape");
    const int8_t type = t.get<int8_t>(1, 0);
    if (type < 0 || type > static_cast<int8_t>(TensorType::kFloat64))
      fail(where + " has tensor type " + std::to_string(type) +
           ", which this reader does not support");
    td.type = static_cast<TensorType>(type);
    td.buffer = t.get<uint32_t>(2, 0);

    int64_t elements = 1;
    for (size_t d = 0; d < td.shape.size(); ++d) {
      const int32_t dim = td.shape[d];
      if (dim < 0)
        fail(where + " has the negative dimension " + std::to_string(dim) + " at axis " +
             std::to_string(d));
      if (dim != 0 && elements > kMaxElements / dim)
        fail(where + " has more than 2^28 elements");
      elements *= dim;
    }
    if (elements > kMaxElements) fail(where + " has more than 2^28 elements");

    if (td.buffer >= m.buffers.size())
      fail(where + " refers to buffer " + std::to_string(td.buffer) + " but the model has " +
           std::to_string(m.buffers.size()) + " buffers");
    const fb::Table sp = t.table(6, "tensor sparsity");
    if (sp.valid()) {
      if (tensor_type_size(td.type) == 0)
        fail(where + " is sparse with type " + tensor_type_name(td.type) +
             ", which this reader does not support");
      try {
        td.sparsity = parse_sparsity(sp, td, where + " sparsity");
      } catch (const ModelError& e) {
        // Name the tensor also in the flatbuffer layer's errors (offsets, vector lengths).
        const std::string msg = e.what();
        if (msg.find(where) != std::string::npos) throw;
        fail(where + " sparsity: " + (msg.compare(0, 8, "tflite: ") == 0 ? msg.substr(8) : msg));
      }
      if (td.buffer == 0 && td.sparsity->num_values != 0)
        fail(where + " is sparse but has no buffer");
    }
    const std::vector<uint8_t>& data = m.buffers[td.buffer];
    if (!data.empty() || td.sparsity) {
      const size_t esize = tensor_type_size(td.type);
      if (esize == 0)
        fail(where + " is a constant of type " + tensor_type_name(td.type) +
             ", which this reader does not support");
      const int64_t stored = td.sparsity ? td.sparsity->num_values : elements;
      const uint64_t want = static_cast<uint64_t>(stored) * esize;
      if (data.size() != want)
        fail(where + " has a constant buffer " + std::to_string(td.buffer) + " of " +
             std::to_string(data.size()) + " bytes but its " +
             (td.sparsity ? "sparsity (" + std::to_string(stored) + " stored values)" : std::string("shape")) +
             " and type need " + std::to_string(want));
    }
  }
}

std::vector<int32_t> Parser::index_vector(const fb::Table& dim, int type_id, const char* field,
                                          const std::string& where) {
  const uint8_t type = dim.get<uint8_t>(type_id, 0);
  size_t esize;
  switch (type) {
    case 1: esize = 4; break;  // Int32Vector
    case 2: esize = 2; break;  // Uint16Vector
    case 3: esize = 1; break;  // Uint8Vector
    default:
      fail(where + ": " + field + " has the index vector type " + std::to_string(type) +
           " (expected Int32Vector 1, Uint16Vector 2 or Uint8Vector 3)");
  }
  const fb::Table t = dim.table(type_id + 1, field);
  if (!t.valid()) fail(where + ": " + field + " is missing");
  const fb::Vector v = t.vector(0, esize, field);
  charge(static_cast<uint64_t>(v.count) * 4, where + " " + field);
  std::vector<int32_t> out(v.count);
  for (uint32_t i = 0; i < v.count; ++i) {
    int32_t x;
    if (esize == 4) x = v.at<int32_t>(i, field);
    else if (esize == 2) x = v.at<uint16_t>(i, field);
    else x = v.at<uint8_t>(i, field);
    if (x < 0)
      fail(where + ": " + field + " [" + std::to_string(i) + "] is negative (" +
           std::to_string(x) + ")");
    out[i] = x;
  }
  return out;
}

std::shared_ptr<const SparsityDef> Parser::parse_sparsity(const fb::Table& sp, const TensorDef& td,
                                                          const std::string& where) {
  auto sd = std::make_shared<SparsityDef>();
  const size_t n = td.shape.size();
  if (n == 0 || n > kMaxSparseRank)
    fail(where + ": a sparse tensor must have rank 1.." + std::to_string(kMaxSparseRank) +
         ", this one has rank " + std::to_string(n));
  sd->traversal_order = int_vector(sp, 0, "sparsity traversal_order", where);
  sd->block_map = int_vector(sp, 1, "sparsity block_map", where);
  const size_t k = sd->block_map.size();
  if (k > n)
    fail(where + ": block_map has " + std::to_string(k) + " entries for a rank-" +
         std::to_string(n) + " tensor");
  if (sd->traversal_order.size() != n + k)
    fail(where + ": traversal_order has " + std::to_string(sd->traversal_order.size()) +
         " entries; a rank-" + std::to_string(n) + " tensor with " + std::to_string(k) +
         " block dimensions needs " + std::to_string(n + k));
  std::vector<bool> seen(n, false);
  for (size_t l = 0; l < n; ++l) {
    const int32_t d = sd->traversal_order[l];
    if (d < 0 || static_cast<size_t>(d) >= n || seen[static_cast<size_t>(d)])
      fail(where + ": traversal_order " + std::to_string(l) + " is " + std::to_string(d) +
           "; its first " + std::to_string(n) + " entries must be a permutation of 0.." +
           std::to_string(n - 1));
    seen[static_cast<size_t>(d)] = true;
  }
  for (size_t l = n; l < n + k; ++l)
    if (sd->traversal_order[l] != static_cast<int32_t>(l))
      fail(where + ": traversal_order " + std::to_string(l) + " is " +
           std::to_string(sd->traversal_order[l]) + "; block dimensions must follow in order (" +
           std::to_string(l) + ")");
  std::fill(seen.begin(), seen.end(), false);
  for (size_t b = 0; b < k; ++b) {
    const int32_t d = sd->block_map[b];
    if (d < 0 || static_cast<size_t>(d) >= n || seen[static_cast<size_t>(d)])
      fail(where + ": block_map " + std::to_string(b) + " is " + std::to_string(d) +
           "; entries must be distinct dimensions in 0.." + std::to_string(n - 1));
    seen[static_cast<size_t>(d)] = true;
  }

  const fb::Vector dims = sp.vector(2, 4, "sparsity dim_metadata");
  if (dims.count != n + k)
    fail(where + ": dim_metadata has " + std::to_string(dims.count) + " entries, traversal_order " +
         std::to_string(n + k));
  charge(static_cast<uint64_t>(dims.count) * sizeof(SparseDimension), where);
  sd->dims.resize(dims.count);
  for (uint32_t l = 0; l < dims.count; ++l) {
    const fb::Table dm = fb::table_at(dims, l, "dimension metadata");
    SparseDimension& sdim = sd->dims[l];
    const uint8_t format = dm.get<uint8_t>(0, 0);
    if (format > 1)
      fail(where + ": dim_metadata " + std::to_string(l) + " has the unknown format " +
           std::to_string(format));
    sdim.csr = format == 1;
    sdim.dense_size = dm.get<int32_t>(1, 0);
  }
  // Block sizes (block levels are DENSE and divide their dimension), then each level's size.
  std::vector<int32_t> blocked(td.shape.begin(), td.shape.end());
  for (size_t b = 0; b < k; ++b) {
    const SparseDimension& bd = sd->dims[n + b];
    const std::string lw = where + ": dim_metadata " + std::to_string(n + b) + " (block dimension " +
                           std::to_string(b) + ")";
    if (bd.csr) fail(lw + " is SPARSE_CSR; block dimensions must be DENSE");
    const int32_t d = sd->block_map[b];
    if (bd.dense_size < 1 || td.shape[static_cast<size_t>(d)] % bd.dense_size != 0)
      fail(lw + " has dense_size " + std::to_string(bd.dense_size) +
           ", which does not divide dimension " + std::to_string(d) + " (" +
           std::to_string(td.shape[static_cast<size_t>(d)]) + ")");
    blocked[static_cast<size_t>(d)] = td.shape[static_cast<size_t>(d)] / bd.dense_size;
  }
  int64_t positions = 1;  // positions of the previous level
  for (uint32_t l = 0; l < dims.count; ++l) {
    const fb::Table dm = fb::table_at(dims, l, "dimension metadata");
    SparseDimension& sdim = sd->dims[l];
    const std::string lw = where + ": dim_metadata " + std::to_string(l);
    const int32_t d = sd->traversal_order[l];
    const int32_t size = l < n ? blocked[static_cast<size_t>(d)] : sd->dims[l].dense_size;
    if (!sdim.csr) {
      if (sdim.dense_size != size)
        fail(lw + " is DENSE with dense_size " + std::to_string(sdim.dense_size) +
             " but the dimension it traverses has size " + std::to_string(size));
      positions *= size;
      continue;
    }
    sdim.segments = index_vector(dm, 2, "array_segments", lw);
    sdim.indices = index_vector(dm, 4, "array_indices", lw);
    if (static_cast<int64_t>(sdim.segments.size()) != positions + 1)
      fail(lw + " has " + std::to_string(sdim.segments.size()) + " array_segments; the level above has " +
           std::to_string(positions) + " positions, so it needs " + std::to_string(positions + 1));
    if (sdim.segments[0] != 0) fail(lw + ": array_segments [0] is " + std::to_string(sdim.segments[0]) + ", not 0");
    for (size_t p = 0; p + 1 < sdim.segments.size(); ++p) {
      const int32_t b = sdim.segments[p], e = sdim.segments[p + 1];
      if (e < b)
        fail(lw + ": array_segments decrease at " + std::to_string(p + 1) + " (" + std::to_string(b) +
             " then " + std::to_string(e) + ")");
      if (static_cast<size_t>(e) > sdim.indices.size())
        fail(lw + ": array_segments [" + std::to_string(p + 1) + "] = " + std::to_string(e) +
             " exceeds the " + std::to_string(sdim.indices.size()) + " array_indices");
      for (int32_t i = b; i < e; ++i) {
        const int32_t x = sdim.indices[static_cast<size_t>(i)];
        if (x >= size)
          fail(lw + ": array_indices [" + std::to_string(i) + "] = " + std::to_string(x) +
               " is outside the dimension's size " + std::to_string(size));
        if (i > b && x <= sdim.indices[static_cast<size_t>(i) - 1])
          fail(lw + ": array_indices are not ascending within segment " + std::to_string(p) +
               " (at " + std::to_string(i) + ")");
      }
    }
    if (static_cast<size_t>(sdim.segments.back()) != sdim.indices.size())
      fail(lw + ": the last array_segments entry is " + std::to_string(sdim.segments.back()) +
           " but there are " + std::to_string(sdim.indices.size()) + " array_indices");
    positions = sdim.segments.back();
  }
  sd->num_values = positions;
  return sd;
}

void Parser::parse_operators(const fb::Table& sg, ModelDef& m) {
  const fb::Vector ops = sg.vector(3, 4, "subgraph operators");
  charge(static_cast<uint64_t>(ops.count) * sizeof(OperatorDef), "operator list");
  m.operators.resize(ops.count);
  const int64_t nt = static_cast<int64_t>(m.tensors.size());
  for (uint32_t i = 0; i < ops.count; ++i) {
    const fb::Table op = fb::table_at(ops, i, "operator");
    OperatorDef& od = m.operators[i];
    const uint32_t opcode_index = op.get<uint32_t>(0, 0);
    if (opcode_index >= opcodes_.size())
      fail("operator " + std::to_string(i) + " uses opcode_index " +
           std::to_string(opcode_index) + " but the model has " +
           std::to_string(opcodes_.size()) + " operator codes");
    const OpCode& oc = opcodes_[opcode_index];
    od.builtin_code = oc.code;
    od.custom_code = oc.custom;
    charge(od.custom_code.size(), "operator custom code");
    od.version = oc.version;
    const std::string where =
        "operator " + std::to_string(i) + " (" +
        (oc.code == builtin::kCustom ? "CUSTOM " + oc.custom : builtin_name(oc.code)) + ")";

    od.inputs = int_vector(op, 1, "operator inputs", where + " inputs");
    od.outputs = int_vector(op, 2, "operator outputs", where + " outputs");
    for (size_t k = 0; k < od.inputs.size(); ++k)
      if (od.inputs[k] < -1 || od.inputs[k] >= nt)
        fail(where + " input " + std::to_string(k) + " is tensor " +
             std::to_string(od.inputs[k]) + " but the subgraph has " + std::to_string(nt) +
             " tensors");
    for (size_t k = 0; k < od.outputs.size(); ++k)
      if (od.outputs[k] < 0 || od.outputs[k] >= nt)
        fail(where + " output " + std::to_string(k) + " is tensor " +
             std::to_string(od.outputs[k]) + " but the subgraph has " + std::to_string(nt) +
             " tensors");

    od.options_type = op.get<uint8_t>(3, 0);
    const uint8_t want = expected_options(od.builtin_code);
    if (want != 0 && od.options_type != 0 && od.options_type != want)
      fail(where + " carries builtin options type " + std::to_string(od.options_type) +
           " instead of " + options_name(want) + " (" + std::to_string(want) + ")");
    if (want != 0 && od.options_type == want) {
      const fb::Table t = op.table(4, "operator builtin_options");
      if (t.valid()) parse_options(t, want, od, where);
    }

    const fb::Vector custom = op.vector(5, 1, "operator custom_options");
    const uint64_t large_offset = op.get<uint64_t>(9, 0);
    const uint64_t large_size = op.get<uint64_t>(10, 0);
    if (large_offset > 1) {
      if (custom.count != 0) fail(where + " has both custom_options and a large-options offset");
      od.custom_options = external_bytes(large_offset, large_size, where + " custom options");
    } else if (custom.count != 0) {
      charge(custom.count, where + " custom options");
      const uint8_t* p = img_.data() + custom.pos;
      od.custom_options.assign(p, p + custom.count);
    }
  }
}

Padding read_padding(const fb::Table& t, int id, const std::string& where) {
  const int8_t v = t.get<int8_t>(id, 0);
  if (v != 0 && v != 1) fail(where + " has the unknown padding " + std::to_string(v));
  return static_cast<Padding>(v);
}

Activation read_activation(const fb::Table& t, int id, const std::string& where) {
  const int8_t v = t.get<int8_t>(id, 0);
  if (v < 0 || v > static_cast<int8_t>(Activation::kSignBit))
    fail(where + " has the unknown fused activation " + std::to_string(v));
  return static_cast<Activation>(v);
}

// Window parameters (strides, dilations, filter and block sizes) must be positive for the
// operator to be computable, and at most kMaxWindowParameter so that every size derived from
// them (effective kernel extent, output size, padding) fits in 32 bits.
constexpr int32_t kMaxWindowParameter = 1 << 16;
void require_positive(int32_t v, const char* field, const std::string& where) {
  if (v < 1) fail(where + " has " + field + " = " + std::to_string(v) + "; it must be >= 1");
  if (v > kMaxWindowParameter) {
    fail(where + " has " + field + " = " + std::to_string(v) + "; at most " +
         std::to_string(kMaxWindowParameter) + " is supported");
  }
}

// Decodes the options table `t` of union tag `type`. Absent fields take schema.fbs defaults
// (stride, filter, depth_multiplier 0; dilation 1).
void Parser::parse_options(const fb::Table& t, uint8_t type, OperatorDef& od,
                           const std::string& where) {
  BuiltinOptions& o = od.options;
  switch (type) {
    case opt::kConv2D:
      // padding 0, stride_w 1, stride_h 2, fused_activation_function 3, dilation_w 4,
      // dilation_h 5
      o.padding = read_padding(t, 0, where);
      o.stride_w = t.get<int32_t>(1, 0);
      o.stride_h = t.get<int32_t>(2, 0);
      o.activation = read_activation(t, 3, where);
      o.dilation_w = t.get<int32_t>(4, 1);
      o.dilation_h = t.get<int32_t>(5, 1);
      break;
    case opt::kDepthwiseConv2D:
      // padding 0, stride_w 1, stride_h 2, depth_multiplier 3, fused_activation_function 4,
      // dilation_w 5, dilation_h 6
      o.padding = read_padding(t, 0, where);
      o.stride_w = t.get<int32_t>(1, 0);
      o.stride_h = t.get<int32_t>(2, 0);
      o.depth_multiplier = t.get<int32_t>(3, 0);
      o.activation = read_activation(t, 4, where);
      o.dilation_w = t.get<int32_t>(5, 1);
      o.dilation_h = t.get<int32_t>(6, 1);
      break;
    case opt::kPool2D:
      // padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4,
      // fused_activation_function 5
      o.padding = read_padding(t, 0, where);
      o.stride_w = t.get<int32_t>(1, 0);
      o.stride_h = t.get<int32_t>(2, 0);
      o.filter_w = t.get<int32_t>(3, 0);
      o.filter_h = t.get<int32_t>(4, 0);
      o.activation = read_activation(t, 5, where);
      require_positive(o.filter_w, "filter_width", where);
      require_positive(o.filter_h, "filter_height", where);
      break;
    case opt::kConcatenation:  // axis 0, fused_activation_function 1
      o.axis = t.get<int32_t>(0, 0);
      o.activation = read_activation(t, 1, where);
      break;
    case opt::kAdd:  // fused_activation_function 0, pot_scale_int16 1
    case opt::kMul:  // fused_activation_function 0
    case opt::kSub:  // fused_activation_function 0, pot_scale_int16 1
    case opt::kDiv:  // fused_activation_function 0
      o.activation = read_activation(t, 0, where);
      break;
    case opt::kReshape:  // new_shape 0
      o.has_new_shape = t.has(0);
      o.new_shape = int_vector(t, 0, "reshape new_shape", where + " new_shape");
      break;
    case opt::kStridedSlice:
      // begin_mask 0, end_mask 1, ellipsis_mask 2, new_axis_mask 3, shrink_axis_mask 4,
      // offset 5
      o.begin_mask = t.get<int32_t>(0, 0);
      o.end_mask = t.get<int32_t>(1, 0);
      o.ellipsis_mask = t.get<int32_t>(2, 0);
      o.new_axis_mask = t.get<int32_t>(3, 0);
      o.shrink_axis_mask = t.get<int32_t>(4, 0);
      o.offset = t.get<uint8_t>(5, 0) != 0;
      break;
    case opt::kReducer:  // keep_dims 0
      o.keep_dims = t.get<uint8_t>(0, 0) != 0;
      break;
    case opt::kResizeBilinear:  // new_height 0, new_width 1 (deprecated), align_corners 2,
                                // half_pixel_centers 3
      o.align_corners = t.get<uint8_t>(2, 0) != 0;
      o.half_pixel_centers = t.get<uint8_t>(3, 0) != 0;
      break;
    case opt::kDepthToSpace:  // block_size 0
      o.block_size = t.get<int32_t>(0, 0);
      require_positive(o.block_size, "block_size", where);
      break;
    case opt::kPad:  // no fields
    default:
      break;
  }
  if (type == opt::kConv2D || type == opt::kDepthwiseConv2D || type == opt::kPool2D) {
    require_positive(o.stride_w, "stride_w", where);
    require_positive(o.stride_h, "stride_h", where);
    require_positive(o.dilation_w, "dilation_w_factor", where);
    require_positive(o.dilation_h, "dilation_h_factor", where);
  }
}

}  // namespace

const char* tensor_type_name(TensorType t) {
  switch (t) {
    case TensorType::kFloat32: return "FLOAT32";
    case TensorType::kFloat16: return "FLOAT16";
    case TensorType::kInt32: return "INT32";
    case TensorType::kUInt8: return "UINT8";
    case TensorType::kInt64: return "INT64";
    case TensorType::kString: return "STRING";
    case TensorType::kBool: return "BOOL";
    case TensorType::kInt16: return "INT16";
    case TensorType::kComplex64: return "COMPLEX64";
    case TensorType::kInt8: return "INT8";
    case TensorType::kFloat64: return "FLOAT64";
  }
  return "UNKNOWN";
}

size_t tensor_type_size(TensorType t) {
  switch (t) {
    case TensorType::kFloat32: return 4;
    case TensorType::kFloat16: return 2;
    case TensorType::kInt32: return 4;
    case TensorType::kUInt8: return 1;
    case TensorType::kInt64: return 8;
    case TensorType::kString: return 0;
    case TensorType::kBool: return 1;
    case TensorType::kInt16: return 2;
    case TensorType::kComplex64: return 8;
    case TensorType::kInt8: return 1;
    case TensorType::kFloat64: return 8;
  }
  return 0;
}

std::string builtin_name(int32_t code) {
  if (code >= 0 && code < kNumBuiltinNames) return kBuiltinNames[code];
  return "BUILTIN_" + std::to_string(code);
}

ModelDef parse_tflite(const uint8_t* data, size_t size) {
  if (data == nullptr && size != 0) fail("null model data");
  static const uint8_t kEmpty[1] = {0};
  Parser p(data ? data : kEmpty, data ? size : 0);
  return p.parse();
}

ModelDef load_tflite_file(const std::string& path) {
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f) fail("cannot open model file '" + path + "': " + std::strerror(errno));
  if (std::fseek(f.get(), 0, SEEK_END) != 0) fail("cannot seek in model file '" + path + "'");
  const long end = std::ftell(f.get());
  if (end < 0) fail("cannot determine the size of model file '" + path + "'");
  if (static_cast<unsigned long>(end) > kMaxFileBytes)
    fail("model file '" + path + "' is " + std::to_string(end) +
         " bytes, more than the 512 MiB limit");
  std::rewind(f.get());
  std::vector<uint8_t> bytes(static_cast<size_t>(end));
  if (!bytes.empty() && std::fread(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
    fail("cannot read model file '" + path + "'");
  try {
    return parse_tflite(bytes.data(), bytes.size());
  } catch (const ModelError& e) {
    throw ModelError(std::string(e.what()) + " (in '" + path + "')");
  }
}

}  // namespace fmn
