// The GL ES compute kernels: one builder per op family, called once at model load by the
// GL executor (gl_executor.h). A builder turns one planned node into compute dispatches with
// everything fixed (program, buffer bindings, grid); the executor only replays them per run.
//
// Storage contract shared by every kernel:
// - An activation tensor lives in its own SSBO region as `batch` consecutive samples, each
//   the tensor's model (batch-1) shape in dense row-major order (NHWC for 4-D), fp32.
//   Sample s starts at float index s * numel. Kernels read the sample index from
//   gl_GlobalInvocationID.z; the executor dispatches z = batch.
// - With fp16 storage (GlTensor::f16), the same element sequence (sample s, element i at
//   index s * numel + i) is stored as IEEE half floats, two per 32-bit word: element e in word
//   e / 2, the low 16 bits for even e (packHalf2x16 order). Samples are not padded, so a word
//   may hold the last element of one sample and the first of the next. Arithmetic stays fp32;
//   a value is rounded to half only when stored. A word whose two halves are written by
//   different invocations is updated with atomicAnd/atomicOr on the half (glsl_store_buffer),
//   so kernels may write any element set; aligned pairs are written as whole words.
// - A constant operand is one copy (not per sample), uploaded by the builder, in whatever
//   packed layout the kernel wants (e.g. conv weights as vec4 over output channels).
// - Shapes, strides and flags are compile-time #defines; programs are cached by source text,
//   so nodes of equal shape share one program. No uniforms are used.
// - Every shader is one-dimensional over the items of one sample: item =
//   gid.x + gid.y * ROW_STRIDE, with local size 64 (see GlGrid).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "ops/gl/gl_api.h"
#include "ops/gl/gl_context.h"
#include "runtime/kernel.h"

namespace fmn {
namespace gl {

// Thrown for a node the GL backend cannot run (the message names the op and why).
class GlUnsupportedError : public GlError {
 public:
  using GlError::GlError;
};

// A tensor as a GL kernel sees it at load.
struct GlTensor {
  std::vector<int32_t> shape;     // batch-1 shape, as in the model
  TensorType type = TensorType::kFloat32;
  const void* host = nullptr;     // constant data on the CPU (folded), else null
  GLuint buffer = 0;              // activation storage (see the storage contract), else 0
  bool present = true;            // false for an omitted optional input
  bool f16 = false;               // activation stored as half floats (never for constants)

  bool constant() const { return host != nullptr; }
  int64_t numel() const {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    return n;
  }
  const float* f32() const { return static_cast<const float*>(host); }
  const int32_t* i32() const { return static_cast<const int32_t*>(host); }
};

// One node after folding and fusion; op_name is the display name ("CONV_2D+ADD+PRELU").
// Conv nodes: inputs = [input, filter, bias (may be absent), residual (when
// epilogue.has_residual)]; epilogue.prelu_alpha points at oc floats.
struct GlNode {
  const OperatorDef* op = nullptr;
  std::string op_name;
  std::vector<GlTensor> inputs, outputs;
  Epilogue epilogue;
  // Conv / depthwise filters are uploaded as half floats (bias and PReLU alpha stay fp32).
  bool fp16_weights = false;
};

struct GlBinding {
  GLuint index = 0;   // SSBO binding point
  GLuint buffer = 0;
};

// A work grid over `count` items per sample: groups_x * 64 items per row, groups_y rows.
struct GlGrid {
  GLuint groups_x = 1, groups_y = 1;
  int row_stride = 64;
};
GlGrid grid_for(int64_t count);

struct GlDispatch {
  GLuint program = 0;
  std::vector<GlBinding> bindings;
  GlGrid grid;
  std::string label;  // node display name, for error messages
};

// What a builder may ask of the executor. Returned objects are owned by the executor.
class GlBuildContext {
 public:
  virtual ~GlBuildContext() = default;
  // Compiles (or returns the cached) program for a complete shader source. Throws GlError
  // with the compile log, naming `label`.
  virtual GLuint program(const std::string& source, const std::string& label) = 0;
  // Uploads read-only data into a new SSBO (at least 16 bytes).
  virtual GLuint constant_buffer(const void* data, size_t bytes) = 0;
};

// Shader text helpers.
class ShaderDefines {
 public:
  void set(const std::string& name, int64_t value);
  void set(const std::string& name, const std::string& text);
  void set_float(const std::string& name, float value);  // finite values only
  void flag(const std::string& name);
  // "#version 310 es", precision, local size, the defines, the item/sample helpers.
  std::string header(const GlGrid& grid) const;

