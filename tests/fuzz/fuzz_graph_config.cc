// libFuzzer target: the graph-config (pbtxt subset) parser and validator. Contract: returns a
// GraphConfig or throws GraphError; nothing else. Seeds: graphs/*.pbtxt.
//
//   build/fuzz/fuzz_graph_config -max_total_time=30 build/fuzz/corpus-graph graphs
#include <cstddef>
#include <cstdint>
#include <string>

#include "graph/graph_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)fmn::parse_graph_config(text, "fuzz");
  } catch (const fmn::GraphError&) {
  }
  return 0;
}
