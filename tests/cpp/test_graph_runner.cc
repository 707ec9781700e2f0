// Tests of the calculator-graph runner (graph/graph_runner.h) with small calculators defined
// here, and of the built-in flow calculators (graph/calculators/flow_calculators.cc) whose
// semantics follow MediaPipe's GateCalculator, CollectionHasMinSizeCalculator,
// ClipVectorSizeCalculator and PreviousLoopbackCalculator. The tracking-loop test runs the
// first nodes of graphs/face_mesh_cpu.pbtxt and checks MediaPipe's face_landmark_front rule:
// the detector runs only while fewer than num_faces faces were tracked on the previous frame.
#define FMN_TEST_MAIN
#include "testing.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/graph_runner.h"

using fmn::CalculatorContext;
using fmn::Detection;
using fmn::GraphConfig;
using fmn::GraphError;
using fmn::GraphRunner;
using fmn::GraphServices;
using fmn::NormalizedRect;
using fmn::PacketValue;

namespace {

// ---- test calculators ------------------------------------------------------------------------

// What the test calculators saw, in execution order: "<node>" per process() call.
std::vector<std::string>& trace() {
  static std::vector<std::string> t;
  return t;
}

// Per frame scripted values for Scripted: the value to write, or -1 to write nothing.
std::map<std::string, std::vector<int64_t>>& scripts() {
  static std::map<std::string, std::vector<int64_t>> s;
  return s;
}

// Source: no inputs; output "" = 100 * its call number (1, 2, ...).
class Source : public fmn::Calculator {
 public:
  void process(CalculatorContext& cc) override {
    trace().push_back(cc.node().name);
    cc.output<int64_t>("") = 100 * ++calls_;
  }

 private:
  int64_t calls_ = 0;
};

// Adder: output "" = sum of its present inputs (all int64, tagged or not); records which
// inputs were present as "<node>:<bits>" (1 present, 0 absent, in input order).
class Adder : public fmn::Calculator {
 public:
  void process(CalculatorContext& cc) override {
    std::string bits;
    int64_t sum = 0;
    int untagged = 0;
    for (const fmn::StreamRef& r : cc.node().inputs) {
      const int index = r.tag.empty() ? untagged++ : r.index;
      const bool present = cc.input_present(r.tag, index);
      bits += present ? '1' : '0';
      if (present) sum += cc.input_as<int64_t>(r.tag, index);
    }
    trace().push_back(cc.node().name + ":" + bits);
    if (cc.has_output("")) cc.output<int64_t>("") = sum;
  }
};

// Passthrough: input "" -> output "", any value type.
class Passthrough : public fmn::Calculator {
 public:
  void process(CalculatorContext& cc) override {
    trace().push_back(cc.node().name);
    if (!cc.input_present("")) return;
    std::visit([&](const auto& v) { cc.output<std::decay_t<decltype(v)>>("") = v; }, cc.input("").value);
  }
};

// Scripted: any inputs; writes OUT (int64) from scripts()[node name][call index] (-1: nothing).
class Scripted : public fmn::Calculator {
 public:
  void process(CalculatorContext& cc) override {
    trace().push_back(cc.node().name);
    const auto& s = scripts()[cc.node().name];
    const int64_t v = call_ < s.size() ? s[call_] : -1;
    ++call_;
    if (v >= 0) cc.output<int64_t>("OUT") = v;
  }

 private:
  size_t call_ = 0;
};

// Probe: records every input as "<tag><index>=<int64 value>" or "<tag><index>=-" when absent.
class Probe : public fmn::Calculator {
 public:
  void process(CalculatorContext& cc) override {
    std::string line = cc.node().name + ":";
    int untagged = 0;
    for (const fmn::StreamRef& r : cc.node().inputs) {
      const int index = r.tag.empty() ? untagged++ : r.index;
      line += " " + r.tag + std::to_string(index) + "=";
      line += cc.input_present(r.tag, index) ? std::to_string(cc.input_as<int64_t>(r.tag, index)) : "-";
    }
    trace().push_back(line);
  }
};

// SideReader: at open, evaluates side_number / side_bool on its side packets and records the
// outcomes in side_results() as "<expr>=<value>" or "<expr>=throws".
std::vector<std::string>& side_results() {
  static std::vector<std::string> r;
  return r;
}
class SideReader : public fmn::Calculator {
 public:
  void open(CalculatorContext& cc) override {
    for (const fmn::StreamRef& r : cc.node().side_inputs) {
      record("num(" + r.tag + ")", [&] { return std::to_string(fmn::side_number(cc, r.tag, -1.0)); });
      record("bool(" + r.tag + ")", [&] { return std::string(fmn::side_bool(cc, r.tag, false) ? "1" : "0"); });
      record("has(" + r.tag + ")", [&] { return std::string(cc.has_side_packet(r.tag) ? "1" : "0"); });
    }
    record("num(ABSENT)", [&] { return std::to_string(fmn::side_number(cc, "ABSENT", 7.5)); });
    record("bool(ABSENT)", [&] { return std::string(fmn::side_bool(cc, "ABSENT", true) ? "1" : "0"); });
  }
  void process(CalculatorContext&) override {}

