// Graph configs as data: a protobuf-text-like format (a subset of MediaPipe's .pbtxt) parsed
// into a GraphConfig.
//
// Grammar: a message is a sequence of fields; a field is `name: scalar` or `name { message }`
// (also `name: { message }`); scalars are double-quoted strings (with \" \\ \n escapes),
// numbers, or bare identifiers (true, false, enum names). `#` starts a comment to end of line.
// Fields may repeat. Nesting depth is bounded.
//
// Graph semantics (see graphs/README.md): `input_stream`, `output_stream`,
// `input_side_packet` at top level name the graph's streams ("TAG:name" or "name"); each `node`
// has `calculator`, optional `name`, repeated `input_stream` / `output_stream` /
// `input_side_packet` ("TAG:name", "TAG:index:name" or "name"), optional
// `input_stream_info { tag_index: "TAG" back_edge: true }`, and `options { ... }` (free form,
// read by the calculator).
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmn {

class GraphError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A parsed text message: ordered fields, each a scalar (text) or a sub-message.
struct TextMessage {
  struct Field {
    std::string name;
    std::string scalar;                    // valid when !message
    bool quoted = false;                   // scalar was a quoted string
    std::shared_ptr<TextMessage> message;  // set for `name { ... }`
  };
  std::vector<Field> fields;

  const Field* find(const std::string& name) const;
  std::vector<const Field*> all(const std::string& name) const;

  // Typed accessors for scalar fields; the default when absent; GraphError when malformed.
  std::string get_string(const std::string& name, const std::string& def = "") const;
  double get_double(const std::string& name, double def) const;
  int64_t get_int(const std::string& name, int64_t def) const;
  bool get_bool(const std::string& name, bool def) const;
  std::vector<double> get_doubles(const std::string& name) const;  // every repeated value
};

// Parses text; GraphError names the line and column of a syntax error.
TextMessage parse_text_message(const std::string& text, const std::string& source_name);

// "TAG:name" / "TAG:2:name" / "name".
struct StreamRef {
  std::string tag;
  int index = 0;
  std::string name;
  bool back_edge = false;
};
StreamRef parse_stream_ref(const std::string& text);

struct NodeConfig {
  std::string calculator;
  std::string name;
  std::vector<StreamRef> inputs, outputs, side_inputs;
  TextMessage options;  // empty when the node has none
};

struct GraphConfig {
  std::string type;
  std::vector<StreamRef> inputs, outputs, side_inputs;
  std::vector<NodeConfig> nodes;
};

GraphConfig parse_graph_config(const std::string& text, const std::string& source_name);
GraphConfig load_graph_config(const std::string& path);

}  // namespace fmn
