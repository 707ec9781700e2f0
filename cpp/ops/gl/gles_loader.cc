#include "ops/gl/gles_loader.h"

#include <dlfcn.h>

#include <cstdio>
#include <mutex>

namespace fmn {
namespace gl {
namespace {

constexpr const char* kGlesLibrary = "libGLESv2.so.2";

// The libGLESv2 handle for the dlsym fallback, opened once; null when it is absent (then
// eglGetProcAddress is the only source).
void* gles_library_handle() {
  static std::once_flag once;
  static void* handle = nullptr;
  std::call_once(once, [] { handle = dlopen(kGlesLibrary, RTLD_NOW | RTLD_LOCAL); });
  return handle;
}

class Resolver {
 public:
  explicit Resolver(const EglApi& egl) : egl_(egl) {}

  template <typename Fn>
  void operator()(const char* name, Fn* slot) {
    void* sym = reinterpret_cast<void*>(egl_.GetProcAddress(name));
    if (sym == nullptr) {
      void* lib = gles_library_handle();
      if (lib != nullptr) sym = dlsym(lib, name);
    }
    *slot = reinterpret_cast<Fn>(sym);
    if (sym == nullptr && missing_.empty()) missing_ = name;
  }

  const std::string& missing() const { return missing_; }

 private:
  const EglApi& egl_;
  std::string missing_;
};

}  // namespace

bool load_gles(const EglApi& egl, GlesApi* api, std::string* error) {
  Resolver r(egl);
  GlesApi& a = *api;
  r("glGetError", &a.GetError);
  r("glGetString", &a.GetString);
  r("glGetIntegerv", &a.GetIntegerv);
  r("glGetIntegeri_v", &a.GetIntegeri_v);
  r("glGetInteger64v", &a.GetInteger64v);
  r("glFinish", &a.Finish);
  r("glFlush", &a.Flush);
  r("glCreateShader", &a.CreateShader);
  r("glShaderSource", &a.ShaderSource);
  r("glCompileShader", &a.CompileShader);
  r("glGetShaderiv", &a.GetShaderiv);
  r("glGetShaderInfoLog", &a.GetShaderInfoLog);
  r("glDeleteShader", &a.DeleteShader);
  r("glCreateProgram", &a.CreateProgram);
  r("glAttachShader", &a.AttachShader);
  r("glDetachShader", &a.DetachShader);
  r("glLinkProgram", &a.LinkProgram);
  r("glGetProgramiv", &a.GetProgramiv);
  r("glGetProgramInfoLog", &a.GetProgramInfoLog);
  r("glDeleteProgram", &a.DeleteProgram);
  r("glUseProgram", &a.UseProgram);
  r("glGetUniformLocation", &a.GetUniformLocation);
  r("glUniform1i", &a.Uniform1i);
  r("glUniform1ui", &a.Uniform1ui);
  r("glUniform1f", &a.Uniform1f);
  r("glUniform2i", &a.Uniform2i);
  r("glUniform4i", &a.Uniform4i);
  r("glUniform4f", &a.Uniform4f);
  r("glUniform1iv", &a.Uniform1iv);
  r("glUniform4iv", &a.Uniform4iv);
  r("glDispatchCompute", &a.DispatchCompute);
  r("glDispatchComputeIndirect", &a.DispatchComputeIndirect);
  r("glMemoryBarrier", &a.MemoryBarrier);
  r("glGenBuffers", &a.GenBuffers);
  r("glDeleteBuffers", &a.DeleteBuffers);
  r("glBindBuffer", &a.BindBuffer);
  r("glBindBufferBase", &a.BindBufferBase);
  r("glBindBufferRange", &a.BindBufferRange);
  r("glBufferData", &a.BufferData);
  r("glBufferSubData", &a.BufferSubData);
  r("glCopyBufferSubData", &a.CopyBufferSubData);
  r("glMapBufferRange", &a.MapBufferRange);
  r("glUnmapBuffer", &a.UnmapBuffer);
  r("glFenceSync", &a.FenceSync);
  r("glClientWaitSync", &a.ClientWaitSync);
  r("glDeleteSync", &a.DeleteSync);
  r("glGenTextures", &a.GenTextures);
  r("glDeleteTextures", &a.DeleteTextures);
  r("glBindTexture", &a.BindTexture);
  r("glTexParameteri", &a.TexParameteri);
  r("glTexStorage2D", &a.TexStorage2D);
  r("glTexStorage3D", &a.TexStorage3D);
  r("glTexSubImage2D", &a.TexSubImage2D);
  r("glBindImageTexture", &a.BindImageTexture);
  r("glActiveTexture", &a.ActiveTexture);
  if (!r.missing().empty()) {
    if (error != nullptr) {
      *error = "the OpenGL ES entry point " + r.missing() +
               " is available neither through eglGetProcAddress nor from " + kGlesLibrary;
    }
    return false;
  }
  return true;
}

const char* gl_error_name(GLenum code) {
  switch (code) {
    case gles::kNoError: return "GL_NO_ERROR";
    case gles::kInvalidEnum: return "GL_INVALID_ENUM";
    case gles::kInvalidValue: return "GL_INVALID_VALUE";
    case gles::kInvalidOperation: return "GL_INVALID_OPERATION";
    case gles::kOutOfMemory: return "GL_OUT_OF_MEMORY";
    case gles::kInvalidFramebufferOperation: return "GL_INVALID_FRAMEBUFFER_OPERATION";
    case gles::kContextLost: return "GL_CONTEXT_LOST";
    default: return "GL_UNKNOWN_ERROR";
  }
}

std::string gl_error_string(GLenum code) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%04X", code);
  return std::string(gl_error_name(code)) + " (" + hex + ")";
}

}  // namespace gl
}  // namespace fmn
