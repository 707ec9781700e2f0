// Tests of the graph-config text parser (graph/graph_config.h): scalars, nesting, comments,
// typed accessors, stream references, graph semantics, error positions, the nesting bound, and
// a fuzz loop over mutations of the bundled graph. A random-tree round trip (a generator and
// printer written here, independent of the parser) cross-checks the parser's structure.
#define FMN_TEST_MAIN
#include "testing.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

#include "graph/graph_config.h"

using fmn::GraphConfig;
using fmn::GraphError;
using fmn::StreamRef;
using fmn::TextMessage;
using fmn::parse_graph_config;
using fmn::parse_stream_ref;
using fmn::parse_text_message;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string graph_path(const char* name) { return std::string(FMN_SOURCE_DIR) + "/graphs/" + name; }

// The message of the GraphError thrown by parse_text_message, or "" when it parses.
std::string parse_error(const std::string& text) {
  try {
    parse_text_message(text, "t.pbtxt");
  } catch (const GraphError& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const GraphError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// ---- scalars ---------------------------------------------------------------------------------

TEST(quoted_strings_and_escapes) {
  const TextMessage m = parse_text_message(
      "a: \"plain\"\n"
      "b: \"q\\\"uote \\\\ back\\nnl\\ttab\\'\"\n"
      "c: 'single \"inner\"'\n"
      "d: \"\"\n"
      "e: \"# not a comment\"\n",
      "t");
  CHECK(m.fields.size() == 5);
  CHECK(m.get_string("a") == "plain");
  CHECK(m.find("a")->quoted);
  CHECK(m.get_string("b") == "q\"uote \\ back\nnl\ttab'");
  CHECK(m.get_string("c") == "single \"inner\"");
  CHECK(m.get_string("d").empty());
  CHECK(m.find("d") != nullptr && m.find("d")->quoted);
  CHECK(m.get_string("e") == "# not a comment");
  CHECK(!m.find("a")->message);
}

TEST(numbers_and_identifiers) {
  const TextMessage m = parse_text_message(
      "i: 42 n: -7 f: 0.1484375 e: -1.5e-3 p: +2.5 big: 1e+30 id: WEIGHTED t: true f0: false "
      "one: 1 zero: 0",
      "t");
  CHECK(m.get_int("i", 0) == 42);
  CHECK(m.get_int("n", 0) == -7);
  CHECK(m.get_double("f", 0) == 0.1484375);
  CHECK_NEAR(m.get_double("e", 0), -1.5e-3, 1e-18);
  CHECK(m.get_double("p", 0) == 2.5);
  CHECK_NEAR(m.get_double("big", 0), 1e30, 1e15);
  CHECK(m.get_string("id") == "WEIGHTED");
  CHECK(!m.find("id")->quoted);
  CHECK(m.get_bool("t", false) == true);
  CHECK(m.get_bool("f0", true) == false);
  CHECK(m.get_bool("one", false) == true);
  CHECK(m.get_bool("zero", true) == false);
  // Integers read as doubles too.
  CHECK(m.get_double("i", 0) == 42.0);
  // A bare scalar keeps its text exactly.
  CHECK(m.get_string("e") == "-1.5e-3");
}

TEST(defaults_when_absent) {
  const TextMessage m = parse_text_message("x: 1", "t");
  CHECK(m.find("y") == nullptr);
  CHECK(m.all("y").empty());
  CHECK(m.get_string("y", "dflt") == "dflt");
  CHECK(m.get_string("y").empty());
  CHECK(m.get_double("y", 2.5) == 2.5);
  CHECK(m.get_int("y", -3) == -3);
  CHECK(m.get_bool("y", true) == true);
  CHECK(m.get_doubles("y").empty());
  const TextMessage empty = parse_text_message("", "t");
  CHECK(empty.fields.empty());
  CHECK(parse_text_message("  # only a comment\n\n\t", "t").fields.empty());
}

TEST(typed_accessor_errors) {
  const TextMessage m = parse_text_message(
      "s: abc q: \"\" f: 1.5 huge: 99999999999999999999 hex: 0x10 b: yes B: True m { x: 1 } "
      "trail: 12abc r: 1 r: oops",
      "t");
  CHECK_THROWS(m.get_double("s", 0), GraphError);
  CHECK_THROWS(m.get_double("q", 0), GraphError);  // empty string is not a number
  CHECK_THROWS(m.get_int("q", 0), GraphError);
  CHECK_THROWS(m.get_int("f", 0), GraphError);     // not an integer
  CHECK_THROWS(m.get_int("huge", 0), GraphError);  // out of range
  CHECK_THROWS(m.get_int("hex", 0), GraphError);   // base 10 only
  CHECK_THROWS(m.get_int("trail", 0), GraphError);
  CHECK_THROWS(m.get_double("trail", 0), GraphError);
  CHECK_THROWS(m.get_bool("b", false), GraphError);
  CHECK_THROWS(m.get_bool("B", false), GraphError);  // case-sensitive, as protobuf text
  CHECK_THROWS(m.get_bool("f", false), GraphError);
  // A message field read as a scalar.
  CHECK_THROWS(m.get_string("m"), GraphError);
  CHECK_THROWS(m.get_double("m", 0), GraphError);
  CHECK_THROWS(m.get_bool("m", false), GraphError);
  // One bad repeated value fails the whole list.
  CHECK_THROWS(m.get_doubles("r"), GraphError);
  // The error names the field and the offending text.
  const std::string e = error_of([&] { m.get_int("f", 0); });
  CHECK(contains(e, "'f'") && contains(e, "1.5"));
  const std::string e2 = error_of([&] { m.get_string("m"); });
  CHECK(contains(e2, "'m'"));
}

// ---- structure -------------------------------------------------------------------------------

TEST(nested_messages_with_and_without_colon) {
  const TextMessage m = parse_text_message(
      "outer {\n"
      "  inner: { v: 1 }\n"
      "  inner { v: 2 w: \"x\" }\n"
      "  empty {}\n"
      "}\n"
      "after: 3\n",
      "t");
  CHECK(m.fields.size() == 2);
  const TextMessage::Field* o = m.find("outer");
  CHECK(o && o->message);
  if (!o || !o->message) return;
  const auto inners = o->message->all("inner");
  CHECK(inners.size() == 2);
  if (inners.size() != 2) return;
  CHECK(inners[0]->message && inners[0]->message->get_int("v", 0) == 1);
  CHECK(inners[1]->message && inners[1]->message->get_int("v", 0) == 2);
  CHECK(inners[1]->message->get_string("w") == "x");
  const TextMessage::Field* e = o->message->find("empty");
  CHECK(e && e->message && e->message->fields.empty());
  CHECK(m.get_int("after", 0) == 3);
}

TEST(repeated_fields_keep_order) {
  const TextMessage m =
      parse_text_message("strides: 8 other: 1 strides: 16, strides: 16; strides: 32", "t");
  const std::vector<double> s = m.get_doubles("strides");
  CHECK((s == std::vector<double>{8, 16, 16, 32}));
  CHECK(m.all("strides").size() == 4);
  // find() returns the first occurrence; get_* read the first one.
  CHECK(m.get_int("strides", 0) == 8);
  CHECK(m.fields[1].name == "other");
}

TEST(comments_and_separators) {
  const TextMessage m = parse_text_message(
      "# header { \"unbalanced\n"
      "a: 1 # trailing } comment\n"
      "#\n"
      "b { # open\n"
      "  c: \"x\" ,  # comma separators are allowed\n"
      "} ; d: 2\n"
      "# last line without newline",
      "t");
  CHECK(m.fields.size() == 3);
  CHECK(m.get_int("a", 0) == 1);
  CHECK(m.find("b") && m.find("b")->message && m.find("b")->message->get_string("c") == "x");
  CHECK(m.get_int("d", 0) == 2);
}

TEST(field_names_with_extension_syntax) {
  const TextMessage m = parse_text_message("[mediapipe.Ext] { a: 1 }", "t");
  CHECK(m.fields.size() == 1 && m.fields[0].name == "[mediapipe.Ext]");
}

// ---- syntax errors and their positions -------------------------------------------------------

TEST(syntax_error_positions) {
  // expected ':' or '{': points at the token after the name.
  std::string e = parse_error("a: 1\nb 2\n");
  CHECK(starts_with(e, "t.pbtxt:2:3: "));
  CHECK(contains(e, "'b'"));
  // unmatched '}' at top level.
  e = parse_error("a: 1\n   }\n");
  CHECK(starts_with(e, "t.pbtxt:2:4: "));
  // missing '}' is reported at the end of the input.
  e = parse_error("node {\n  x: 1\n");
  CHECK(starts_with(e, "t.pbtxt:3:1: "));
  CHECK(contains(e, "}"));
  // a value that is missing: points at what stands where it should be.
  e = parse_error("m {\n a:\n\n   }\n");
  CHECK(starts_with(e, "t.pbtxt:4:4: "));
  CHECK(contains(e, "'a'"));
  // a value missing at the end of the input.
  e = parse_error("x: 1 a:");
  CHECK(starts_with(e, "t.pbtxt:1:8: "));
  // angle-bracket messages are rejected where the '<' stands.
  e = parse_error("ok: 1\nm <a: 1>");
  CHECK(starts_with(e, "t.pbtxt:2:3: "));
  // a character that cannot start a field name.
  e = parse_error("a: 1 @b: 2");
  CHECK(starts_with(e, "t.pbtxt:1:6: "));
  // unterminated string: the end of the input.
  e = parse_error("a: 1\nb: \"abc");
  CHECK(starts_with(e, "t.pbtxt:2:8: "));
  // comment lines count as lines; tabs count as one column.
  e = parse_error("# c1\n# c2\n\tk v");
  CHECK(starts_with(e, "t.pbtxt:3:4: "));
  // Errors that must be reported, with a position on the right line.
  CHECK(starts_with(parse_error("a: \"x\\q\""), "t.pbtxt:1:"));   // unknown escape
  CHECK(contains(parse_error("a: \"x\\q\""), "escape"));
  CHECK(!parse_error("a: \"ab\ncd\"").empty());                    // newline in string
  CHECK(!parse_error("a: \"ab\\").empty());                        // backslash at the end
  CHECK(!parse_error("a: {").empty());
  CHECK(!parse_error("}").empty());
  CHECK(!parse_error("a").empty());
  CHECK(!parse_error(":").empty());
  CHECK(!parse_error("a: b: c").empty());
  CHECK(!parse_error("a { b }").empty());
}

TEST(nesting_depth_is_bounded) {
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "m {";
    s += "x: 1";
    for (int i = 0; i < depth; ++i) s += "}";
    return s;
  };
  // The bundled graphs nest 3 deep; a modest depth parses and reads back.
  const TextMessage m = parse_text_message(nested(16), "t");
  const TextMessage* cur = &m;
  for (int i = 0; i < 16; ++i) {
    const TextMessage::Field* f = cur->find("m");
    CHECK(f && f->message);
    if (!f || !f->message) return;
    cur = f->message.get();
  }
  CHECK(cur->get_int("x", 0) == 1);
  // Deep input is an error, not a stack overflow.
  const std::string e = parse_error(nested(100000));
  CHECK(contains(e, "deep"));
  CHECK(starts_with(e, "t.pbtxt:1:"));
  // Deep unterminated input too.
  CHECK(!parse_error(std::string(200000, '{')).empty());
  std::string opens;
  for (int i = 0; i < 50000; ++i) opens += "a{";
  CHECK(contains(parse_error(opens), "deep"));
}

// ---- random round trip -----------------------------------------------------------------------
// Random trees are printed with random layout (spaces, newlines, comments, separators, optional
// ':' before '{', both quote styles) and must parse back to the same tree.

namespace {

struct Node {
  std::string name;
  bool is_msg = false;
  std::string value;   // the decoded scalar
  bool quoted = false;
  std::vector<Node> kids;
};

std::string rand_name(std::mt19937& rng) {
  static const char* names[] = {"node", "a", "input_stream", "options", "x_1", "Tag", "b2"};
  return names[rng() % 7];
}

std::string rand_value(std::mt19937& rng, bool* quoted) {
  *quoted = rng() % 2;
  if (*quoted) {
    static const char pool[] = "abcXYZ 019:_-#{}<>\"\\'\t\n.,;";
    std::string v;
    const int n = rng() % 8;
    for (int i = 0; i < n; ++i) v += pool[rng() % (sizeof(pool) - 1)];
    return v;
  }
  static const char* bare[] = {"1", "-2.5", "true", "WEIGHTED", "1e-3", "+7", "x.y", "0"};
  return bare[rng() % 8];
}

void gen(std::mt19937& rng, int depth, std::vector<Node>* out) {
  const int n = rng() % 5;
  for (int i = 0; i < n; ++i) {
    Node f;
    f.name = rand_name(rng);
    f.is_msg = depth < 5 && rng() % 3 == 0;
    if (f.is_msg) gen(rng, depth + 1, &f.kids);
    else f.value = rand_value(rng, &f.quoted);
    out->push_back(std::move(f));
  }
}

std::string space(std::mt19937& rng) {
  switch (rng() % 7) {
    case 0: return " ";
    case 1: return "\n";
    case 2: return "  # comment { } \" \n";
    case 3: return ", ";
    case 4: return " ;\n\t";
    default: return " ";
  }
}

std::string quote(const std::string& v, std::mt19937& rng) {
  const char q = rng() % 2 ? '"' : '\'';
  std::string s(1, q);
  for (char c : v) {
    if (c == '\n') s += "\\n";
    else if (c == '\t') s += rng() % 2 ? std::string("\\t") : std::string("\t");
    else if (c == '\\') s += "\\\\";
    else if (c == q) s += std::string("\\") + q;
    else if (c == '"' || c == '\'') s += rng() % 2 ? std::string("\\") + c : std::string(1, c);
    else s += c;
  }
  s += q;
  return s;
}

void print(const std::vector<Node>& fields, std::mt19937& rng, std::string* out) {
  for (const Node& f : fields) {
    *out += f.name;
    if (f.is_msg) {
      *out += rng() % 2 ? ": {" : " {";
      *out += space(rng);
      print(f.kids, rng, out);
      *out += "}";
    } else {
      *out += ":";
      if (rng() % 2) *out += " ";
      *out += f.quoted ? quote(f.value, rng) : f.value;
    }
    *out += space(rng);
  }
}

bool same(const std::vector<Node>& want, const TextMessage& got) {
  if (want.size() != got.fields.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    const Node& w = want[i];
    const TextMessage::Field& g = got.fields[i];
    if (w.name != g.name || w.is_msg != static_cast<bool>(g.message)) return false;
    if (w.is_msg) {
      if (!same(w.kids, *g.message)) return false;
    } else if (w.value != g.scalar || w.quoted != g.quoted) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST(random_trees_round_trip) {
  std::mt19937 rng(12345);
  int failures = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    std::vector<Node> tree;
    gen(rng, 0, &tree);
    std::string text;
    if (rng() % 2) text += space(rng);
    print(tree, rng, &text);
    try {
      const TextMessage m = parse_text_message(text, "rt");
      if (!same(tree, m)) {
        if (failures++ < 3) std::fprintf(stderr, "round trip mismatch for:\n%s\n", text.c_str());
      }
    } catch (const GraphError& e) {
      if (failures++ < 3) std::fprintf(stderr, "round trip threw %s for:\n%s\n", e.what(), text.c_str());
    }
  }
  CHECK(failures == 0);
}

// ---- stream references -----------------------------------------------------------------------

TEST(stream_refs) {
  StreamRef r = parse_stream_ref("image");
  CHECK(r.tag.empty() && r.index == 0 && r.name == "image" && !r.back_edge);
  r = parse_stream_ref("IMAGE:image_2");
  CHECK(r.tag == "IMAGE" && r.index == 0 && r.name == "image_2");
  r = parse_stream_ref("TENSORS:2:out");
  CHECK(r.tag == "TENSORS" && r.index == 2 && r.name == "out");
  r = parse_stream_ref("T:0:x");
  CHECK(r.tag == "T" && r.index == 0 && r.name == "x");
  r = parse_stream_ref("T:17:_x9");
  CHECK(r.index == 17 && r.name == "_x9");
}

TEST(bad_stream_refs) {
  const char* bad[] = {"",       "TAG:",      "TAG::x",   "TAG:x1:n", "TAG:-1:n", "TAG:1:",
                       "a b",    "TAG:na-me", "A:1:b:c",  "T:1:a.b",  "na/me",    "TAG:na me",
                       "TAG: x", "T:1 :x",    "T:+1:x"};
  for (const char* s : bad) {
    bool threw = false;
    try {
      parse_stream_ref(s);
    } catch (const GraphError& e) {
      threw = true;
    }
    if (!threw) fmn_test::fail(__FILE__, __LINE__, std::string("accepted bad stream ref '") + s + "'");
  }
  const std::string e = error_of([] { parse_stream_ref("TAG:x1:n"); });
  CHECK(contains(e, "TAG:x1:n"));
}

TEST(stream_ref_tags_and_index_range) {
  // Tags are MediaPipe tags ([A-Z_][A-Z0-9_]*, non-empty when a ':' is present); an index
  // must fit an int: none of these may be accepted (or silently wrap to another index).
  const char* bad[] = {":x", "T G:x", "T-G:x", "T:99999999999:x", "T:2147483648:x"};
  for (const char* s : bad) {
    try {
      const StreamRef r = parse_stream_ref(s);
      fmn_test::fail(__FILE__, __LINE__, std::string("accepted '") + s + "' as tag '" + r.tag +
                                             "' index " + std::to_string(r.index));
    } catch (const GraphError&) {
    }
  }
  // Large but valid indices and tags with digits and underscores stay accepted.
  const StreamRef r = parse_stream_ref("T_2:2147483647:x");
  CHECK(r.tag == "T_2" && r.index == 2147483647);
}

// ---- graph configs ---------------------------------------------------------------------------

TEST(graph_config_semantics) {
  const GraphConfig g = parse_graph_config(
      "type: \"T\"\n"
      "input_stream: \"IMAGE:image\"\n"
      "input_side_packet: \"N:num\"\n"
      "output_stream: \"out\"\n"
      "node {\n"
      "  calculator: \"Loop\"\n"
      "  input_stream: \"MAIN:image\"\n"
      "  input_stream: \"LOOP:fb\"\n"
      "  input_stream_info: { tag_index: \"LOOP\" back_edge: true }\n"
      "  output_stream: \"PREV:prev\"\n"
      "}\n"
      "node {\n"
      "  calculator: \"Work\"\n"
      "  name: \"worker\"\n"
      "  input_stream: \"prev\"\n"
      "  input_stream: \"IN:1:image\"\n"
      "  input_side_packet: \"num\"\n"
      "  output_stream: \"fb\"\n"
      "  output_stream: \"OUT:out\"\n"
      "  options { k: 3 sub { z: \"q\" } }\n"
      "}\n",
      "g.pbtxt");
  CHECK(g.type == "T");
  CHECK(g.inputs.size() == 1 && g.inputs[0].tag == "IMAGE" && g.inputs[0].name == "image");
  CHECK(g.side_inputs.size() == 1 && g.side_inputs[0].name == "num");
  CHECK(g.outputs.size() == 1 && g.outputs[0].name == "out");
  CHECK(g.nodes.size() == 2);
  if (g.nodes.size() != 2) return;
  const auto& n0 = g.nodes[0];
  CHECK(n0.calculator == "Loop" && n0.name == "Loop");  // name defaults to the calculator
  CHECK(n0.inputs.size() == 2);
  CHECK(!n0.inputs[0].back_edge);
  CHECK(n0.inputs[1].tag == "LOOP" && n0.inputs[1].back_edge);
  CHECK(n0.options.fields.empty());
  const auto& n1 = g.nodes[1];
  CHECK(n1.name == "worker");
  CHECK(n1.inputs.size() == 2 && n1.inputs[1].tag == "IN" && n1.inputs[1].index == 1);
  CHECK(!n1.inputs[0].back_edge && !n1.inputs[1].back_edge);
  CHECK(n1.side_inputs.size() == 1 && n1.side_inputs[0].tag.empty());
  CHECK(n1.outputs.size() == 2 && n1.outputs[1].tag == "OUT");
  CHECK(n1.options.get_int("k", 0) == 3);
  CHECK(n1.options.find("sub") && n1.options.find("sub")->message->get_string("z") == "q");

  // back_edge: false is accepted and leaves the input a forward edge.
  const GraphConfig g2 = parse_graph_config(
      "node { calculator: \"C\" input_stream: \"A:x\" "
      "input_stream_info { tag_index: \"A\" back_edge: false } }",
      "g");
  CHECK(g2.nodes.size() == 1 && !g2.nodes[0].inputs[0].back_edge);
}

TEST(graph_config_rejections) {
  struct Case {
    const char* text;
    const char* must_mention;
  };
  const Case cases[] = {
      {"typo: 1", "typo"},
      {"node { calculator: \"C\" input_streams: \"x\" }", "input_streams"},
      {"node { name: \"n\" }", "calculator"},
      {"node: 3", "node"},
      {"node { calculator: \"C\" options: 4 }", "options"},
      {"node { calculator: \"C\" input_stream_info: 1 }", "input_stream_info"},
      {"node { calculator: \"C\" input_stream: \"A:x\" input_stream_info { tag_index: \"B\" back_edge: true } }",
       "'B'"},
      {"node { calculator: \"C\" input_stream: \"A:x\" input_stream_info { tag_index: \"A\" back_edge: maybe } }",
       "back_edge"},
      {"node { calculator: \"C\" input_stream: \"bad name\" }", "bad name"},
      {"input_stream: \"A::x\"", "A::x"},
      {"node { calculator { x: 1 } }", "calculator"},
      {"type { }", "type"},
      {"input_stream { a: 1 }", "input_stream"},
  };
  for (const Case& c : cases) {
    const std::string e = error_of([&] { parse_graph_config(c.text, "g.pbtxt"); });
    if (e.empty()) {
      fmn_test::fail(__FILE__, __LINE__, std::string("accepted: ") + c.text);
    } else if (!contains(e, c.must_mention)) {
      fmn_test::fail(__FILE__, __LINE__, std::string("error '") + e + "' does not mention " + c.must_mention);
    }
  }
  // Unknown-field errors name the source.
  CHECK(contains(error_of([] { parse_graph_config("typo: 1", "g.pbtxt"); }), "g.pbtxt"));
  // Syntax errors surface through parse_graph_config with their position.
  CHECK(starts_with(error_of([] { parse_graph_config("node {\n calculator \"C\"\n}", "g.pbtxt"); }),
                    "g.pbtxt:2:13: "));
}

TEST(load_graph_config_errors) {
  CHECK_THROWS(fmn::load_graph_config("/nonexistent/dir/graph.pbtxt"), GraphError);
  const std::string e = error_of([] { fmn::load_graph_config("/nonexistent/dir/graph.pbtxt"); });
  CHECK(contains(e, "/nonexistent/dir/graph.pbtxt"));
  // Oversized files are refused before parsing.
  char tmpl[] = "/tmp/fmn_graph_XXXXXX";
  const int fd = mkstemp(tmpl);
  CHECK(fd >= 0);
  if (fd < 0) return;
  close(fd);
  {
    std::ofstream out(tmpl, std::ios::binary);
    std::string line = "# padding padding padding padding padding padding padding padding\n";
    for (size_t written = 0; written <= (1u << 20); written += line.size()) out << line;
  }
  CHECK(contains(error_of([&] { fmn::load_graph_config(tmpl); }), "too large"));
  // A syntax error names the file.
  {
    std::ofstream out(tmpl, std::ios::binary | std::ios::trunc);
    out << "node {\n";
  }
  const std::string e2 = error_of([&] { fmn::load_graph_config(tmpl); });
  CHECK(starts_with(e2, std::string(tmpl) + ":2:1: "));
  std::remove(tmpl);
}

// ---- the bundled graphs ----------------------------------------------------------------------

namespace {

// Counts of structural lines found by a plain line scan of the file (independent of the parser):
// "node {" openings and the quoted stream names of input_stream lines inside nodes.
struct LineScan {
  int nodes = 0;
  std::vector<std::string> node_input_refs;
  std::vector<std::string> top_inputs, top_outputs, top_side;
  int back_edges = 0;
  std::string type;
};

std::string quoted_value(const std::string& line) {
  const size_t a = line.find('"');
  const size_t b = line.find('"', a + 1);
  return a == std::string::npos || b == std::string::npos ? "" : line.substr(a + 1, b - a - 1);
}

LineScan scan_lines(const std::string& text) {
  LineScan s;
  std::istringstream in(text);
  std::string line;
  int depth = 0;
  while (std::getline(in, line)) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const std::string t = line.substr(first);
    if (depth == 0 && starts_with(t, "node {")) ++s.nodes;
    if (depth == 0 && starts_with(t, "type:")) s.type = quoted_value(t);
    if (depth == 0 && starts_with(t, "input_stream:")) s.top_inputs.push_back(quoted_value(t));
    if (depth == 0 && starts_with(t, "output_stream:")) s.top_outputs.push_back(quoted_value(t));
    if (depth == 0 && starts_with(t, "input_side_packet:")) s.top_side.push_back(quoted_value(t));
    if (depth == 1 && starts_with(t, "input_stream:")) s.node_input_refs.push_back(quoted_value(t));
    if (contains(t, "back_edge: true")) ++s.back_edges;
    for (char c : t) {
      if (c == '#') break;
      depth += c == '{';
      depth -= c == '}';
    }
  }
  return s;
}

void check_bundled_graph(const char* file, const std::string& landmark_model) {
  const std::string path = graph_path(file);
  const std::string text = read_file(path);
  CHECK(!text.empty());
  const GraphConfig g = fmn::load_graph_config(path);
  const LineScan s = scan_lines(text);
  CHECK(!s.type.empty() && g.type == s.type);
  CHECK(static_cast<int>(g.nodes.size()) == s.nodes);
  CHECK(g.nodes.size() > 10);
  CHECK(g.inputs.size() == s.top_inputs.size());
  CHECK(g.outputs.size() == s.top_outputs.size());
  CHECK(g.side_inputs.size() == s.top_side.size());
  for (size_t i = 0; i < g.inputs.size() && i < s.top_inputs.size(); ++i) {
    const StreamRef r = parse_stream_ref(s.top_inputs[i]);
    CHECK(g.inputs[i].name == r.name && g.inputs[i].tag == r.tag);
  }
  // Every node input, in order, equals the scanned text.
  std::vector<std::string> names;
  int back = 0;
  for (const auto& n : g.nodes)
    for (const auto& r : n.inputs) {
      names.push_back((r.tag.empty() ? "" : r.tag + ":") + r.name);
      back += r.back_edge;
    }
  CHECK(names == s.node_input_refs);
  CHECK(back == s.back_edges);
  CHECK(back == 1);
  // The tracking loop: PreviousLoopback's LOOP input is the graph's only back edge.
  CHECK(g.nodes[0].calculator == "PreviousLoopback");
  CHECK(g.nodes[0].inputs.size() == 2 && g.nodes[0].inputs[1].tag == "LOOP" && g.nodes[0].inputs[1].back_edge);
  // Options reach their nodes.
  bool found_strides = false, found_model = false, found_gate = false;
  for (const auto& n : g.nodes) {
    if (n.calculator == "TensorsToDetections") {
      found_strides = n.options.get_doubles("strides") == std::vector<double>{8, 16, 16, 16};
      CHECK(n.options.get_int("num_boxes", 0) == 896);
      CHECK(n.options.get_double("min_scale", 0) == 0.1484375);
    }
    if (n.calculator == "Inference" && n.options.get_string("model") == landmark_model) found_model = true;
    if (n.calculator == "Gate" && n.options.get_bool("empty_packets_as_allow", false)) found_gate = true;
  }
  CHECK(found_strides);
  CHECK(found_model);
  CHECK(found_gate);
}

}  // namespace

TEST(bundled_graphs_parse) {
  check_bundled_graph("face_mesh_cpu.pbtxt", "face_landmark");
  check_bundled_graph("face_mesh_attention_cpu.pbtxt", "face_landmark_with_attention");
}

// ---- fuzz ------------------------------------------------------------------------------------
// Mutations and truncations of the bundled graph either parse or throw GraphError: never another
// exception, never a crash. Fixed seed.

TEST(fuzz_mutations_of_bundled_graph) {
  const std::string base = read_file(graph_path("face_mesh_cpu.pbtxt"));
  CHECK(base.size() > 1000);
  if (base.size() < 100) return;
  std::mt19937 rng(20240607);
  static const char specials[] = "{}:\"'\\#\n<>,;-+.[] \t0aZ_";
  int parsed = 0, rejected = 0, other = 0;
  auto attempt = [&](const std::string& text) {
    try {
      const GraphConfig g = parse_graph_config(text, "fuzz");
      // Whatever parsed is well-formed enough to walk.
      for (const auto& n : g.nodes) {
        if (n.calculator.empty()) ++other;
        for (const auto& r : n.inputs) if (r.name.empty()) ++other;
      }
      ++parsed;
    } catch (const GraphError&) {
      ++rejected;
    } catch (...) {
      ++other;
    }
  };
  // Truncations at many offsets.
  for (size_t cut = 0; cut < base.size(); cut += 7) attempt(base.substr(0, cut));
  // Random edits: 1 to 4 of flip / insert / delete / duplicate per sample.
  for (int iter = 0; iter < 3000; ++iter) {
    std::string t = base;
    const int edits = 1 + rng() % 4;
    for (int k = 0; k < edits && !t.empty(); ++k) {
      const size_t pos = rng() % t.size();
      switch (rng() % 5) {
        case 0: t[pos] = specials[rng() % (sizeof(specials) - 1)]; break;
        case 1: t.insert(pos, 1, specials[rng() % (sizeof(specials) - 1)]); break;
        case 2: t.erase(pos, 1 + rng() % 16); break;
        case 3: t[pos] = static_cast<char>(rng() % 256); break;
        default: {
          const size_t len = std::min<size_t>(1 + rng() % 64, t.size() - pos);
          t.insert(rng() % t.size(), t.substr(pos, len));
        }
      }
    }
    if (rng() % 4 == 0) t.resize(rng() % (t.size() + 1));
    attempt(t);
  }
  CHECK(other == 0);
  CHECK(parsed > 0);
  CHECK(rejected > 1000);
}
