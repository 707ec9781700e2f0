#include "graph/graph_runner.h"

#include <chrono>
#include <mutex>

namespace fmn {

// ---- registry --------------------------------------------------------------------------------
namespace {
std::map<std::string, CalculatorFactory>& registry() {
  static std::map<std::string, CalculatorFactory> r;
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

void register_calculator(const std::string& name, CalculatorFactory factory) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[name] = std::move(factory);
}

namespace {
void register_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_flow_calculators();
    register_image_calculators();
    register_inference_calculators();
    register_face_calculators();
    register_landmarker_calculators();
  });
}
}  // namespace

double side_number(const CalculatorContext& cc, const std::string& tag, double def) {
  if (!cc.has_side_packet(tag)) return def;
  const PacketValue& v = cc.side_packet(tag);
  if (const double* d = std::get_if<double>(&v)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const bool* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  throw GraphError(cc.node().name + ": side packet '" + tag + "' must be a number");
}

bool side_bool(const CalculatorContext& cc, const std::string& tag, bool def) {
  if (!cc.has_side_packet(tag)) return def;
  const PacketValue& v = cc.side_packet(tag);
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  if (const int64_t* i = std::get_if<int64_t>(&v)) return *i != 0;
  if (const double* d = std::get_if<double>(&v)) return *d != 0.0;
  throw GraphError(cc.node().name + ": side packet '" + tag + "' must be a bool");
}

std::unique_ptr<Calculator> create_calculator(const std::string& name) {
  register_builtins();
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = registry().find(name);
  if (it == registry().end()) return nullptr;
  return it->second();
}

std::vector<std::string> registered_calculators() {
  register_builtins();
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> out;
  for (const auto& kv : registry()) out.push_back(kv.first);
  return out;
}

// ---- context ---------------------------------------------------------------------------------
int CalculatorContext::find(const std::vector<StreamRef>& refs, const std::string& tag,
                            int index) const {
  int untagged = 0;
  for (size_t i = 0; i < refs.size(); ++i) {
    if (tag.empty()) {
      if (refs[i].tag.empty() && untagged++ == index) return static_cast<int>(i);
    } else if (refs[i].tag == tag && refs[i].index == index) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string CalculatorContext::stream_name(bool input, const std::string& tag, int index) const {
  const auto& refs = input ? node_->inputs : node_->outputs;
  const int i = find(refs, tag, index);
  return i < 0 ? tag : refs[i].name;
}

bool CalculatorContext::has_input(const std::string& tag, int index) const {
  return find(node_->inputs, tag, index) >= 0;
}

bool CalculatorContext::input_present(const std::string& tag, int index) const {
  const int i = find(node_->inputs, tag, index);
  return i >= 0 && inputs_[i]->present;
}

const Packet& CalculatorContext::input(const std::string& tag, int index) const {
  const int i = find(node_->inputs, tag, index);
  if (i < 0) throw GraphError(node_->name + ": no input tagged '" + tag + "'");
  if (!inputs_[i]->present) throw GraphError(node_->name + ": input '" + tag + "' is absent");
  return *inputs_[i];
}

bool CalculatorContext::has_output(const std::string& tag, int index) const {
  return find(node_->outputs, tag, index) >= 0;
}

Packet& CalculatorContext::output_packet(const std::string& tag, int index) {
  const int i = find(node_->outputs, tag, index);
  if (i < 0) throw GraphError(node_->name + ": no output tagged '" + tag + "'");
  return *outputs_[i];
}

bool CalculatorContext::has_side_packet(const std::string& tag) const {
  for (size_t i = 0; i < node_->side_inputs.size(); ++i)
    if (node_->side_inputs[i].tag == tag || (tag.empty() && node_->side_inputs[i].tag.empty()))
      return side_[i] != nullptr;
  return false;
}

const PacketValue& CalculatorContext::side_packet(const std::string& tag) const {
  for (size_t i = 0; i < node_->side_inputs.size(); ++i)
    if (node_->side_inputs[i].tag == tag || (tag.empty() && node_->side_inputs[i].tag.empty())) {
      if (!side_[i]) break;
      return *side_[i];
    }
  throw GraphError(node_->name + ": side packet '" + tag + "' was not provided");
}

// ---- runner ----------------------------------------------------------------------------------
GraphRunner::GraphRunner(GraphConfig config, std::map<std::string, PacketValue> side_packets,
                         GraphServices services)
    : config_(std::move(config)), side_packets_(std::move(side_packets)), services_(std::move(services)) {
  auto add_stream = [&](const std::string& name) {
    auto it = stream_ids_.find(name);
    if (it != stream_ids_.end()) return it->second;
    const int id = static_cast<int>(stream_ids_.size());
    stream_ids_[name] = id;
    return id;
  };
  for (const StreamRef& r : config_.inputs) add_stream(r.name);
  for (const NodeConfig& n : config_.nodes) {
    for (const StreamRef& r : n.inputs) add_stream(r.name);
    for (const StreamRef& r : n.outputs) add_stream(r.name);
  }
  for (const StreamRef& r : config_.outputs) {
    if (!stream_ids_.count(r.name))
      throw GraphError("graph output '" + r.name + "' is not produced by any node");
  }
  const size_t n_streams = stream_ids_.size();
  packets_.resize(n_streams);  // never resized again: contexts keep pointers
  back_edge_.assign(n_streams, false);
  written_.assign(n_streams, false);
  graph_input_.assign(n_streams, false);
  for (const StreamRef& r : config_.inputs) graph_input_[stream_ids_[r.name]] = true;
  for (const StreamRef& r : config_.side_inputs)
    if (!side_packets_.count(r.name))
      throw GraphError("graph side packet '" + r.name + "' was not provided");

  // Check the order: each stream has one producer, and non-back-edge inputs are produced
  // earlier in the file (or are graph inputs).
  std::vector<int> producer(n_streams, -1);
  for (size_t i = 0; i < config_.nodes.size(); ++i)
    for (const StreamRef& r : config_.nodes[i].outputs) {
      const int s = stream_ids_[r.name];
      if (producer[s] >= 0 || graph_input_[s])
        throw GraphError("stream '" + r.name + "' has more than one producer");
      producer[s] = static_cast<int>(i);
    }
  for (size_t i = 0; i < config_.nodes.size(); ++i) {
    const NodeConfig& n = config_.nodes[i];
    for (const StreamRef& r : n.inputs) {
      const int s = stream_ids_[r.name];
      if (graph_input_[s]) continue;
      if (producer[s] < 0)
        throw GraphError("node " + n.name + ": input stream '" + r.name + "' has no producer");
      if (r.back_edge) {
        for (const StreamRef& o : n.outputs)
          if (o.name == r.name)
            throw GraphError("node " + n.name + ": reads its own output '" + r.name +
                             "' through a back edge; self loops are not supported (route the "
                             "value through a PreviousLoopback node)");
        back_edge_[s] = true;
      } else if (producer[s] >= static_cast<int>(i)) {
        throw GraphError("node " + n.name + ": input stream '" + r.name +
                         "' is produced later; mark it as a back edge or reorder the nodes");
      }
    }
  }

  contexts_.resize(config_.nodes.size());
  for (size_t i = 0; i < config_.nodes.size(); ++i) {
    const NodeConfig& n = config_.nodes[i];
    std::unique_ptr<Calculator> calc = create_calculator(n.calculator);
    if (!calc) throw GraphError("node " + n.name + ": unknown calculator '" + n.calculator + "'");
    CalculatorContext& cc = contexts_[i];
    cc.node_ = &config_.nodes[i];
    cc.services_ = &services_;
    for (const StreamRef& r : n.inputs) cc.inputs_.push_back(&packets_[stream_ids_[r.name]]);
    for (const StreamRef& r : n.outputs) cc.outputs_.push_back(&packets_[stream_ids_[r.name]]);
    for (const StreamRef& r : n.side_inputs) {
      auto it = side_packets_.find(r.name);
      cc.side_.push_back(it == side_packets_.end() ? nullptr : &it->second);
    }
    calculators_.push_back(std::move(calc));
    stats_.push_back({n.name, 0, 0.0});
  }
  // Open after all contexts exist (side packet pointers into side_packets_ are stable).
  for (size_t i = 0; i < calculators_.size(); ++i) calculators_[i]->open(contexts_[i]);
}

GraphRunner::~GraphRunner() = default;

int GraphRunner::stream_id(const std::string& name) const {
  auto it = stream_ids_.find(name);
  if (it == stream_ids_.end()) throw GraphError("no stream named '" + name + "'");
  return it->second;
}

Packet& GraphRunner::input(const std::string& stream) {
  const int s = stream_id(stream);
  if (!graph_input_[s]) throw GraphError("'" + stream + "' is not a graph input stream");
  packets_[s].present = true;
  return packets_[s];
}

bool GraphRunner::has_stream(const std::string& name) const { return stream_ids_.count(name) > 0; }

const Packet& GraphRunner::stream(const std::string& name) const { return packets_[stream_id(name)]; }

void GraphRunner::reset() {
  for (size_t s = 0; s < packets_.size(); ++s) {
    packets_[s].present = false;
    written_[s] = false;
  }
}

void GraphRunner::run() {
  ++services_.frame_index;  // lets calculators share per-frame work (e.g. one GPU upload)
  // Presence at frame start: graph inputs as set by the caller, back-edge streams as the last
  // frame left them, everything else absent.
  for (size_t s = 0; s < packets_.size(); ++s) {
    if (graph_input_[s]) continue;
    packets_[s].present = back_edge_[s] && written_[s];
  }
  std::fill(written_.begin(), written_.end(), false);
  for (size_t i = 0; i < calculators_.size(); ++i) {
    CalculatorContext& cc = contexts_[i];
    bool any = cc.inputs_.empty();
    for (const Packet* p : cc.inputs_) any = any || p->present;
    // Outputs written this frame replace last frame's back-edge value only when written.
    for (Packet* p : cc.outputs_) {
      const int s = static_cast<int>(p - packets_.data());
      if (back_edge_[s]) p->present = false;
    }
    if (!any) continue;
    const auto t0 = std::chrono::steady_clock::now();
    calculators_[i]->process(cc);
    stats_[i].calls += 1;
    stats_[i].seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (Packet* p : cc.outputs_)
      if (p->present) written_[p - packets_.data()] = true;
  }
  for (size_t s = 0; s < packets_.size(); ++s)
    if (graph_input_[s]) packets_[s].present = false;
}

}  // namespace fmn
