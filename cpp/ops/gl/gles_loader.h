// Run-time resolution of the OpenGL ES 3.1 entry points the compute backend calls.
//
// Each name is looked up with eglGetProcAddress (EGL 1.5 and EGL_KHR_client_get_all_proc_
// addresses make that valid for core functions; with glvnd it returns dispatch stubs that
// follow the current context), and, when that yields null, with dlsym on libGLESv2.so.2.
// The pointers do not depend on which context is current, but calling one needs a current
// ES 3.1 context on the calling thread (GlContext::make_current()).
#pragma once

#include <string>

#include "ops/gl/egl_loader.h"
#include "ops/gl/gl_api.h"

namespace fmn {
namespace gl {

// Members are the GL function names without the "gl" prefix: gl.DispatchCompute(...).
struct GlesApi {
  // Queries and errors.
  GLenum(FMN_GL_APIENTRY* GetError)() = nullptr;
  const GLubyte*(FMN_GL_APIENTRY* GetString)(GLenum) = nullptr;
  void(FMN_GL_APIENTRY* GetIntegerv)(GLenum, GLint*) = nullptr;
  void(FMN_GL_APIENTRY* GetIntegeri_v)(GLenum, GLuint, GLint*) = nullptr;
  void(FMN_GL_APIENTRY* GetInteger64v)(GLenum, GLint64*) = nullptr;
  void(FMN_GL_APIENTRY* Finish)() = nullptr;
  void(FMN_GL_APIENTRY* Flush)() = nullptr;

  // Shaders and programs.
  GLuint(FMN_GL_APIENTRY* CreateShader)(GLenum) = nullptr;
  void(FMN_GL_APIENTRY* ShaderSource)(GLuint, GLsizei, const GLchar* const*,
                                      const GLint*) = nullptr;
  void(FMN_GL_APIENTRY* CompileShader)(GLuint) = nullptr;
  void(FMN_GL_APIENTRY* GetShaderiv)(GLuint, GLenum, GLint*) = nullptr;
  void(FMN_GL_APIENTRY* GetShaderInfoLog)(GLuint, GLsizei, GLsizei*, GLchar*) = nullptr;
  void(FMN_GL_APIENTRY* DeleteShader)(GLuint) = nullptr;
  GLuint(FMN_GL_APIENTRY* CreateProgram)() = nullptr;
  void(FMN_GL_APIENTRY* AttachShader)(GLuint, GLuint) = nullptr;
  void(FMN_GL_APIENTRY* DetachShader)(GLuint, GLuint) = nullptr;
  void(FMN_GL_APIENTRY* LinkProgram)(GLuint) = nullptr;
  void(FMN_GL_APIENTRY* GetProgramiv)(GLuint, GLenum, GLint*) = nullptr;
  void(FMN_GL_APIENTRY* GetProgramInfoLog)(GLuint, GLsizei, GLsizei*, GLchar*) = nullptr;
  void(FMN_GL_APIENTRY* DeleteProgram)(GLuint) = nullptr;
  void(FMN_GL_APIENTRY* UseProgram)(GLuint) = nullptr;
  GLint(FMN_GL_APIENTRY* GetUniformLocation)(GLuint, const GLchar*) = nullptr;
  void(FMN_GL_APIENTRY* Uniform1i)(GLint, GLint) = nullptr;
  void(FMN_GL_APIENTRY* Uniform1ui)(GLint, GLuint) = nullptr;
  void(FMN_GL_APIENTRY* Uniform1f)(GLint, GLfloat) = nullptr;
  void(FMN_GL_APIENTRY* Uniform2i)(GLint, GLint, GLint) = nullptr;
  void(FMN_GL_APIENTRY* Uniform4i)(GLint, GLint, GLint, GLint, GLint) = nullptr;
  void(FMN_GL_APIENTRY* Uniform4f)(GLint, GLfloat, GLfloat, GLfloat, GLfloat) = nullptr;
  void(FMN_GL_APIENTRY* Uniform1iv)(GLint, GLsizei, const GLint*) = nullptr;
  void(FMN_GL_APIENTRY* Uniform4iv)(GLint, GLsizei, const GLint*) = nullptr;

