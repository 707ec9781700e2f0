// Runs a whole model on an OpenGL ES 3.1 context with compute shaders (kernels/gl_kernels.h).
//
// At load (constructor), with the context made current on the calling thread:
//   - float16 constants are dequantized and every node whose inputs are all constant is folded
//     on the CPU with the reference kernels;
//   - CONV_2D / DEPTHWISE_CONV_2D absorb a following ADD / PRELU / RELU / RELU6 (the same
//     fusion rules as the CPU interpreter; see runtime/kernel.h's Epilogue);
//   - every node is validated by its reference kernel's prepare() (same errors as on the CPU);
//   - RESHAPE (and a float32 DEQUANTIZE) shares its input's storage instead of copying;
//   - activations get SSBOs sized for max_batch samples, shared between tensors whose
//     lifetimes do not overlap; weights are uploaded once in kernel-specific packed layouts;
//   - every shader is compiled once (programs cached by source text) and the dispatch list is
//     fixed.
// Per run: inputs are uploaded, the dispatches replayed with the sample index as the z grid
// dimension (N samples in one pass) and a storage barrier between dispatches, the outputs
// mapped and copied out. Nothing is compiled or allocated on the GPU per run.
//
// Errors: ModelError for a malformed model (as the CPU interpreter); GlUnsupportedError (a
// GlError) for a node this backend cannot run, naming the op; GlError for GL failures, with
// the GL error name or the shader compiler's log.
//
// Threading: one run() at a time. The context is made current on the calling thread by the
// constructor, run() and the destructor; moving between threads is the caller's business
// (GlContext::release_current() on the old thread first). The GlContext must outlive this.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/tflite_model.h"
#include "ops/gl/gl_context.h"
#include "runtime/executor.h"

namespace fmn {
namespace gl {

struct GlExecutorOptions {
  bool fuse = true;  // false: no conv epilogue fusion (every tensor keeps its own node)
  // true: activations between ops are stored as IEEE half floats (two per 32-bit word,
  // kernels/gl_kernels.h) and CONV_2D / DEPTHWISE_CONV_2D filters are uploaded as half floats;
  // arithmetic stays fp32. Model inputs and outputs stay fp32 (run() / run_from_buffer() are
  // unchanged), and so do the landmark and matrix tensors of Landmarks2TransformMatrix /
  // TransformLandmarks and TransformTensorBilinear's matrix (pixel coordinates). Expect
  // about 1e-3 relative error per output instead of ~1e-6. false: every buffer is fp32.
  bool fp16_storage = false;
};

class GlExecutor : public Executor {
 public:
  // max_batch in 1..65535: the most samples one GPU pass holds; run() splits larger batches.
  GlExecutor(const ModelDef& model, GlContext* ctx, int max_batch,
             const GlExecutorOptions& options = GlExecutorOptions());
  ~GlExecutor() override;
  GlExecutor(const GlExecutor&) = delete;
  GlExecutor& operator=(const GlExecutor&) = delete;

  const std::vector<TensorInfo>& inputs() const override { return input_info_; }
  const std::vector<TensorInfo>& outputs() const override { return output_info_; }
  // The plan: one entry per remaining node; impl is "gl" (a dispatch list) or "gl.alias"
  // (shares its input's storage, no dispatch).
  const std::vector<NodeInfo>& nodes() const override { return node_info_; }
  int max_batch() const { return max_batch_; }
  bool fp16_storage() const { return fp16_storage_; }
  // GL_RENDERER of the context.
  const std::string& device_name() const { return ctx_->info().gl_renderer; }
  size_t num_dispatches() const;
  size_t num_programs() const;
  // Bytes of GPU buffers: activations (for max_batch samples) and packed constants.
  size_t activation_bytes() const { return activation_bytes_; }
  size_t constant_bytes() const { return constant_bytes_; }

  // inputs[i] holds batch * inputs()[i].num_elements() floats (sample-major), outputs[j]
  // likewise. batch >= 1; batches above max_batch run as several passes.
  void run(int batch, const float* const* inputs, float* const* outputs) override;
  std::string device() const override {
    return std::string(fp16_storage_ ? "gl fp16 (" : "gl (") + device_name() + ")";
  }

  // As run() for a single-input model whose input already lies on this context's GPU:
  // `batch` samples of inputs()[0].num_elements() floats each, sample-major, starting at byte
  // offset_bytes (a multiple of 4) of SSBO input_buffer. They are copied GPU-side
  // (glCopyBufferSubData) into the input tensor's storage; nothing is uploaded from the CPU.
  // Writes to input_buffer by shaders must be made visible by the caller
  // (GL_BUFFER_UPDATE_BARRIER_BIT) beforehand. Throws ModelError for a model with several
  // inputs or a bad batch / offset.
  void run_from_buffer(int batch, GLuint input_buffer, size_t offset_bytes, float* const* outputs);

 private:
  struct Impl;
  void run_pass(int batch, int first, const float* const* inputs, float* const* outputs);
  // Replays the dispatch list on `batch` samples already in the input storage and reads the
  // outputs into outputs[j] + first * numel.
  void dispatch_and_read(int batch, int first, float* const* outputs);

  GlContext* ctx_;
  int max_batch_;
  bool fp16_storage_ = false;
  std::vector<TensorInfo> input_info_, output_info_;
  std::vector<NodeInfo> node_info_;
  size_t activation_bytes_ = 0, constant_bytes_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gl
}  // namespace fmn
