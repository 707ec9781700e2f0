// The backend-independent half of loading a model, shared by the CPU interpreter and the GL
// executor: validation of the graph, constants, constant folding and conv epilogue fusion.
//
// Contract: GraphPlan's constructor
//   - checks every tensor index of the graph and of every operator;
//   - copies constant buffers into 64-byte aligned storage it owns;
//   - folds every operator whose inputs are all constant (float16 DEQUANTIZE and DENSIFY of a
//     sparse constant among them) by running the kernel `fold_kernels` gives it once (the
//     executors pass create_reference_kernel: the plan itself depends on no backend), so the folded tensor
//     becomes a constant; a sparse constant may only be read by DENSIFY (else ModelError);
//   - checks that every activation is written exactly once, before it is read, and that every
//     graph output is produced;
//   - with `fuse`, folds CONV_2D / DEPTHWISE_CONV_2D + ADD / PRELU / RELU(6) into the conv's
//     Epilogue (runtime/kernel.h), first hoisting an ADD operand's producer above the conv
//     when that is legal, so that the ADD can fold;
//   - with `fuse` and `narrow_residuals`, when a fused residual is a PAD (or zero PADV2) that appends zero
//     channels to an NHWC tensor x (same N, H, W; no other reader; not a graph output), reads x
//     itself with Epilogue::residual_channels = x's channels and drops the PAD (backends must
//     support residual_channels: the CPU kernels do, the GL ones do not);
//   - with `fuse` and `fold_pads`, when a PAD (or PADV2 with a constant 0) pads only H and W of
//     an NHWC float32 tensor x by non-negative amounts, its output is not a graph output and its
//     only reader is a CONV_2D / DEPTHWISE_CONV_2D (as input 0) with SAME or VALID padding, the
//     conv reads x itself with PlannedNode::padding = the PAD's amounts plus the SAME padding of
//     the padded size (an explicit VALID conv with the same output), and the PAD is dropped
//     (backends must support ConvPadding: the CPU and reference kernels do, the GL ones do not).
// Nodes come out in a valid execution order. Throws ModelError naming the problem. Backends
// then choose kernels, plan memory and prepare; an Epilogue's prelu_alpha points into this
// plan's storage, so a backend keeps its GraphPlan alive as long as its kernels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "runtime/kernel.h"

namespace fmn {

struct PlannedNode {
  OperatorDef op;
  std::string name;                      // "CONV_2D", a custom op's name; fused: "CONV_2D+ADD+PRELU"
  std::vector<int32_t> inputs, outputs;  // tensor ids; -1 = omitted optional input
  Epilogue epilogue;                     // conv nodes only; see OpContext for the residual input
  ConvPadding padding;                   // conv nodes only: a folded spatial PAD (fold_pads)
};

class GraphPlan {
 public:
  // max_folded_bytes bounds the memory a folded constant expression may take.
  GraphPlan(const ModelDef& model, KernelFactory fold_kernels, bool fuse,
            size_t max_folded_bytes = size_t{256} << 20, bool narrow_residuals = false,
            bool fold_pads = false);
  GraphPlan(const GraphPlan&) = delete;
  GraphPlan& operator=(const GraphPlan&) = delete;

  const std::vector<TensorDef>& tensors() const { return tensors_; }
  const std::vector<PlannedNode>& nodes() const { return nodes_; }
  std::vector<PlannedNode>& nodes() { return nodes_; }
  const std::vector<int32_t>& inputs() const { return inputs_; }
  const std::vector<int32_t>& outputs() const { return outputs_; }

  // A constant tensor's data (64-byte aligned, folded results included), or null.
  const void* constant(int32_t id) const { return constant_[static_cast<size_t>(id)]; }
  bool is_constant(int32_t id) const { return id >= 0 && constant_[static_cast<size_t>(id)]; }
  size_t constant_bytes() const { return constant_bytes_; }
  bool is_graph_input(int32_t id) const { return is_input_[static_cast<size_t>(id)]; }
  bool is_graph_output(int32_t id) const { return is_output_[static_cast<size_t>(id)]; }

  // A view for OpContext: type, shape and, for constants, the data (else data == nullptr).
  TensorView view(int32_t id) const;

  // Element count and bytes of a tensor (0-size types count 1 byte per element).
  int64_t num_elements(int32_t id) const;
  size_t bytes(int32_t id) const;

 private:
  void* add_constant(size_t tensor, const void* src, size_t bytes);
  void index(std::vector<int>* producer) const;  // throws on read-before-write / double write
  void fuse_epilogues(bool narrow_residuals);
  // The input of a PAD (or zero PADV2) node that only appends zero channels to an NHWC float
  // tensor of the same N, H, W, or -1 (zero_pad_amounts with pads only after the channels).
  int32_t channel_pad_source(const PlannedNode& pad) const;
  // Reads a PAD / PADV2 node's constant [4, 2] paddings when it pads an NHWC float32 tensor
  // with zeros by non-negative amounts (PADV2: a constant float 0); returns false otherwise.
  bool zero_pad_amounts(const PlannedNode& pad, int64_t pads[8]) const;
  void fold_spatial_pads();

  std::vector<TensorDef> tensors_;
  std::vector<PlannedNode> nodes_;
  std::vector<int32_t> inputs_, outputs_;
  std::vector<std::vector<uint8_t>> storage_;
  std::vector<const void*> constant_;
  std::vector<bool> is_input_, is_output_;
  size_t constant_bytes_ = 0;
};

}  // namespace fmn
