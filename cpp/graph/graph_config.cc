#include "graph/graph_config.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fmn {

namespace {

constexpr int kMaxDepth = 32;

class Parser {
 public:
  Parser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  TextMessage parse_all() {
    TextMessage m = parse_message(0, false);
    skip_space();
    if (pos_ != s_.size()) error("unexpected '" + std::string(1, s_[pos_]) + "'");
    return m;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    int line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    throw GraphError(source_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  }

  void skip_space() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == ';') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  static bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
           c == '+' || c == '[' || c == ']';
  }

  std::string parse_ident() {
    const size_t start = pos_;
    while (pos_ < s_.size() && ident_char(s_[pos_])) ++pos_;
    if (pos_ == start) error("expected a field name");
    return s_.substr(start, pos_ - start);
  }

  std::string parse_quoted() {
    const char quote = s_[pos_++];
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) error("unterminated string");
      const char c = s_[pos_++];
      if (c == quote) break;
      if (c == '\n') error("newline in string");
      if (c == '\\') {
        if (pos_ >= s_.size()) error("unterminated string");
        const char e = s_[pos_++];
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case '\\': out += '\\'; break;
          case '"': out += '"'; break;
          case '\'': out += '\''; break;
          default: error(std::string("unknown escape \\") + e);
        }
      } else {
        out += c;
      }
    }
    return out;
  }

  TextMessage parse_message(int depth, bool braced) {
    if (depth > kMaxDepth) error("nesting too deep");
    TextMessage m;
    while (true) {
      skip_space();
      if (pos_ >= s_.size()) {
        if (braced) error("missing '}'");
        return m;
      }
      if (s_[pos_] == '}') {
        if (!braced) error("unmatched '}'");
        ++pos_;
        return m;
      }
      TextMessage::Field f;
      f.name = parse_ident();
      skip_space();
      bool colon = false;
      if (pos_ < s_.size() && s_[pos_] == ':') {
        colon = true;
        ++pos_;
        skip_space();
      }
      if (pos_ < s_.size() && (s_[pos_] == '{' || s_[pos_] == '<')) {
        const bool angle = s_[pos_] == '<';
        if (angle) error("'<' messages are not supported; use '{'");
        ++pos_;
        f.message = std::make_shared<TextMessage>(parse_message(depth + 1, true));
      } else {
        if (!colon) error("expected ':' or '{' after '" + f.name + "'");
        if (pos_ >= s_.size()) error("missing value for '" + f.name + "'");
        if (s_[pos_] == '"' || s_[pos_] == '\'') {
          f.scalar = parse_quoted();
          f.quoted = true;
        } else {
          const size_t start = pos_;
          while (pos_ < s_.size() && ident_char(s_[pos_])) ++pos_;
          if (pos_ == start) error("missing value for '" + f.name + "'");
          f.scalar = s_.substr(start, pos_ - start);
        }
      }
      m.fields.push_back(std::move(f));
    }
  }

  const std::string& s_;
  std::string source_;
  size_t pos_ = 0;
};

const TextMessage::Field& scalar_field(const TextMessage::Field* f) {
  if (f->message) throw GraphError("field '" + f->name + "' must be a value, not a message");
  return *f;
}

}  // namespace

const TextMessage::Field* TextMessage::find(const std::string& name) const {
  for (const Field& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<const TextMessage::Field*> TextMessage::all(const std::string& name) const {
  std::vector<const Field*> out;
  for (const Field& f : fields)
    if (f.name == name) out.push_back(&f);
  return out;
}

std::string TextMessage::get_string(const std::string& name, const std::string& def) const {
  const Field* f = find(name);
  return f ? scalar_field(f).scalar : def;
}

double TextMessage::get_double(const std::string& name, double def) const {
  const Field* f = find(name);
  if (!f) return def;
  const std::string& v = scalar_field(f).scalar;
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno != 0)
    throw GraphError("field '" + name + "' must be a number, got '" + v + "'");
  return d;
}

int64_t TextMessage::get_int(const std::string& name, int64_t def) const {
  const Field* f = find(name);
  if (!f) return def;
  const std::string& v = scalar_field(f).scalar;
  char* end = nullptr;
  errno = 0;
  const long long i = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0)
    throw GraphError("field '" + name + "' must be an integer, got '" + v + "'");
  return i;
}

bool TextMessage::get_bool(const std::string& name, bool def) const {
  const Field* f = find(name);
  if (!f) return def;
  const std::string& v = scalar_field(f).scalar;
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw GraphError("field '" + name + "' must be true or false, got '" + v + "'");
}

std::vector<double> TextMessage::get_doubles(const std::string& name) const {
  std::vector<double> out;
  for (const Field* f : all(name)) {
    TextMessage one;
    one.fields.push_back(*f);
    out.push_back(one.get_double(name, 0.0));
  }
  return out;
}