  // Compute.
  void(FMN_GL_APIENTRY* DispatchCompute)(GLuint, GLuint, GLuint) = nullptr;
  void(FMN_GL_APIENTRY* DispatchComputeIndirect)(GLintptr) = nullptr;
  void(FMN_GL_APIENTRY* MemoryBarrier)(GLbitfield) = nullptr;

  // Buffers.
  void(FMN_GL_APIENTRY* GenBuffers)(GLsizei, GLuint*) = nullptr;
  void(FMN_GL_APIENTRY* DeleteBuffers)(GLsizei, const GLuint*) = nullptr;
  void(FMN_GL_APIENTRY* BindBuffer)(GLenum, GLuint) = nullptr;
  void(FMN_GL_APIENTRY* BindBufferBase)(GLenum, GLuint, GLuint) = nullptr;
  void(FMN_GL_APIENTRY* BindBufferRange)(GLenum, GLuint, GLuint, GLintptr, GLsizeiptr) = nullptr;
  void(FMN_GL_APIENTRY* BufferData)(GLenum, GLsizeiptr, const void*, GLenum) = nullptr;
  void(FMN_GL_APIENTRY* BufferSubData)(GLenum, GLintptr, GLsizeiptr, const void*) = nullptr;
  void(FMN_GL_APIENTRY* CopyBufferSubData)(GLenum, GLenum, GLintptr, GLintptr,
                                           GLsizeiptr) = nullptr;
  void*(FMN_GL_APIENTRY* MapBufferRange)(GLenum, GLintptr, GLsizeiptr, GLbitfield) = nullptr;
  GLboolean(FMN_GL_APIENTRY* UnmapBuffer)(GLenum) = nullptr;

  // Sync objects.
  GLsync(FMN_GL_APIENTRY* FenceSync)(GLenum, GLbitfield) = nullptr;
  GLenum(FMN_GL_APIENTRY* ClientWaitSync)(GLsync, GLbitfield, GLuint64) = nullptr;
  void(FMN_GL_APIENTRY* DeleteSync)(GLsync) = nullptr;

  // Textures and images.
  void(FMN_GL_APIENTRY* GenTextures)(GLsizei, GLuint*) = nullptr;
  void(FMN_GL_APIENTRY* DeleteTextures)(GLsizei, const GLuint*) = nullptr;
  void(FMN_GL_APIENTRY* BindTexture)(GLenum, GLuint) = nullptr;
  void(FMN_GL_APIENTRY* TexParameteri)(GLenum, GLenum, GLint) = nullptr;
  void(FMN_GL_APIENTRY* TexStorage2D)(GLenum, GLsizei, GLenum, GLsizei, GLsizei) = nullptr;
  void(FMN_GL_APIENTRY* TexStorage3D)(GLenum, GLsizei, GLenum, GLsizei, GLsizei,
                                      GLsizei) = nullptr;
  void(FMN_GL_APIENTRY* TexSubImage2D)(GLenum, GLint, GLint, GLint, GLsizei, GLsizei, GLenum,
                                       GLenum, const void*) = nullptr;
  void(FMN_GL_APIENTRY* BindImageTexture)(GLuint, GLuint, GLint, GLboolean, GLint, GLenum,
                                          GLenum) = nullptr;
  void(FMN_GL_APIENTRY* ActiveTexture)(GLenum) = nullptr;
};

// Fills *api. Returns false and sets *error naming the first entry point neither
// eglGetProcAddress nor libGLESv2.so.2 provides. Every member is non-null after success.
bool load_gles(const EglApi& egl, GlesApi* api, std::string* error);

// "GL_INVALID_OPERATION" for 0x0502; "GL_UNKNOWN_ERROR" otherwise.
const char* gl_error_name(GLenum code);
// "GL_INVALID_OPERATION (0x0502)".
std::string gl_error_string(GLenum code);

}  // namespace gl
}  // namespace fmn
