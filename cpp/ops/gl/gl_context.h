// A headless OpenGL ES 3.1+ context for compute work: an EGL context with no surface
// (EGL_KHR_surfaceless_context), its entry points, and helpers to build compute programs.
//
// Obtain one with create_gl_context() (gl_probe.h), which picks the EGL display.
//
// Threading: an EGL context is current on at most one thread at a time, and GL calls act on
// the calling thread's current context. A GlContext is created current on the creating
// thread. To use it from another thread, call release_current() on the old thread, then
// make_current() on the new one; never use one GlContext from two threads at once. Destroy it
// on the thread where it is current (or after release_current()); GL objects made with it
// (programs, buffers) must be deleted before it, with it current.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "ops/gl/egl_loader.h"
#include "ops/gl/gl_api.h"
#include "ops/gl/gles_loader.h"

namespace fmn {
namespace gl {

// Thrown for failures while using a context that exists: a shader that does not compile or
// link (the message holds the driver's info log), a GL error, a context that cannot be made
// current. "No usable GL device" is not an exception: create_gl_context() returns null.
class GlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Fault injection for testing the fallbacks on any GL driver: true when the environment
// variable FMN_GL_FAULT (a comma-separated list) names `what`: "context" (context creation
// fails), "shader" (every compute shader fails to compile), "alloc" (buffer allocation fails
// with GL_OUT_OF_MEMORY), "run" (every later model run fails with GL_CONTEXT_LOST). Read at
// each use; unset in normal operation.
bool gl_fault_injected(const char* what);

// Compute limits of a context (glGetIntegerv / glGetIntegeri_v / glGetInteger64v). The ES 3.1
// minimums are noted; a context below any of them is refused as unusable.
struct GlComputeLimits {
  int work_group_count[3] = {0, 0, 0};  // GL_MAX_COMPUTE_WORK_GROUP_COUNT, >= 65535 each
  int work_group_size[3] = {0, 0, 0};   // GL_MAX_COMPUTE_WORK_GROUP_SIZE, >= 128, 128, 64
  int work_group_invocations = 0;       // GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS, >= 128
  int shared_memory_bytes = 0;          // GL_MAX_COMPUTE_SHARED_MEMORY_SIZE, >= 16384
  int compute_ssbo_blocks = 0;          // GL_MAX_COMPUTE_SHADER_STORAGE_BLOCKS, >= 4
  int ssbo_bindings = 0;                // GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS, >= 4
  int compute_image_uniforms = 0;       // GL_MAX_COMPUTE_IMAGE_UNIFORMS, >= 4
  long long ssbo_block_bytes = 0;       // GL_MAX_SHADER_STORAGE_BLOCK_SIZE, >= 2^27
};

// One candidate GL device as the probe sees it (gl_probe.h); index is what "gl:N" names.
struct GlDeviceInfo {
  int index = -1;
  std::string platform;           // "device" (EGL_EXT_platform_device), "surfaceless"
                                  // (EGL_MESA_platform_surfaceless), "default" (eglGetDisplay)
  std::string egl_vendor;         // eglQueryString(dpy, EGL_VENDOR)
  std::string egl_version;        // eglQueryString(dpy, EGL_VERSION)
  std::string egl_extensions;     // eglQueryString(dpy, EGL_EXTENSIONS)
  std::string device_extensions;  // eglQueryDeviceStringEXT(dev, EGL_EXTENSIONS); "device" only
  std::string drm_path;           // EGL_DRM_DEVICE_FILE_EXT, else the render node; "" if none
  int cuda_device = -1;           // EGL_CUDA_DEVICE_NV (NVIDIA), else -1
  std::string gl_vendor, gl_renderer, gl_version, glsl_version;  // glGetString
  int gl_major = 0, gl_minor = 0;  // GL_MAJOR_VERSION / GL_MINOR_VERSION
  GlComputeLimits limits;
  bool software = false;  // a CPU rasterizer: EGL_MESA_device_software, or GL_RENDERER names
                          // llvmpipe / softpipe / lavapipe / SwiftShader / Software Rasterizer
  bool usable = false;    // an ES 3.1 context was created, met the limits and ran the
                          // compute self-test (software ones too: see allow_software)
  std::string reason;     // when !usable: the failing step, with its EGL/GL error name and code
};

// True when a GL_RENDERER string names a known software rasterizer (case-insensitive).
bool is_software_renderer(const std::string& renderer);

class GlContext {
 public:
  // Creates an ES 3.1+ context on `display` (from eglGetPlatformDisplay/eglGetDisplay; this
  // call initializes it, reference-counted across contexts): eglInitialize, eglBindAPI(EGL_OPENGL_ES_API), a config with EGL_OPENGL_ES3_BIT, a context
  // of version 3.2, else 3.1, else client version 3; then makes it current with no surface and
  // checks GL_VERSION >= 3.1 and the compute limits. Fills the EGL/GL fields of *info (and
  // sets info->software when GL_RENDERER names a software rasterizer). On any failure returns
  // null with info->reason set, the display released and the previously current context (if
  // any) current again; never throws. On success the new context is current on this thread.
  static std::unique_ptr<GlContext> create(const EglApi& egl, EGLDisplay display,
                                           GlDeviceInfo* info);

  ~GlContext();
  GlContext(const GlContext&) = delete;
  GlContext& operator=(const GlContext&) = delete;

  // Makes this context current on the calling thread (no surface). Throws GlError with the
  // EGL error if EGL refuses (e.g. EGL_BAD_ACCESS: it is current on another thread).
  void make_current();
  // Makes no context current on the calling thread if this one is; otherwise does nothing.
  void release_current();
  // True when this context is current on the calling thread.
  bool is_current() const;

  const GlDeviceInfo& info() const { return info_; }
  // The ES entry points; calling them needs this context current on the calling thread.
  const GlesApi& gl() const { return gl_; }
  const EglApi& egl() const { return egl_; }

  // Compiles a GLSL ES compute shader (source starts with "#version 310 es" or later) and
  // links it into a program. Returns the program name; the caller deletes it with
  // gl().DeleteProgram while this context is current. Throws GlError whose message names
  // `label`, says whether compiling or linking failed, and contains the driver's info log.
  // Needs this context current.
  GLuint compile_compute_program(const std::string& source, const std::string& label = "");

  // Throws GlError "<where>: GL_INVALID_OPERATION (0x0502)[, ...]" if glGetError reports
  // anything (all pending errors are drained and listed).
  void check_error(const char* where) const;

 private:
  GlContext(const EglApi& egl, EGLDisplay display);

  const EglApi& egl_;
  EGLDisplay display_ = nullptr;
  EGLContext context_ = nullptr;
  GlesApi gl_;
  GlDeviceInfo info_;
};

// Saves the calling thread's current EGL display/surfaces/context and restores them on
// destruction (used by the probe so that probing does not disturb a caller's context).
class ScopedEglCurrentRestore {
 public:
  explicit ScopedEglCurrentRestore(const EglApi& egl);
  ~ScopedEglCurrentRestore();
  // Keeps whatever is current at destruction instead of restoring.
  void dismiss() { active_ = false; }

 private:
  const EglApi& egl_;
  EGLDisplay display_ = nullptr;
  EGLSurface draw_ = nullptr;
  EGLSurface read_ = nullptr;
  EGLContext context_ = nullptr;
  bool active_ = true;
};

}  // namespace gl
}  // namespace fmn
