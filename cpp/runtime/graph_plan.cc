#include "runtime/graph_plan.h"

#include "runtime/conv_geometry.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

namespace fmn {

namespace {

// TFLite marks an absent optional input with index -1. Only these slots may be absent: a
// convolution's bias. Every other input is read by its kernel.
bool input_may_be_omitted(const OperatorDef& op, size_t index) {
  const bool conv = op.custom_code.empty() && (op.builtin_code == builtin::kConv2d ||
                                               op.builtin_code == builtin::kDepthwiseConv2d);
  return conv && index == 2;
}


constexpr size_t kAlign = 64;

std::string op_display_name(const OperatorDef& op) {
  return op.builtin_code == builtin::kCustom ? op.custom_code : builtin_name(op.builtin_code);
}

bool is_conv(int32_t code) { return code == builtin::kConv2d || code == builtin::kDepthwiseConv2d; }

}  // namespace

int64_t GraphPlan::num_elements(int32_t id) const {
  int64_t n = 1;
  for (int32_t d : tensors_[static_cast<size_t>(id)].shape) n *= d;
  return n;
}

size_t GraphPlan::bytes(int32_t id) const {
  const size_t es = tensor_type_size(tensors_[static_cast<size_t>(id)].type);
  return static_cast<size_t>(std::max<int64_t>(num_elements(id), 0)) * (es ? es : 1);
}

void* GraphPlan::add_constant(size_t tensor, const void* src, size_t n) {
  storage_.emplace_back(n + kAlign, 0);
  std::vector<uint8_t>& s = storage_.back();
  const uintptr_t p = reinterpret_cast<uintptr_t>(s.data());
  uint8_t* dst = s.data() + ((p + kAlign - 1) / kAlign * kAlign - p);
  if (src && n) std::memcpy(dst, src, n);
  constant_[tensor] = dst;
  constant_bytes_ += n;
  return dst;
}

TensorView GraphPlan::view(int32_t id) const {
  TensorView v;
  if (id < 0) return v;
  v.type = tensors_[static_cast<size_t>(id)].type;
  v.shape = tensors_[static_cast<size_t>(id)].shape;
  v.sparsity = tensors_[static_cast<size_t>(id)].sparsity.get();
  if (constant_[static_cast<size_t>(id)]) {
    v.data = const_cast<void*>(constant_[static_cast<size_t>(id)]);
    v.is_constant = true;
  }
  return v;
}

void GraphPlan::index(std::vector<int>* producer) const {
  producer->assign(tensors_.size(), -1);
  for (size_t n = 0; n < nodes_.size(); ++n) {
    for (int32_t id : nodes_[n].inputs) {
      if (id < 0 || constant_[id] || is_input_[id]) continue;
      if ((*producer)[id] < 0)
        throw ModelError("tflite: tensor '" + tensors_[id].name + "' is read by " + nodes_[n].name +
                         " before any operator writes it");
    }
    for (int32_t id : nodes_[n].outputs) {
      if ((*producer)[id] >= 0 || is_input_[id] || constant_[id])
        throw ModelError("tflite: tensor '" + tensors_[id].name + "' is written twice");
      (*producer)[id] = static_cast<int>(n);
    }
  }
}

GraphPlan::GraphPlan(const ModelDef& model, KernelFactory fold_kernels, bool fuse,
                     size_t max_folded_bytes, bool narrow_residuals, bool fold_pads)
    : tensors_(model.tensors), inputs_(model.inputs), outputs_(model.outputs) {
  if (!fold_kernels) throw ModelError("GraphPlan: no kernels to fold constants with");
  const size_t num_tensors = tensors_.size();
  auto check_id = [&](int32_t id, const char* what) {
    if (id < 0 || static_cast<size_t>(id) >= num_tensors)
      throw ModelError(std::string("tflite: ") + what + " refers to tensor " + std::to_string(id) +
                       " but the model has " + std::to_string(num_tensors) + " tensors");
  };
  for (int32_t id : inputs_) check_id(id, "graph input");
  for (int32_t id : outputs_) check_id(id, "graph output");
  if (inputs_.empty() || outputs_.empty()) throw ModelError("tflite: the model has no inputs or no outputs");
  is_input_.assign(num_tensors, false);
  is_output_.assign(num_tensors, false);
  for (int32_t id : inputs_) is_input_[id] = true;
  for (int32_t id : outputs_) is_output_[id] = true;

  constant_.assign(num_tensors, nullptr);
  storage_.reserve(num_tensors);
  for (size_t i = 0; i < num_tensors; ++i) {
    const uint32_t b = tensors_[i].buffer;
    if (b < model.buffers.size() && !model.buffers[b].empty())
      add_constant(i, model.buffers[b].data(), model.buffers[b].size());
    else if (tensors_[i].sparsity)
      add_constant(i, nullptr, 0);  // a sparse constant with no stored values
  }
  for (int32_t id : inputs_)
    if (constant_[id]) throw ModelError("tflite: graph input '" + tensors_[id].name + "' is a constant");
  for (int32_t id : outputs_)
    if (tensors_[id].sparsity)
      throw ModelError("tflite: graph output '" + tensors_[id].name + "' is a sparse constant");

  // Nodes; an operator whose inputs are all constant is run once here and becomes a constant.
  for (const OperatorDef& op : model.operators) {
    for (int32_t id : op.inputs)
      if (id != -1) check_id(id, "an operator input");
    if (op.outputs.empty()) throw ModelError("tflite: an operator has no outputs");
    for (int32_t id : op.outputs) check_id(id, "an operator output");
    PlannedNode node;
    node.op = op;
    node.name = op_display_name(op);
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      if (op.inputs[i] == -1 && !input_may_be_omitted(op, i))
        throw ModelError(node.name + ": input " + std::to_string(i) +
                         " is omitted (tensor index -1), but the operator needs it");
      // Only DENSIFY understands a sparse buffer; any other reader would take it for dense.
      if (op.inputs[i] >= 0 && tensors_[op.inputs[i]].sparsity &&
          (op.builtin_code != builtin::kDensify || i != 0))
        throw ModelError("tflite: tensor '" + tensors_[op.inputs[i]].name + "' is sparse; " + node.name +
                         " reads it as input " + std::to_string(i) + " but only DENSIFY can");
    }
    node.inputs = op.inputs;
    node.outputs = op.outputs;
    bool all_constant = true;
    for (int32_t id : node.inputs)
      if (id >= 0 && !constant_[id]) all_constant = false;
    if (!all_constant) {
      nodes_.push_back(std::move(node));
      continue;
    }
    OpContext ctx;
    ctx.op = &node.op;
    ctx.op_name = node.name;
    for (int32_t id : node.inputs) ctx.inputs.push_back(view(id));
    size_t total = 0;
    for (int32_t id : node.outputs) total += bytes(id);
    if (total > max_folded_bytes) throw ModelError("tflite: a constant expression is too large");
    for (int32_t id : node.outputs) {
      if (constant_[id])
        throw ModelError("tflite: tensor '" + tensors_[id].name + "' is written by an operator but is a constant");
      add_constant(static_cast<size_t>(id), nullptr, bytes(id));
      ctx.outputs.push_back(view(id));
    }
    std::unique_ptr<Kernel> k = fold_kernels(ctx);
    if (!k) throw ModelError(node.name + ": no kernel to fold this constant expression");
    std::vector<uint8_t> scratch(k->prepare(ctx) + kAlign);
    NodeArgs a;
    a.inputs = ctx.inputs;
    a.outputs = ctx.outputs;
    a.scratch = scratch.data();
    k->run(a, nullptr);
  }