 private:
  template <typename F>
  void record(const std::string& what, F f) {
    try {
      side_results().push_back(what + "=" + f());
    } catch (const GraphError&) {
      side_results().push_back(what + "=throws");
    }
  }
};

// Misuser: exercises the context's error paths on each call; records each outcome.
class Misuser : public fmn::Calculator {
 public:
  void process(CalculatorContext& cc) override {
    auto attempt = [&](const std::string& what, auto f) {
      try {
        f();
        trace().push_back(what + ":ok");
      } catch (const GraphError& e) {
        trace().push_back(what + ":" + e.what());
      }
    };
    attempt("wrong_type", [&] { (void)cc.input_as<double>("IN"); });
    attempt("no_such_input", [&] { (void)cc.input("NOPE"); });
    attempt("absent_input", [&] { (void)cc.input("OPT"); });
    attempt("no_such_output", [&] { cc.output<int64_t>("NOPE") = 1; });
    attempt("no_side", [&] { (void)cc.side_packet("S"); });
  }
};

struct Registered {
  Registered() {
    fmn::register_calculator_type<Source>("TestSource");
    fmn::register_calculator_type<Adder>("TestAdder");
    fmn::register_calculator_type<Passthrough>("TestPassthrough");
    fmn::register_calculator_type<Scripted>("TestScripted");
    fmn::register_calculator_type<Probe>("TestProbe");
    fmn::register_calculator_type<SideReader>("TestSideReader");
    fmn::register_calculator_type<Misuser>("TestMisuser");
  }
};
const Registered registered;

GraphConfig config(const std::string& text) { return fmn::parse_graph_config(text, "test.pbtxt"); }

std::unique_ptr<GraphRunner> make(const std::string& text, std::map<std::string, PacketValue> side = {}) {
  trace().clear();
  return std::unique_ptr<GraphRunner>(new GraphRunner(config(text), std::move(side), GraphServices()));
}

// The GraphError message of building `text`, or "" when it builds.
std::string build_error(const std::string& text, std::map<std::string, PacketValue> side = {}) {
  try {
    make(text, std::move(side));
  } catch (const GraphError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

int64_t calls_of(const GraphRunner& g, const std::string& node) {
  for (const auto& s : g.node_stats())
    if (s.name == node) return s.calls;
  return -1;
}

}  // namespace

// ---- execution -------------------------------------------------------------------------------

TEST(registry) {
  const std::vector<std::string> names = fmn::registered_calculators();
  auto has = [&](const std::string& n) {
    for (const auto& x : names) if (x == n) return true;
    return false;
  };
  for (const char* n : {"PreviousLoopback", "Gate", "VectorHasMinSize", "ClipDetectionVectorSize",
                        "ImageToTensor", "Inference", "TestSource", "TestAdder"})
    CHECK(has(n));
  CHECK(fmn::create_calculator("NoSuchCalculator") == nullptr);
  CHECK(fmn::create_calculator("TestSource") != nullptr);
  // A later registration of a name replaces the earlier one.
  fmn::register_calculator_type<Source>("TestReplaced");
  fmn::register_calculator_type<Probe>("TestReplaced");
  auto g = make(
      "input_stream: \"x\"\n"
      "node { calculator: \"TestReplaced\" name: \"r\" input_stream: \"x\" }\n");
  g->input("x").as<int64_t>() = 5;
  g->run();
  CHECK(trace().size() == 1 && trace()[0] == "r: 0=5");
}

TEST(nodes_run_in_file_order) {
  // b and c both depend only on a; file order (c before b) decides.
  auto g = make(
      "output_stream: \"d\"\n"
      "node { calculator: \"TestSource\" name: \"a\" output_stream: \"a\" }\n"
      "node { calculator: \"TestAdder\" name: \"c\" input_stream: \"a\" output_stream: \"c\" }\n"
      "node { calculator: \"TestAdder\" name: \"b\" input_stream: \"a\" output_stream: \"b\" }\n"
      "node { calculator: \"TestAdder\" name: \"d\" input_stream: \"b\" input_stream: \"c\" "
      "output_stream: \"d\" }\n");
  for (int frame = 1; frame <= 3; ++frame) {
    g->run();
    CHECK(g->stream("d").present);
    CHECK(g->stream("d").get<int64_t>("d") == 2 * 100 * frame);
  }
  const std::vector<std::string> want = {"a", "c:1", "b:1", "d:11", "a", "c:1", "b:1", "d:11",
                                         "a", "c:1", "b:1", "d:11"};
  CHECK(trace() == want);
  CHECK(g->services().frame_index == 3);
}

TEST(node_runs_when_any_input_present) {
  auto g = make(
      "input_stream: \"x\"\n"
      "input_stream: \"y\"\n"
      "node { calculator: \"TestAdder\" name: \"sum\" input_stream: \"A:x\" input_stream: \"B:y\" "
      "output_stream: \"s\" }\n"
      "node { calculator: \"TestAdder\" name: \"after\" input_stream: \"s\" }\n");
  // x only.
  g->input("x").as<int64_t>() = 3;
  g->run();
  CHECK(g->stream("s").present && g->stream("s").get<int64_t>("s") == 3);
  // Graph inputs are consumed by a frame: a frame without any input runs nothing.
  CHECK(!g->stream("x").present);
  g->run();
  CHECK(!g->stream("s").present);
  // y only, then both.
  g->input("y").as<int64_t>() = 4;
  g->run();
  CHECK(g->stream("s").get<int64_t>("s") == 4);
  g->input("x").as<int64_t>() = 1;
  g->input("y").as<int64_t>() = 2;
  g->run();
  CHECK(g->stream("s").get<int64_t>("s") == 3);
  const std::vector<std::string> want = {"sum:10", "after:1", "sum:01", "after:1", "sum:11", "after:1"};
  CHECK(trace() == want);
  CHECK(calls_of(*g, "sum") == 3);
  CHECK(calls_of(*g, "after") == 3);
}

TEST(absent_outputs_do_not_trigger_consumers) {
  scripts()["gen"] = {5, -1, 7};
  auto g = make(
      "input_stream: \"tick\"\n"
      "node { calculator: \"TestScripted\" name: \"gen\" input_stream: \"tick\" output_stream: \"OUT:v\" }\n"
      "node { calculator: \"TestProbe\" name: \"p\" input_stream: \"v\" }\n");
  for (int i = 0; i < 3; ++i) {
    g->input("tick").as<int64_t>() = i;
    g->run();
  }
  const std::vector<std::string> want = {"gen", "p: 0=5", "gen", "gen", "p: 0=7"};
  CHECK(trace() == want);
  CHECK(calls_of(*g, "gen") == 3 && calls_of(*g, "p") == 2);
}

TEST(back_edges_carry_the_previous_frame) {
  // loop reads fb from the previous frame; gen writes fb per its script; late reads fb in the
  // same frame (a forward edge after the producer).
  scripts()["gen"] = {10, -1, 30, 40, 50};
  auto g = make(
      "input_stream: \"tick\"\n"
      "node { calculator: \"TestProbe\" name: \"loop\" input_stream: \"MAIN:tick\" "
      "input_stream: \"LOOP:fb\" input_stream_info { tag_index: \"LOOP\" back_edge: true } }\n"
      "node { calculator: \"TestScripted\" name: \"gen\" input_stream: \"tick\" output_stream: \"OUT:fb\" }\n"
      "node { calculator: \"TestProbe\" name: \"late\" input_stream: \"fb\" }\n");
  auto frame = [&](int64_t t) {
    g->input("tick").as<int64_t>() = t;
    g->run();
  };
  frame(1);  // first frame: no previous value
  frame(2);  // previous frame wrote 10
  frame(3);  // previous frame wrote nothing
  frame(4);  // previous frame wrote 30
  g->reset();
  frame(5);  // reset forgets 40
  const std::vector<std::string> want = {
      "loop: MAIN0=1 LOOP0=-",  "gen", "late: 0=10",
      "loop: MAIN0=2 LOOP0=10", "gen",
      "loop: MAIN0=3 LOOP0=-",  "gen", "late: 0=30",
      "loop: MAIN0=4 LOOP0=30", "gen", "late: 0=40",
      "loop: MAIN0=5 LOOP0=-",  "gen", "late: 0=50"};
  CHECK(trace() == want);
  // A frame without the graph input: the back-edge value alone makes the reader run.
  trace().clear();
  g->run();
  const std::vector<std::string> want2 = {"loop: MAIN0=- LOOP0=50"};
  CHECK(trace() == want2);
  // ... and since gen did not run, the value is gone the frame after.
  trace().clear();
  g->run();
  CHECK(trace().empty());
}

TEST(back_edge_value_absent_when_producer_skipped) {
  // The producer depends on an input that is missing in frame 2: fb is absent in frame 3.
  scripts()["gen"] = {1, 2, 3};
  auto g = make(
      "input_stream: \"tick\"\n"
      "input_stream: \"go\"\n"
      "node { calculator: \"TestProbe\" name: \"loop\" input_stream: \"MAIN:tick\" "
      "input_stream: \"LOOP:fb\" input_stream_info { tag_index: \"LOOP\" back_edge: true } }\n"
      "node { calculator: \"TestScripted\" name: \"gen\" input_stream: \"go\" output_stream: \"OUT:fb\" }\n");
  for (int f = 1; f <= 3; ++f) {
    g->input("tick").as<int64_t>() = f;
    if (f != 2) g->input("go").as<int64_t>() = 0;
    g->run();
  }
  const std::vector<std::string> want = {"loop: MAIN0=1 LOOP0=-", "gen", "loop: MAIN0=2 LOOP0=1",
                                         "loop: MAIN0=3 LOOP0=-", "gen"};
  CHECK(trace() == want);
}

TEST(tagged_and_indexed_streams) {
  auto g = make(
      "input_stream: \"x\"\n"
      "input_stream: \"y\"\n"
      "input_stream: \"z\"\n"
      "node { calculator: \"TestProbe\" name: \"p\" input_stream: \"x\" input_stream: \"T:1:y\" "
      "input_stream: \"z\" input_stream: \"T:0:x\" }\n");
  g->input("x").as<int64_t>() = 1;
  g->input("y").as<int64_t>() = 2;
  g->input("z").as<int64_t>() = 3;
  g->run();
  // untagged 0 = x, T1 = y, untagged 1 = z, T0 = x
  CHECK(trace().size() == 1 && trace()[0] == "p: 0=1 T1=2 1=3 T0=1");
}

TEST(context_errors_name_streams) {
  auto g = make(
      "input_stream: \"in_stream\"\n"
      "input_stream: \"opt_stream\"\n"
      "node { calculator: \"TestMisuser\" name: \"mis\" input_stream: \"IN:in_stream\" "
      "input_stream: \"OPT:opt_stream\" input_side_packet: \"S:not_given\" }\n");
  g->input("in_stream").as<int64_t>() = 1;
  g->run();
  CHECK(trace().size() == 5);
  if (trace().size() != 5) return;
  CHECK(contains(trace()[0], "wrong_type:") && contains(trace()[0], "in_stream"));
  CHECK(contains(trace()[1], "no_such_input:") && contains(trace()[1], "NOPE"));
  CHECK(contains(trace()[2], "absent_input:") && contains(trace()[2], "OPT") && !contains(trace()[2], ":ok"));
  CHECK(contains(trace()[3], "no_such_output:") && contains(trace()[3], "NOPE"));
  CHECK(contains(trace()[4], "no_side:") && contains(trace()[4], "'S'"));
  // The runner's own accessors.
  CHECK_THROWS(g->input("no_such_stream"), GraphError);
  CHECK_THROWS(g->stream("no_such_stream"), GraphError);
  CHECK(!g->has_stream("no_such_stream"));
  CHECK(g->has_stream("opt_stream"));
  // Only graph inputs can be set.
  auto g2 = make(
      "input_stream: \"x\"\n"
      "node { calculator: \"TestPassthrough\" input_stream: \"x\" output_stream: \"y\" }\n");
  CHECK_THROWS(g2->input("y"), GraphError);
}

// ---- build-time rejections -------------------------------------------------------------------

TEST(bad_graphs_are_rejected_with_names) {
  struct Case {
    const char* what;
    std::string text;
    std::vector<std::string> mentions;
  };
  const std::vector<Case> cases = {
      {"two producers",
       "node { calculator: \"TestSource\" name: \"p1\" output_stream: \"dup_stream\" }\n"
       "node { calculator: \"TestSource\" name: \"p2\" output_stream: \"dup_stream\" }\n",
       {"dup_stream"}},
      {"a node writes a graph input",
       "input_stream: \"in_x\"\n"
       "node { calculator: \"TestSource\" name: \"p1\" output_stream: \"in_x\" }\n",
       {"in_x"}},
      {"input produced later without back_edge",
       "node { calculator: \"TestAdder\" name: \"early_node\" input_stream: \"later_stream\" }\n"
       "node { calculator: \"TestSource\" name: \"p\" output_stream: \"later_stream\" }\n",
       {"early_node", "later_stream"}},
      {"a node reading its own output without back_edge",
       "input_stream: \"x\"\n"
       "node { calculator: \"TestAdder\" name: \"selfish\" input_stream: \"x\" input_stream: \"me\" "
       "output_stream: \"me\" }\n",
       {"selfish", "me"}},
      {"unknown calculator",
       "node { calculator: \"NoSuchCalc\" name: \"mystery\" output_stream: \"o\" }\n",
       {"mystery", "NoSuchCalc"}},
      {"missing graph side packet",
       "input_side_packet: \"N:missing_side\"\n"
       "node { calculator: \"TestSource\" output_stream: \"o\" }\n",
       {"missing_side"}},
      {"graph output with no producer",
       "output_stream: \"OUT:orphan_out\"\n"
       "node { calculator: \"TestSource\" output_stream: \"o\" }\n",
       {"orphan_out"}},
      {"node input with no producer",
       "node { calculator: \"TestAdder\" name: \"hungry\" input_stream: \"nowhere\" }\n",
       {"hungry", "nowhere"}},
      {"back edge with no producer",
       "input_stream: \"t\"\n"
       "node { calculator: \"TestProbe\" name: \"lp\" input_stream: \"MAIN:t\" input_stream: \"LOOP:void\" "
       "input_stream_info { tag_index: \"LOOP\" back_edge: true } }\n",
       {"lp", "void"}},
  };
  for (const Case& c : cases) {
    const std::string e = build_error(c.text);
    if (e.empty()) {
      fmn_test::fail(__FILE__, __LINE__, std::string("accepted: ") + c.what);
      continue;
    }
    for (const std::string& m : c.mentions)
      if (!contains(e, m))
        fmn_test::fail(__FILE__, __LINE__, std::string(c.what) + ": '" + e + "' does not name " + m);
  }
  // The side packet case builds once the packet is given.
  CHECK(build_error("input_side_packet: \"N:missing_side\"\n"
                    "node { calculator: \"TestSource\" output_stream: \"o\" }\n",
                    {{"missing_side", PacketValue(int64_t{1})}})
            .empty());
  // An input produced by a later node builds once it is marked as a back edge. (A node that
  // reads its own output through a back edge is rejected: self_loop_... below.)
  CHECK(build_error("input_stream: \"x\"\n"
                    "node { calculator: \"TestAdder\" name: \"early\" input_stream: \"x\" "
                    "input_stream: \"L:later\" input_stream_info { tag_index: \"L\" back_edge: true } "
                    "output_stream: \"sum\" }\n"
                    "node { calculator: \"TestAdder\" name: \"late\" input_stream: \"sum\" "
                    "output_stream: \"later\" }\n")
            .empty());
}

TEST(self_loop_reads_previous_value_or_is_rejected) {
  // A node reading its own output through a back edge. The runner's contract (back-edge
  // streams keep what the previous frame wrote) makes this a running sum; a runner that does
  // not support self loops must reject the graph at build time, naming the node.
  const std::string text =
      "input_stream: \"x\"\n"
      "node { calculator: \"TestAdder\" name: \"acc\" input_stream: \"x\" "
      "input_stream: \"L:total\" input_stream_info { tag_index: \"L\" back_edge: true } "
      "output_stream: \"total\" }\n";
  std::unique_ptr<GraphRunner> g;
  try {
    g = make(text);
  } catch (const GraphError& e) {
    CHECK(contains(e.what(), "acc"));
    return;
  }
  int64_t want = 0;
  for (int64_t v : {3, 4, 5}) {
    want += v;
    g->input("x").as<int64_t>() = v;
    g->run();
    CHECK(g->stream("total").present && g->stream("total").get<int64_t>("total") == want);
  }
  // Every call after the first saw both inputs.
  const std::vector<std::string> want_trace = {"acc:10", "acc:11", "acc:11"};
  CHECK(trace() == want_trace);
  g->reset();
  g->input("x").as<int64_t>() = 1;
  g->run();
  CHECK(g->stream("total").get<int64_t>("total") == 1);
}

// ---- side packets ----------------------------------------------------------------------------

TEST(side_number_and_side_bool) {
  side_results().clear();
  auto g = make(
      "input_side_packet: \"d\"\n"
      "node { calculator: \"TestSideReader\" input_side_packet: \"D:d\" input_side_packet: \"I:i\" "
      "input_side_packet: \"Z:z\" input_side_packet: \"T:t\" input_side_packet: \"F:f\" "
      "input_side_packet: \"V:v\" input_side_packet: \"U:undeclared\" }\n",
      {{"d", PacketValue(2.5)},
       {"i", PacketValue(int64_t{3})},
       {"z", PacketValue(int64_t{0})},
       {"t", PacketValue(true)},
       {"f", PacketValue(false)},
       {"v", PacketValue(std::vector<float>{1.f})}});
  std::map<std::string, std::string> r;
  for (const std::string& s : side_results()) {
    const size_t eq = s.rfind('=');
    r[s.substr(0, eq)] = s.substr(eq + 1);
  }
  auto num = [](double v) { return std::to_string(v); };
  CHECK(r["num(D)"] == num(2.5));
  CHECK(r["num(I)"] == num(3.0));
  CHECK(r["num(Z)"] == num(0.0));
  CHECK(r["num(T)"] == num(1.0));
  CHECK(r["num(F)"] == num(0.0));
  CHECK(r["num(V)"] == "throws");
  CHECK(r["bool(T)"] == "1");
  CHECK(r["bool(F)"] == "0");
  CHECK(r["bool(I)"] == "1");
  CHECK(r["bool(Z)"] == "0");
  CHECK(r["bool(V)"] == "throws");
  // A side packet the node names but nobody provided reads as absent: the default.
  CHECK(r["has(U)"] == "0");
  CHECK(r["num(U)"] == num(-1.0));
  CHECK(r["bool(U)"] == "0");
  CHECK(r["has(D)"] == "1");
  CHECK(r["num(ABSENT)"] == num(7.5));
  CHECK(r["bool(ABSENT)"] == "1");
}

// ---- built-in flow calculators ---------------------------------------------------------------

namespace {

// Gate graph: data "in" (int64) -> "out", with an optional DISALLOW stream and ALLOW side packet.
struct GateCase {
  bool has_allow_side;
  bool allow_side;
  bool has_disallow_stream;
  bool empty_as_allow;
};

std::unique_ptr<GraphRunner> gate_graph(const GateCase& c) {
  std::string text = "input_stream: \"in\"\ninput_stream: \"dis\"\n";
  text += "node { calculator: \"Gate\" name: \"gate\" input_stream: \"in\" output_stream: \"out\"\n";
  if (c.has_disallow_stream) text += "  input_stream: \"DISALLOW:dis\"\n";
  if (c.has_allow_side) text += "  input_side_packet: \"ALLOW:allow\"\n";
  if (c.empty_as_allow) text += "  options { empty_packets_as_allow: true }\n";
  text += "}\n";
  std::map<std::string, PacketValue> side;
  if (c.has_allow_side) side["allow"] = c.allow_side;
  return make(text, side);
}

// Runs one frame: in present (value v) or absent; dis absent (-1), false (0) or true (1).
// Returns the output value, or -1 when absent.
int64_t gate_frame(GraphRunner& g, bool in_present, int dis) {
  if (in_present) g.input("in").as<int64_t>() = 42;
  if (dis >= 0) g.input("dis").as<bool>() = dis == 1;
  g.run();
  const auto& p = g.stream("out");
  return p.present ? p.get<int64_t>("out") : -1;
}

}  // namespace

TEST(gate_allow_side_packet) {
  auto open = gate_graph({true, true, false, false});
  CHECK(gate_frame(*open, true, -1) == 42);
  CHECK(gate_frame(*open, false, -1) == -1);
  auto closed = gate_graph({true, false, false, false});
  CHECK(gate_frame(*closed, true, -1) == -1);
  CHECK(gate_frame(*closed, true, -1) == -1);
  // Without any control input the gate passes.
  auto plain = gate_graph({false, false, false, false});
  CHECK(gate_frame(*plain, true, -1) == 42);
}

TEST(gate_disallow_stream) {
  // MediaPipe's GateCalculator: DISALLOW true blocks, false passes; an empty DISALLOW packet
  // blocks unless empty_packets_as_allow.
  auto g = gate_graph({false, false, true, false});
  CHECK(gate_frame(*g, true, 1) == -1);
  CHECK(gate_frame(*g, true, 0) == 42);
  CHECK(gate_frame(*g, true, -1) == -1);
  CHECK(gate_frame(*g, false, 0) == -1);  // nothing to pass
  auto e = gate_graph({false, false, true, true});
  CHECK(gate_frame(*e, true, 1) == -1);
  CHECK(gate_frame(*e, true, 0) == 42);
  CHECK(gate_frame(*e, true, -1) == 42);
  CHECK(gate_frame(*e, false, -1) == -1);
  CHECK(calls_of(*e, "gate") == 3);  // the last frame had no input at all
  // The gate passes any packet type unchanged.
  auto v = make(
      "input_stream: \"rects\"\n"
      "node { calculator: \"Gate\" input_stream: \"rects\" output_stream: \"gated\" }\n");
  v->input("rects").as<std::vector<NormalizedRect>>() = {{0.1f, 0.2f, 0.3f, 0.4f, 0.5f}};
  v->run();
  const auto& out = v->stream("gated").get<std::vector<NormalizedRect>>("gated");
  CHECK(out.size() == 1 && out[0].x_center == 0.1f && out[0].rotation == 0.5f);
}

TEST(vector_has_min_size) {
  for (int64_t min_size : {1, 2, 3}) {
    auto g = make(
        "input_stream: \"rects\"\n"
        "node { calculator: \"VectorHasMinSize\" input_stream: \"ITERABLE:rects\" "
        "input_side_packet: \"n\" output_stream: \"enough\" }\n",
        {{"n", PacketValue(min_size)}});
    for (int size = 0; size <= 4; ++size) {
      g->input("rects").as<std::vector<NormalizedRect>>().assign(size, NormalizedRect{});
      g->run();
      CHECK(g->stream("enough").present);
      CHECK(g->stream("enough").get<bool>("enough") == (size >= min_size));
    }
    g->run();  // absent input: no output
    CHECK(!g->stream("enough").present);
  }
  // Without the side packet the minimum is 1 (MediaPipe's default min_size).
  auto d = make(
      "input_stream: \"rects\"\n"
      "node { calculator: \"VectorHasMinSize\" input_stream: \"ITERABLE:rects\" output_stream: \"e\" }\n");
  d->input("rects").as<std::vector<NormalizedRect>>().clear();
  d->run();
  CHECK(d->stream("e").get<bool>("e") == false);
  d->input("rects").as<std::vector<NormalizedRect>>().assign(1, NormalizedRect{});
  d->run();
  CHECK(d->stream("e").get<bool>("e") == true);
}

TEST(clip_detection_vector_size) {
  auto g = make(
      "input_stream: \"dets\"\n"
      "node { calculator: \"ClipDetectionVectorSize\" input_stream: \"dets\" input_side_packet: \"n\" "
      "output_stream: \"clipped\" }\n",
      {{"n", PacketValue(int64_t{2})}});
  for (int size = 0; size <= 4; ++size) {
    auto& in = g->input("dets").as<std::vector<Detection>>();
    in.assign(size, Detection{});
    for (int i = 0; i < size; ++i) in[i].score = 0.9f - 0.1f * i;
    g->run();
    const auto& p = g->stream("clipped");
    if (size == 0) {
      // Documented deviation from MediaPipe (which emits an empty vector): absent.
      CHECK(!p.present);
      continue;
    }
    CHECK(p.present);
    const auto& out = p.get<std::vector<Detection>>("clipped");
    CHECK(static_cast<int>(out.size()) == std::min(size, 2));
    for (size_t i = 0; i < out.size(); ++i) CHECK(out[i].score == 0.9f - 0.1f * static_cast<float>(i));
  }
  g->run();
  CHECK(!g->stream("clipped").present);
  // Default maximum 1 (MediaPipe's max_vec_size default).
  auto d = make(
      "input_stream: \"dets\"\n"
      "node { calculator: \"ClipDetectionVectorSize\" input_stream: \"dets\" output_stream: \"c\" }\n");
  d->input("dets").as<std::vector<Detection>>().assign(3, Detection{});
  d->run();
  CHECK(d->stream("c").get<std::vector<Detection>>("c").size() == 1);
}

TEST(previous_loopback) {
  scripts()["gen"] = {10, 20, -1, 40};
  auto g = make(
      "input_stream: \"tick\"\n"
      "node { calculator: \"PreviousLoopback\" input_stream: \"MAIN:tick\" input_stream: \"LOOP:fb\" "
      "input_stream_info { tag_index: \"LOOP\" back_edge: true } output_stream: \"PREV_LOOP:prev\" }\n"
      "node { calculator: \"TestScripted\" name: \"gen\" input_stream: \"tick\" output_stream: \"OUT:fb\" }\n");
  std::vector<int64_t> seen;
  for (int f = 0; f < 4; ++f) {
    g->input("tick").as<int64_t>() = f;
    g->run();
    seen.push_back(g->stream("prev").present ? g->stream("prev").get<int64_t>("prev") : -1);
  }
  CHECK((seen == std::vector<int64_t>{-1, 10, 20, -1}));
  // Without MAIN the loopback emits nothing, even with a LOOP value waiting.
  g->run();
  CHECK(!g->stream("prev").present);
}

TEST(node_stats_count_calls) {
  auto g = make(
      "input_stream: \"x\"\n"
      "node { calculator: \"TestSource\" name: \"src\" output_stream: \"s\" }\n"
      "node { calculator: \"TestAdder\" name: \"add\" input_stream: \"x\" input_stream: \"s\" }\n"
      "node { calculator: \"TestAdder\" input_stream: \"x\" }\n"
      "node { calculator: \"TestPassthrough\" name: \"pass\" input_stream: \"x\" output_stream: \"y\" "
      "input_stream: \"z\" }\n"
      "input_stream: \"z\"\n");
  const auto before = g->node_stats();
  CHECK(before.size() == 4);
  for (const auto& s : before) CHECK(s.calls == 0 && s.seconds == 0.0);
  for (int f = 0; f < 5; ++f) {
    if (f % 2 == 0) g->input("x").as<int64_t>() = f;
    g->run();
  }
  const auto st = g->node_stats();
  CHECK(st.size() == 4);
  if (st.size() != 4) return;
  CHECK(st[0].name == "src" && st[0].calls == 5);
  CHECK(st[1].name == "add" && st[1].calls == 5);       // s is present every frame
  CHECK(st[2].name == "TestAdder" && st[2].calls == 3);  // name defaults to the calculator
  CHECK(st[3].name == "pass" && st[3].calls == 3);
  for (const auto& s : st) CHECK(s.seconds >= 0.0 && s.seconds < 1.0);
}

// ---- the tracking loop of graphs/face_mesh_cpu.pbtxt -----------------------------------------
// The first four nodes of the bundled graph (loopback, ALLOW gate, min-size check, detector
// gate), closed by a scripted "tracker" that writes face_rects_from_landmarks.

namespace {

std::vector<int>& tracker_script() {
  static std::vector<int> s;
  return s;
}

// Records "det=<0|1> prev=<n or ->" per frame; writes tracker_script()[frame] rects (<0: none).
class FakeTracker : public fmn::Calculator {
 public:
  void process(CalculatorContext& cc) override {
    std::string line = "det=" + std::string(cc.input_present("DETECT") ? "1" : "0") + " prev=";
    line += cc.input_present("PREV")
                ? std::to_string(cc.input_as<std::vector<NormalizedRect>>("PREV").size())
                : std::string("-");
    trace().push_back(line);
    const int n = frame_ < tracker_script().size() ? tracker_script()[frame_] : -1;
    ++frame_;
    if (n >= 0) cc.output<std::vector<NormalizedRect>>("ROIS").assign(n, NormalizedRect{});
  }

 private:
  size_t frame_ = 0;
};

std::vector<std::string> run_front(bool use_prev, int64_t num_faces, const std::vector<int>& script,
                                   int reset_before = -1) {
  fmn::register_calculator_type<FakeTracker>("TestFakeTracker");
  GraphConfig full = fmn::load_graph_config(std::string(FMN_SOURCE_DIR) + "/graphs/face_mesh_cpu.pbtxt");
  GraphConfig g;
  g.inputs = {fmn::parse_stream_ref("IMAGE:image")};
  CHECK(full.nodes.size() > 4);
  g.nodes.assign(full.nodes.begin(), full.nodes.begin() + 4);
  CHECK(g.nodes[0].calculator == "PreviousLoopback" && g.nodes[3].calculator == "Gate");
  fmn::NodeConfig t;
  t.calculator = "TestFakeTracker";
  t.name = "tracker";
  t.inputs = {fmn::parse_stream_ref("FRAME:image"), fmn::parse_stream_ref("DETECT:gated_image"),
              fmn::parse_stream_ref("PREV:gated_prev_face_rects_from_landmarks")};
  t.outputs = {fmn::parse_stream_ref("ROIS:face_rects_from_landmarks")};
  g.nodes.push_back(t);
  std::map<std::string, PacketValue> side = {{"num_faces", PacketValue(num_faces)},
                                             {"use_prev_landmarks", PacketValue(use_prev)}};
  tracker_script() = script;
  trace().clear();
  GraphRunner runner(g, side, GraphServices());
  static const uint8_t pixel[3] = {0, 0, 0};
  for (size_t f = 0; f < script.size(); ++f) {
    if (static_cast<int>(f) == reset_before) runner.reset();
    fmn::ImageFrame& img = runner.input("image").as<fmn::ImageFrame>();
    img.data = pixel;
    img.width = img.height = 1;
    img.row_stride = 3;
    runner.run();
  }
  return trace();
}

}  // namespace

TEST(face_graph_tracking_loop) {
  // num_faces 2; tracker output per frame: 2 faces, 1 face, none, 2 faces, 2 faces, 3 faces.
  const std::vector<int> script = {2, 1, -1, 2, 2, 3, 0};
  const std::vector<std::string> tracking = run_front(true, 2, script);
  const std::vector<std::string> want = {
      "det=1 prev=-",  // first frame: nothing tracked, detect
      "det=0 prev=2",  // 2 tracked >= num_faces: no detection
      "det=1 prev=1",  // 1 tracked < 2: detect
      "det=1 prev=-",  // previous frame lost every face: detect
      "det=0 prev=2",
      "det=0 prev=2",
      "det=0 prev=3"};
  CHECK(tracking == want);
  // Static image mode: the ALLOW gate closes the loop; the detector runs on every frame.
  const std::vector<std::string> stat = run_front(false, 2, script);
  CHECK(stat.size() == script.size());
  for (const std::string& s : stat) CHECK(s == "det=1 prev=-");
  // reset() before frame 2 forgets the tracked faces.
  const std::vector<std::string> reset = run_front(true, 1, {1, 1, 1, 1}, 2);
  const std::vector<std::string> want_reset = {"det=1 prev=-", "det=0 prev=1", "det=1 prev=-",
                                               "det=0 prev=1"};
  CHECK(reset == want_reset);
}
