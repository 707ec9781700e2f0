// Builds a calculator graph from a GraphConfig and runs it frame by frame.
//
// Build (once): every stream gets a persistent Packet; nodes are checked to be in a valid
// execution order (each non-back-edge input is produced by an earlier node or is a graph input;
// each stream has one producer); calculators are created and opened.
// Frame: graph inputs are set; every stream's presence is cleared except back-edge streams,
// which keep what the previous frame wrote (the tracking loop); nodes run in file order.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/calculator.h"
#include "graph/graph_config.h"

namespace fmn {

class GraphRunner {
 public:
  GraphRunner(GraphConfig config, std::map<std::string, PacketValue> side_packets,
              GraphServices services);
  ~GraphRunner();

  // Sets a graph input stream's packet for the next run (by stream name).
  Packet& input(const std::string& stream);
  // Runs one frame.
  void run();
  // A stream's packet after run() (graph outputs and any internal stream, for debugging).
  const Packet& stream(const std::string& name) const;
  bool has_stream(const std::string& name) const;
  GraphServices& services() { return services_; }
  // Forgets the tracking state carried by back edges.
  void reset();
  // Per node: name, number of process() calls and total seconds spent, since construction.
  struct NodeStats {
    std::string name;
    int64_t calls = 0;
    double seconds = 0.0;
  };
  std::vector<NodeStats> node_stats() const { return stats_; }

 private:
  int stream_id(const std::string& name) const;

  GraphConfig config_;
  std::map<std::string, PacketValue> side_packets_;
  GraphServices services_;
  std::map<std::string, int> stream_ids_;
  std::vector<Packet> packets_;
  std::vector<bool> back_edge_;       // stream read through a back edge
  std::vector<bool> written_;         // written during the current / last frame
  std::vector<bool> graph_input_;
  std::vector<std::unique_ptr<Calculator>> calculators_;
  std::vector<CalculatorContext> contexts_;
  std::vector<NodeStats> stats_;
};

}  // namespace fmn
