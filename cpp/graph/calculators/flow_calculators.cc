// Flow-control calculators: the tracking loop-back, gates, and size checks.
#include "graph/calculator.h"

namespace fmn {
namespace {

// Copies any packet value between two packets.
void copy_packet(const Packet& from, CalculatorContext& cc, const std::string& tag) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        cc.output<T>(tag) = v;
      },
      from.value);
}

// PreviousLoopback
//   MAIN: any stream that ticks every frame (the image)
//   LOOP: the stream to delay by one frame (declare it with input_stream_info back_edge: true)
//   PREV_LOOP: LOOP as it was at the end of the previous frame; absent when the previous frame
//              did not produce it (and on the first frame).
class PreviousLoopback : public Calculator {
 public:
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("MAIN")) return;
    if (cc.input_present("LOOP")) copy_packet(cc.input("LOOP"), cc, "PREV_LOOP");
  }
};

// Gate
//   input 0 (untagged) -> output 0 (untagged), passed through when allowed.
//   ALLOW (side packet, bool) or DISALLOW (stream, bool) decides. An absent DISALLOW packet
//   allows when options { empty_packets_as_allow: true }, else blocks.
class Gate : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    empty_as_allow_ = cc.options().get_bool("empty_packets_as_allow", false);
    static_allow_ = side_bool(cc, "ALLOW", true);
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("")) return;
    bool allow = static_allow_;
    if (cc.has_input("DISALLOW")) {
      if (cc.input_present("DISALLOW")) allow = allow && !cc.input_as<bool>("DISALLOW");
      else allow = allow && empty_as_allow_;
    }
    if (allow) copy_packet(cc.input(""), cc, "");
  }

 private:
  bool empty_as_allow_ = false;
  bool static_allow_ = true;
};

// VectorHasMinSize
//   ITERABLE: std::vector<NormalizedRect>;  side packet (untagged, int): the minimum size
//   output 0: bool, size >= minimum.
class VectorHasMinSize : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    min_size_ = static_cast<int64_t>(side_number(cc, "", 1));
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("ITERABLE")) return;
    const auto& v = cc.input_as<std::vector<NormalizedRect>>("ITERABLE");
    cc.output<bool>("") = static_cast<int64_t>(v.size()) >= min_size_;
  }

 private:
  int64_t min_size_ = 1;
};

// ClipDetectionVectorSize
//   input 0: std::vector<Detection>; side packet (untagged, int): max size
//   output 0: the first max size detections (absent when the input is empty)
class ClipDetectionVectorSize : public Calculator {
 public:
  void open(CalculatorContext& cc) override {
    max_ = static_cast<int64_t>(side_number(cc, "", 1));
  }
  void process(CalculatorContext& cc) override {
    if (!cc.input_present("")) return;
    const auto& in = cc.input_as<std::vector<Detection>>("");
    if (in.empty()) return;
    auto& out = cc.output<std::vector<Detection>>("");
    out.assign(in.begin(), in.begin() + std::min<int64_t>(max_, static_cast<int64_t>(in.size())));
  }

 private:
  int64_t max_ = 1;
};

}  // namespace

void register_flow_calculators() {
  register_calculator_type<PreviousLoopback>("PreviousLoopback");
  register_calculator_type<Gate>("Gate");
  register_calculator_type<VectorHasMinSize>("VectorHasMinSize");
  register_calculator_type<ClipDetectionVectorSize>("ClipDetectionVectorSize");
}

}  // namespace fmn