  std::vector<int> producer;
  index(&producer);
  for (int32_t id : outputs_)
    if (producer[id] < 0 && !is_input_[id] && !constant_[id])
      throw ModelError("tflite: graph output '" + tensors_[id].name + "' is never written");
  if (fuse) fuse_epilogues(narrow_residuals);
  if (fuse && fold_pads) fold_spatial_pads();
}

bool GraphPlan::zero_pad_amounts(const PlannedNode& pad, int64_t pads[8]) const {
  const int32_t code = pad.op.builtin_code;
  if (!pad.op.custom_code.empty() || pad.outputs.size() != 1) return false;
  if (code == builtin::kPad) {
    if (pad.inputs.size() != 2) return false;
  } else if (code == builtin::kPadv2) {
    if (pad.inputs.size() != 3) return false;
    const int32_t v = pad.inputs[2];
    if (v < 0 || !constant_[v] || tensors_[v].type != TensorType::kFloat32 || num_elements(v) != 1 ||
        static_cast<const float*>(constant_[v])[0] != 0.f)
      return false;
  } else {
    return false;
  }
  const int32_t x = pad.inputs[0], paddings = pad.inputs[1], y = pad.outputs[0];
  if (x < 0 || paddings < 0 || !constant_[paddings]) return false;
  if (tensors_[x].type != TensorType::kFloat32 || tensors_[y].type != TensorType::kFloat32) return false;
  const std::vector<int32_t>& xs = tensors_[x].shape;
  const std::vector<int32_t>& ys = tensors_[y].shape;
  if (xs.size() != 4 || ys.size() != 4 || num_elements(paddings) != 8) return false;
  const TensorType pt = tensors_[paddings].type;
  for (int i = 0; i < 8; ++i) {
    if (pt == TensorType::kInt32)
      pads[i] = static_cast<const int32_t*>(constant_[paddings])[i];
    else if (pt == TensorType::kInt64)
      pads[i] = static_cast<const int64_t*>(constant_[paddings])[i];
    else
      return false;
    if (pads[i] < 0 || pads[i] > (1 << 16)) return false;
  }
  for (int d = 0; d < 4; ++d)
    if (xs[d] < 1 || ys[d] != xs[d] + pads[2 * d] + pads[2 * d + 1]) return false;
  return true;
}