TextMessage parse_text_message(const std::string& text, const std::string& source_name) {
  Parser p(text, source_name);
  return p.parse_all();
}

StreamRef parse_stream_ref(const std::string& text) {
  StreamRef r;
  const size_t a = text.find(':');
  if (a == std::string::npos) {
    r.name = text;
  } else {
    r.tag = text.substr(0, a);
    const size_t b = text.find(':', a + 1);
    if (b == std::string::npos) {
      r.name = text.substr(a + 1);
    } else {
      const std::string idx = text.substr(a + 1, b - a - 1);
      if (idx.empty() || idx.size() > 10 || idx.find_first_not_of("0123456789") != std::string::npos)
        throw GraphError("bad stream index in '" + text + "'");
      const long long v = std::atoll(idx.c_str());
      if (v > 2147483647LL) throw GraphError("stream index out of range in '" + text + "'");
      r.index = static_cast<int>(v);
      r.name = text.substr(b + 1);
    }
    // MediaPipe tags: [A-Z_][A-Z0-9_]*.
    bool ok = !r.tag.empty() && !std::isdigit(static_cast<unsigned char>(r.tag[0]));
    for (char c : r.tag)
      ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) throw GraphError("bad stream tag in '" + text + "' (tags are [A-Z_][A-Z0-9_]*)");
  }
  if (r.name.empty()) throw GraphError("empty stream name in '" + text + "'");
  for (char c : r.name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      throw GraphError("bad stream name '" + r.name + "'");
  return r;
}

GraphConfig parse_graph_config(const std::string& text, const std::string& source_name) {
  const TextMessage top = parse_text_message(text, source_name);
  GraphConfig g;
  auto refs = [](const TextMessage& m, const char* field) {
    std::vector<StreamRef> out;
    for (const TextMessage::Field* f : m.all(field)) out.push_back(parse_stream_ref(scalar_field(f).scalar));
    return out;
  };
  for (const TextMessage::Field& f : top.fields) {
    if (f.name == "type") g.type = scalar_field(&f).scalar;
    else if (f.name == "input_stream" || f.name == "output_stream" || f.name == "input_side_packet" ||
             f.name == "node") continue;
    else throw GraphError(source_name + ": unknown top-level field '" + f.name + "'");
  }
  g.inputs = refs(top, "input_stream");
  g.outputs = refs(top, "output_stream");
  g.side_inputs = refs(top, "input_side_packet");
  for (const TextMessage::Field* nf : top.all("node")) {
    if (!nf->message) throw GraphError(source_name + ": 'node' must be a message");
    const TextMessage& n = *nf->message;
    NodeConfig node;
    node.calculator = n.get_string("calculator");
    if (node.calculator.empty()) throw GraphError(source_name + ": a node has no calculator");
    node.name = n.get_string("name", node.calculator);
    node.inputs = refs(n, "input_stream");
    node.outputs = refs(n, "output_stream");
    node.side_inputs = refs(n, "input_side_packet");
    for (const TextMessage::Field* info : n.all("input_stream_info")) {
      if (!info->message) throw GraphError(source_name + ": input_stream_info must be a message");
      for (const TextMessage::Field& f : info->message->fields)
        if (f.name != "tag_index" && f.name != "back_edge")
          throw GraphError(source_name + ": node " + node.name + ": unknown field '" + f.name +
                           "' in input_stream_info");
      const std::string tag = info->message->get_string("tag_index");
      const bool back = info->message->get_bool("back_edge", false);
      bool found = false;
      for (StreamRef& r : node.inputs)
        if (r.tag == tag) { r.back_edge = back; found = true; }
      if (!found) throw GraphError(source_name + ": node " + node.name + " has no input tagged '" + tag + "'");
    }
    if (const TextMessage::Field* o = n.find("options")) {
      if (!o->message) throw GraphError(source_name + ": options must be a message");
      node.options = *o->message;
    }
    for (const TextMessage::Field& f : n.fields) {
      static const char* known[] = {"calculator", "name", "input_stream", "output_stream",
                                    "input_side_packet", "input_stream_info", "options"};
      bool ok = false;
      for (const char* k : known) ok = ok || f.name == k;
      if (!ok) throw GraphError(source_name + ": node " + node.name + ": unknown field '" + f.name + "'");
    }
    g.nodes.push_back(std::move(node));
  }
  return g;
}

GraphConfig load_graph_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw GraphError("cannot read graph config '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > (1u << 20)) throw GraphError("graph config '" + path + "' is too large");
  return parse_graph_config(ss.str(), path);
}

}  // namespace fmn
