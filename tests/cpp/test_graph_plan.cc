// GraphPlan's narrow_residuals option on the real models: the channel PADs that feed fused
// residual ADDs are dropped and their convs read the PAD's input (Epilogue::residual_channels),
// without changing any output. Outputs are cross-checked three ways: a plain per-node executor
// (tuned CPU kernel where one exists, else the reference) over the plan with and without the
// option, the reference kernels over the plan without it, and the CPU Interpreter (which uses
// the option) against the plan without it.
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "runtime/graph_plan.h"
#include "executors/interpreter.h"
#include "runtime/kernel.h"
#include "plan_testing.h"

namespace {

using fmn_test::check_close;
using fmn_test::count_op;
using fmn_test::execute;
using fmn_test::model_path;
using fmn_test::random_inputs;

int count_narrow(const fmn::GraphPlan& p) {
  int n = 0;
  for (const fmn::PlannedNode& node : p.nodes())
    n += node.epilogue.has_residual && node.epilogue.residual_channels > 0;
  return n;
}

void check_model(const char* file, bool expect_no_pads) {
  const fmn::ModelDef model = fmn::load_tflite_file(model_path(file));
  const fmn::GraphPlan wide(model, fmn::create_reference_kernel, true);
  const fmn::GraphPlan wide_again(model, fmn::create_reference_kernel, true, size_t{256} << 20, false);
  const fmn::GraphPlan narrow(model, fmn::create_reference_kernel, true, size_t{256} << 20, true);
  const fmn::GraphPlan unfused_narrow(model, fmn::create_reference_kernel, false, size_t{256} << 20, true);
  const std::string name(file);

  // Without the option (or without fusion) the plan is the one from before.
  CHECK(wide.nodes().size() == wide_again.nodes().size());
  CHECK(count_narrow(wide) == 0);
  CHECK(count_narrow(unfused_narrow) == 0);
  const int pads = count_op(wide, fmn::builtin::kPad);
  CHECK(count_op(unfused_narrow, fmn::builtin::kPad) == pads);

  // With it: every dropped PAD became one narrow residual.
  const int narrow_pads = count_op(narrow, fmn::builtin::kPad);
  std::printf("%s: %d PADs without narrow_residuals, %d with; %d narrow residuals\n", file, pads,
              narrow_pads, count_narrow(narrow));
  CHECK(narrow_pads + count_narrow(narrow) == pads);
  CHECK(narrow.nodes().size() + static_cast<size_t>(count_narrow(narrow)) == wide.nodes().size());
  if (expect_no_pads) {
    CHECK(pads > 0);
    CHECK(narrow_pads == 0);
  }
  for (const fmn::PlannedNode& n : narrow.nodes()) {
    if (!n.epilogue.has_residual || n.epilogue.residual_channels == 0) continue;
    const std::vector<int32_t>& rs = narrow.tensors()[n.inputs[3]].shape;
    const std::vector<int32_t>& os = narrow.tensors()[n.outputs[0]].shape;
    CHECK(rs.size() == 4 && os.size() == 4 && rs[3] == n.epilogue.residual_channels &&
          rs[3] < os[3]);
  }

  const std::vector<std::vector<float>> in = random_inputs(wide, 17);
  const std::vector<std::vector<float>> want_ref = execute(wide, in, false);
  const std::vector<std::vector<float>> want = execute(wide, in, true);
  const std::vector<std::vector<float>> got = execute(narrow, in, true);
  check_close(want, want_ref, 1e-4f, name + " tuned vs reference (sanity)");
  check_close(got, want, 1e-6f, name + " narrow vs wide plan, tuned kernels");
  check_close(execute(narrow, in, false), want_ref, 1e-6f, name + " narrow vs wide, reference");

  // The CPU Interpreter (narrow residuals on; pad folding off, test_pad_fold.cc covers it)
  // against the plan without them.
  fmn::InterpreterOptions o;
  o.num_threads = 1;
  o.fold_pads = false;
  fmn::Interpreter interp(model, o);
  int interp_pads = 0;
  for (const fmn::NodeInfo& n : interp.nodes()) interp_pads += n.op == "PAD";
  CHECK(interp_pads == narrow_pads);
  std::vector<std::vector<float>> outs;
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;
  for (const std::vector<float>& v : in) in_ptrs.push_back(v.data());
  for (const fmn::TensorInfo& t : interp.outputs())
    outs.emplace_back(static_cast<size_t>(t.num_elements()));
  for (std::vector<float>& v : outs) out_ptrs.push_back(v.data());
  interp.run(1, in_ptrs.data(), out_ptrs.data());
  check_close(outs, want, 1e-6f, name + " interpreter vs wide plan");
}

}  // namespace

TEST(narrow_residuals_face_detection_short_range) {
  check_model("face_detection_short_range.tflite", true);
}

TEST(narrow_residuals_face_landmark) { check_model("face_landmark.tflite", false); }