 private:
  std::string text_;
};

// A constant operand's buffer: binds host data (fp32) as a new SSBO; activations bind their
// own buffer. Returns the buffer.
GLuint operand_buffer(const GlTensor& t, GlBuildContext& bc);

// GLSL declaring an operand read through buffer variable `var` at SSBO `binding`: `float var[]`
// (fp32), or `uint var[]` of half pairs (f16, see the storage contract); and
// `float ld_<var>(int e)` returning element e in either case.
std::string glsl_load_buffer(const std::string& var, int binding, bool f16);
// GLSL declaring an output written through `var` at `binding`, with `void st_<var>(int e,
// float v)` (element e) and `void st2_<var>(int e, float a, float b)` (elements e and e + 1).
// fp32: plain stores. f16: st2 with an even e writes one whole word; every other store
// replaces its half with atomics, so two invocations (or dispatches) may share a word.
std::string glsl_store_buffer(const std::string& var, int binding, bool f16);
// GLSL main() for per-element kernels that define `float value(int s, int item)` for items
// 0..N_ITEMS-1 of sample s and an output `y` (glsl_store_buffer): writes element
// s * N_ITEMS + item. With PAIRS defined (use for fp16 outputs) each invocation computes two
// consecutive items, so that aligned pairs become whole-word stores; size the grid with
// per_element_grid().
extern const char* const kPerElementMain;
GlGrid per_element_grid(int64_t items, bool pairs);
// GLSL "const int NAME[n] = int[n](v0, v1, ...);" (one line) for the n = v.size() values.
std::string glsl_int_array(const char* name, const std::vector<int64_t>& v);
// Defines ACT_LO / ACT_HI for the finite bounds of a fused activation (none for kNone).
void activation_defines(Activation act, ShaderDefines* d);
// GLSL statements (two-space indent) clamping the float variable `var` to ACT_LO / ACT_HI
// where those are defined.
std::string glsl_clamp_activation(const std::string& var);

// IEEE binary16 bits of `v`, rounded to nearest even (overflow to infinity, NaN kept NaN).
uint16_t float_to_half(float v);
float half_to_float(uint16_t h);

// Builders. Each validates what it relies on beyond the reference kernel's prepare() (which
// the executor has already run on the node) and appends its dispatches.
void build_conv2d(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
void build_depthwise_conv2d(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
void build_max_pool2d(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
// ADD, MUL, PRELU (broadcasting binary), RELU, RELU6, LOGISTIC (unary).
void build_elementwise(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
void build_pad(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
void build_concatenation(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
void build_strided_slice(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
void build_reduce(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);     // MEAN, SUM
void build_transpose(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
void build_resize_bilinear(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
void build_depth_to_space(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);
// Landmarks2TransformMatrix, TransformTensorBilinear, TransformLandmarks (version 2).
void build_custom(const GlNode& node, GlBuildContext& bc, std::vector<GlDispatch>* out);

// Shared by conv and depthwise (conv.cc, depthwise.cc).
// Geometry of one node: input [1, ih, iw, ic], a kh x kw filter, output [1, oh, ow, oc] with
// pt rows / pl columns of padding before; oc4 = ceil(oc / 4) groups of 4 output channels.
struct ConvGeometry {
  int ih = 0, iw = 0, ic = 0, kh = 0, kw = 0, oc = 0, oc4 = 0, oh = 0, ow = 0, pt = 0, pl = 0;
};
// Checks that the input is an activation and the model's own batch is 1, and sizes the output
// from the node's padding, strides and dilations. Throws GlUnsupportedError.
ConvGeometry conv_geometry(const GlNode& node, int kh, int kw, int oc);
// The fp32 parameter block, (wcount + 2 * oc4) vec4s: the filter (wcount vec4s, left zero
// for the caller to fill), then the bias at vec4 wcount and the PReLU alpha at wcount + oc4
// (channel co at float 4 * offset + co; zero where absent and beyond oc).
std::vector<float> conv_parameters(const GlNode& node, const ConvGeometry& g, int64_t wcount);
// Appends the one dispatch of a conv kernel over oh * ow * oc4 items per sample. `d` holds the
// kernel's own defines (geometry, BIAS_OFF, ALPHA_OFF, RES_STRIDE when there is no residual);
// the epilogue's are added. Bindings: x 0, y 1, p 2 (vec4), residual r 3, and with
// node.fp16_weights the filter as halves wq 4 (uvec2); WT(i) reads filter vec4 i either way.
// With fp16 weights the first wcount vec4s of `par` become wq and p holds the rest.
// The shared main() runs, per output pixel (oy, ox) and channel group g of sample b: the
// GLSL `setup` (may use in_base, b's first input element), then `tap` for every kernel tap
// (ky, kx) whose input pixel lies inside the input (xo = that pixel's element index of channel
// 0), which adds into `vec4 acc`; then it adds the bias, applies the epilogue and stores the
// channels g*4..g*4+3 below OC.
void append_conv_dispatch(const GlNode& node, GlBuildContext& bc, const ConvGeometry& g, ShaderDefines d,
                          const std::vector<float>& par, int64_t wcount, const char* setup, const char* tap,
                          const char* label, std::vector<GlDispatch>* out);

// GLSL applying the Epilogue to `vec4 acc` for output
// channels g*4..g*4+3 whose output float index is `ob` (+0..3); needs the defines written by
// epilogue_defines().
void epilogue_defines(const GlNode& node, ShaderDefines* d);
extern const char* const kEpilogueGlsl;

}  // namespace gl
}  // namespace fmn