void GraphPlan::fold_spatial_pads() {
  const size_t num_tensors = tensors_.size();
  std::vector<int> consumers(num_tensors, 0), consumer(num_tensors, -1);
  for (size_t n = 0; n < nodes_.size(); ++n)
    for (int32_t id : nodes_[n].inputs)
      if (id >= 0) {
        ++consumers[id];
        consumer[id] = static_cast<int>(n);
      }
  std::vector<bool> dead(nodes_.size(), false);
  bool any = false;
  for (size_t p = 0; p < nodes_.size(); ++p) {
    int64_t pads[8];
    if (!zero_pad_amounts(nodes_[p], pads)) continue;
    if (pads[0] || pads[1] || pads[6] || pads[7]) continue;  // H and W only
    const int32_t x = nodes_[p].inputs[0], y = nodes_[p].outputs[0];
    if (is_output_[y] || consumers[y] != 1) continue;
    const int c = consumer[y];
    if (c <= static_cast<int>(p)) continue;
    PlannedNode& conv = nodes_[c];
    if (!conv.op.custom_code.empty() || !is_conv(conv.op.builtin_code) || conv.padding.is_explicit ||
        conv.inputs.size() < 2 || conv.inputs[0] != y || conv.outputs.size() != 1)
      continue;
    const BuiltinOptions& o = conv.op.options;
    const int32_t w = conv.inputs[1];
    if (w < 0 || tensors_[w].shape.size() != 4 || o.stride_h < 1 || o.stride_w < 1 ||
        o.dilation_h < 1 || o.dilation_w < 1)
      continue;
    const std::vector<int32_t>& ys = tensors_[y].shape;
    const std::vector<int32_t>& os = tensors_[conv.outputs[0]].shape;
    if (os.size() != 4) continue;
    // The op's own padding over the padded size, added to the PAD's.
    ConvPadding cp;
    cp.is_explicit = true;
    int out_h = 0, out_w = 0;
    {
      const int kh = tensors_[w].shape[1], kw = tensors_[w].shape[2];
      int before = 0;
      out_h = conv_output_size(o.padding, ys[1], kh, o.stride_h, o.dilation_h, &before);
      int total = std::max((out_h - 1) * o.stride_h + (kh - 1) * o.dilation_h + 1 - ys[1], 0);
      cp.top = static_cast<int>(pads[2]) + (o.padding == Padding::kSame ? before : 0);
      cp.bottom = static_cast<int>(pads[3]) + (o.padding == Padding::kSame ? total - before : 0);
      out_w = conv_output_size(o.padding, ys[2], kw, o.stride_w, o.dilation_w, &before);
      total = std::max((out_w - 1) * o.stride_w + (kw - 1) * o.dilation_w + 1 - ys[2], 0);
      cp.left = static_cast<int>(pads[4]) + (o.padding == Padding::kSame ? before : 0);
      cp.right = static_cast<int>(pads[5]) + (o.padding == Padding::kSame ? total - before : 0);
      // The explicit form must give the same output size.
      int unused = 0;
      const std::vector<int32_t>& xs = tensors_[x].shape;
      if (conv_output_size_explicit(xs[1], cp.top, cp.bottom, kh, o.stride_h, o.dilation_h, &unused) !=
              out_h ||
          conv_output_size_explicit(xs[2], cp.left, cp.right, kw, o.stride_w, o.dilation_w, &unused) !=
              out_w)
        continue;
    }
    if (out_h < 1 || out_w < 1 || os[1] != out_h || os[2] != out_w) continue;
    conv.inputs[0] = x;
    conv.padding = cp;
    conv.name = "PAD+" + conv.name;
    dead[p] = true;
    any = true;
  }
  if (!any) return;
  std::vector<PlannedNode> kept;
  for (size_t n = 0; n < nodes_.size(); ++n)
    if (!dead[n]) kept.push_back(std::move(nodes_[n]));
  nodes_.swap(kept);
  std::vector<int> producer;
  index(&producer);
}

int32_t GraphPlan::channel_pad_source(const PlannedNode& pad) const {
  int64_t pads[8];
  if (!zero_pad_amounts(pad, pads)) return -1;
  for (int i = 0; i < 7; ++i)
    if (pads[i] != 0) return -1;
  return pads[7] > 0 ? pad.inputs[0] : -1;
}

void GraphPlan::fuse_epilogues(bool narrow_residuals) {
  const size_t num_tensors = tensors_.size();
  std::vector<int> producer;
  index(&producer);
  auto is_float = [&](int32_t t) { return t >= 0 && tensors_[t].type == TensorType::kFloat32; };

  // Hoist: when an ADD joins a conv output with a tensor produced after the conv (e.g. a PAD of
  // the block input), move that producer before the conv if its own inputs are ready there.
  for (size_t a = 0; a < nodes_.size(); ++a) {
    const PlannedNode& add = nodes_[a];
    if (add.op.builtin_code != builtin::kAdd || add.inputs.size() != 2) continue;
    for (int side = 0; side < 2; ++side) {
      const int32_t conv_out = add.inputs[side], other = add.inputs[1 - side];
      if (conv_out < 0 || other < 0 || producer[conv_out] < 0 || producer[other] < 0) continue;
      const int c = producer[conv_out], p = producer[other];
      if (!is_conv(nodes_[c].op.builtin_code) || p <= c) continue;
      bool ready = true;
      for (int32_t id : nodes_[p].inputs)
        if (id >= 0 && !constant_[id] && !is_input_[id] && producer[id] >= c) ready = false;
      if (!ready) continue;
      PlannedNode moved = std::move(nodes_[p]);
      nodes_.erase(nodes_.begin() + p);
      nodes_.insert(nodes_.begin() + c, std::move(moved));
      index(&producer);
      break;
    }
  }

  std::vector<int> consumers(num_tensors, 0), consumer(num_tensors, -1);
  for (size_t n = 0; n < nodes_.size(); ++n)
    for (int32_t id : nodes_[n].inputs)
      if (id >= 0) {
        ++consumers[id];
        consumer[id] = static_cast<int>(n);
      }
  auto sole_consumer = [&](int32_t t) -> int {
    if (t < 0 || is_output_[t] || consumers[t] != 1) return -1;
    return consumer[t];
  };
  std::vector<bool> dead(nodes_.size(), false);
  for (size_t n = 0; n < nodes_.size(); ++n) {
    PlannedNode& conv = nodes_[n];
    if (dead[n] || !is_conv(conv.op.builtin_code)) continue;
    if (conv.outputs.size() != 1 || conv.inputs.size() < 2 || conv.inputs.size() > 3) continue;
    const std::vector<int32_t>& out_shape = tensors_[conv.outputs[0]].shape;
    if (out_shape.size() != 4 || !is_float(conv.outputs[0])) continue;
    const int32_t oc = out_shape[3];
    bool allow_prelu = true;
    int c = sole_consumer(conv.outputs[0]);
    if (c > static_cast<int>(n) && nodes_[c].op.builtin_code == builtin::kAdd &&
        nodes_[c].inputs.size() == 2 && nodes_[c].outputs.size() == 1) {
      PlannedNode& add = nodes_[c];
      const int32_t other = add.inputs[0] == conv.outputs[0] ? add.inputs[1] : add.inputs[0];
      const bool ready = other >= 0 && other != conv.outputs[0] &&
                         (constant_[other] || is_input_[other] ||
                          (producer[other] >= 0 && producer[other] < static_cast<int>(n)));
      if (ready && is_float(other) && tensors_[other].shape == out_shape &&
          tensors_[add.outputs[0]].shape == out_shape) {
        conv.epilogue.has_residual = true;
        if (conv.inputs.size() < 3) conv.inputs.push_back(-1);
        int32_t residual = other;
        // A channel PAD read only by this ADD: read its input, the rest counts as zero. Its
        // input is ready too: it was produced before the PAD, which precedes the conv.
        const int pad = producer[other];
        if (narrow_residuals && pad >= 0 && !dead[pad] && sole_consumer(other) == c) {
          const int32_t src = channel_pad_source(nodes_[pad]);
          if (src >= 0) {
            residual = src;
            conv.epilogue.residual_channels = tensors_[src].shape[3];
            dead[pad] = true;
          }
        }
        conv.inputs.push_back(residual);
        activation_range(add.op.options.activation, &conv.epilogue.post_lo, &conv.epilogue.post_hi);
        allow_prelu = add.op.options.activation == Activation::kNone;
        conv.outputs[0] = add.outputs[0];
        conv.name += "+ADD";
        dead[c] = true;
        c = sole_consumer(conv.outputs[0]);
      } else {
        c = -1;
      }
    }
    if (!allow_prelu || c <= static_cast<int>(n) || nodes_[c].outputs.size() != 1 ||
        tensors_[nodes_[c].outputs[0]].shape != out_shape)
      continue;
    PlannedNode& next = nodes_[c];
    if (next.op.builtin_code == builtin::kPrelu && next.inputs.size() == 2 &&
        next.inputs[0] == conv.outputs[0]) {
      const int32_t alpha = next.inputs[1];
      if (alpha >= 0 && constant_[alpha] && is_float(alpha) && num_elements(alpha) == oc &&
          !tensors_[alpha].shape.empty() && tensors_[alpha].shape.back() == oc) {
        conv.epilogue.prelu_alpha = static_cast<const float*>(constant_[alpha]);
        conv.outputs[0] = next.outputs[0];
        conv.name += "+PRELU";
        dead[c] = true;
      }
    } else if ((next.op.builtin_code == builtin::kRelu || next.op.builtin_code == builtin::kRelu6) &&
               next.inputs.size() == 1 && !std::isfinite(conv.epilogue.post_hi) &&
               !std::isfinite(conv.epilogue.post_lo)) {
      conv.epilogue.post_lo = 0.f;
      if (next.op.builtin_code == builtin::kRelu6) conv.epilogue.post_hi = 6.f;
      conv.outputs[0] = next.outputs[0];
      conv.name += next.op.builtin_code == builtin::kRelu ? "+RELU" : "+RELU6";
      dead[c] = true;
    }
  }
  std::vector<PlannedNode> kept;
  for (size_t n = 0; n < nodes_.size(); ++n)
    if (!dead[n]) kept.push_back(std::move(nodes_[n]));
  nodes_.swap(kept);
  index(&producer);
}

}  // namespace fmn
