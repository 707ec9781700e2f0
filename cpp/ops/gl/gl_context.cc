#include "ops/gl/gl_context.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <map>
#include <mutex>
#include <vector>

namespace fmn {
namespace gl {
namespace {

// Displays this process initialized through GlContext, with the number of live users; a
// display is terminated when its last user goes. A display someone else had initialized before
// our first use is recorded as external and never terminated by us.
struct DisplayUse {
  int users = 0;
  bool external = false;
};
std::mutex& display_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<EGLDisplay, DisplayUse>& display_uses() {
  static std::map<EGLDisplay, DisplayUse> uses;
  return uses;
}

bool acquire_display(const EglApi& egl, EGLDisplay display, std::string* why) {
  std::lock_guard<std::mutex> lock(display_mutex());
  DisplayUse& use = display_uses()[display];
  if (use.users == 0) {
    // eglQueryString succeeds only on an initialized display.
    use.external = egl.QueryString(display, egl::kVersion) != nullptr;
    if (!use.external) egl.GetError();
    EGLint major = 0, minor = 0;
    if (!egl.Initialize(display, &major, &minor)) {
      *why = "eglInitialize failed: " + egl.last_error();
      display_uses().erase(display);
      return false;
    }
  }
  ++use.users;
  return true;
}

void release_display(const EglApi& egl, EGLDisplay display) {
  std::lock_guard<std::mutex> lock(display_mutex());
  auto it = display_uses().find(display);
  if (it == display_uses().end()) return;
  if (--it->second.users > 0) return;
  if (!it->second.external) egl.Terminate(display);
  display_uses().erase(it);
}

std::string safe_string(const char* s) { return s != nullptr ? s : ""; }

std::string gl_string(const GlesApi& gl, GLenum name) {
  const GLubyte* s = gl.GetString(name);
  return s != nullptr ? reinterpret_cast<const char*>(s) : "";
}

// Parses "OpenGL ES 3.2 Mesa 22.3.6" (the ES version string format) into 3, 2.
bool parse_es_version(const std::string& version, int* major, int* minor) {
  const std::string prefix = "OpenGL ES ";
  size_t pos = version.find(prefix);
  if (pos == std::string::npos) return false;
  pos += prefix.size();
  // Skip an optional profile tag such as "CM " / "CL " (ES 1.x).
  if (pos < version.size() && !std::isdigit(static_cast<unsigned char>(version[pos]))) {
    pos = version.find(' ', pos);
    if (pos == std::string::npos) return false;
    ++pos;
  }
  int a = 0, b = 0;
  if (std::sscanf(version.c_str() + pos, "%d.%d", &a, &b) != 2) return false;
  *major = a;
  *minor = b;
  return true;
}

// Reads the limits; returns "" when they meet what the backend relies on (the ES 3.1
// minimums), else the first shortfall.
std::string read_limits(const GlesApi& gl, GlComputeLimits* lim) {
  for (GLuint i = 0; i < 3; ++i) {
    gl.GetIntegeri_v(gles::kMaxComputeWorkGroupCount, i, &lim->work_group_count[i]);
    gl.GetIntegeri_v(gles::kMaxComputeWorkGroupSize, i, &lim->work_group_size[i]);
  }
  gl.GetIntegerv(gles::kMaxComputeWorkGroupInvocations, &lim->work_group_invocations);
  gl.GetIntegerv(gles::kMaxComputeSharedMemorySize, &lim->shared_memory_bytes);
  gl.GetIntegerv(gles::kMaxComputeShaderStorageBlocks, &lim->compute_ssbo_blocks);
  gl.GetIntegerv(gles::kMaxShaderStorageBufferBindings, &lim->ssbo_bindings);
  gl.GetIntegerv(gles::kMaxComputeImageUniforms, &lim->compute_image_uniforms);
  GLint64 block = 0;
  gl.GetInteger64v(gles::kMaxShaderStorageBlockSize, &block);
  lim->ssbo_block_bytes = static_cast<long long>(block);
  const GLenum err = gl.GetError();
  if (err != gles::kNoError) return "querying compute limits raised " + gl_error_string(err);

  struct Need {
    const char* name;
    long long have, need;
  };
  const Need needs[] = {
      {"GL_MAX_COMPUTE_WORK_GROUP_COUNT[0]", lim->work_group_count[0], 65535},
      {"GL_MAX_COMPUTE_WORK_GROUP_COUNT[1]", lim->work_group_count[1], 65535},
      {"GL_MAX_COMPUTE_WORK_GROUP_COUNT[2]", lim->work_group_count[2], 65535},
      {"GL_MAX_COMPUTE_WORK_GROUP_SIZE[0]", lim->work_group_size[0], 128},
      {"GL_MAX_COMPUTE_WORK_GROUP_SIZE[1]", lim->work_group_size[1], 128},
      {"GL_MAX_COMPUTE_WORK_GROUP_SIZE[2]", lim->work_group_size[2], 64},
      {"GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS", lim->work_group_invocations, 128},
      {"GL_MAX_COMPUTE_SHARED_MEMORY_SIZE", lim->shared_memory_bytes, 16384},
      {"GL_MAX_COMPUTE_SHADER_STORAGE_BLOCKS", lim->compute_ssbo_blocks, 4},
      {"GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS", lim->ssbo_bindings, 4},
  };
  for (const Need& n : needs) {
    if (n.have < n.need) {
      return std::string(n.name) + " is " + std::to_string(n.have) +
             ", below the OpenGL ES 3.1 minimum " + std::to_string(n.need);
    }
  }
  return "";
}

}  // namespace

bool is_software_renderer(const std::string& renderer) {
  std::string lower = renderer;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kSoftware[] = {"llvmpipe", "softpipe", "lavapipe", "swiftshader",
                                          "software rasterizer", "swrast"};
  for (const char* s : kSoftware) {
    if (lower.find(s) != std::string::npos) return true;
  }
  return false;
}

ScopedEglCurrentRestore::ScopedEglCurrentRestore(const EglApi& egl) : egl_(egl) {
  display_ = egl.GetCurrentDisplay();
  context_ = egl.GetCurrentContext();
  draw_ = egl.GetCurrentSurface(egl::kDraw);
  read_ = egl.GetCurrentSurface(egl::kRead);
}

ScopedEglCurrentRestore::~ScopedEglCurrentRestore() {
  if (!active_) return;
  if (context_ != egl::no_context() && display_ != egl::no_display()) {
    egl_.MakeCurrent(display_, draw_, read_, context_);
  } else {
    EGLDisplay now = egl_.GetCurrentDisplay();
    if (now != egl::no_display()) {
      egl_.MakeCurrent(now, egl::no_surface(), egl::no_surface(), egl::no_context());
    }
  }
}

GlContext::GlContext(const EglApi& egl, EGLDisplay display) : egl_(egl), display_(display) {}

std::unique_ptr<GlContext> GlContext::create(const EglApi& egl, EGLDisplay display,
                                             GlDeviceInfo* info) {
  info->usable = false;
  if (display == egl::no_display()) {
    info->reason = "no EGL display";
    return nullptr;
  }
  ScopedEglCurrentRestore restore(egl);
  std::string why;
  if (!acquire_display(egl, display, &why)) {
    info->reason = why;
    return nullptr;
  }
  // From here on the context object owns the display reference; its destructor releases it.
  std::unique_ptr<GlContext> ctx(new GlContext(egl, display));
  auto fail = [&](const std::string& reason) {
    info->reason = reason;
    ctx.reset();
    return nullptr;
  };

  info->egl_vendor = safe_string(egl.QueryString(display, egl::kVendor));
  info->egl_version = safe_string(egl.QueryString(display, egl::kVersion));
  info->egl_extensions = safe_string(egl.QueryString(display, egl::kExtensions));
  const std::string client_apis = safe_string(egl.QueryString(display, egl::kClientApis));
  if (!client_apis.empty() && client_apis.find("OpenGL_ES") == std::string::npos) {
    return fail("the EGL display offers no OpenGL ES (EGL_CLIENT_APIS: " + client_apis + ")");
  }
  if (!has_word(info->egl_extensions, "EGL_KHR_surfaceless_context")) {
    return fail("the EGL display lacks EGL_KHR_surfaceless_context (needed for a context "
                "without a surface)");
  }
  if (!egl.BindAPI(egl::kOpenGlEsApi)) {
    return fail("eglBindAPI(EGL_OPENGL_ES_API) failed: " + egl.last_error());
  }

  // EGL_SURFACE_TYPE 0: no surface bits required (the default, EGL_WINDOW_BIT, would exclude
  // configs of headless displays).
  const EGLint config_attribs[] = {egl::kRenderableType, egl::kOpenGlEs3Bit,
                                   egl::kSurfaceType, 0, egl::kNone};
  EGLConfig config = nullptr;
  EGLint num_configs = 0;
  if (!egl.ChooseConfig(display, config_attribs, &config, 1, &num_configs)) {
    return fail("eglChooseConfig(EGL_RENDERABLE_TYPE=EGL_OPENGL_ES3_BIT) failed: " +
                egl.last_error());
  }
  if (num_configs < 1) {
    return fail("eglChooseConfig found no config with EGL_OPENGL_ES3_BIT");
  }

  // ES 3.2, else 3.1, else "3" (pre-1.5 EGL without EGL_KHR_create_context knows no minor).
  const EGLint attribs_32[] = {egl::kContextMajorVersion, 3, egl::kContextMinorVersion, 2,
                               egl::kNone};
  const EGLint attribs_31[] = {egl::kContextMajorVersion, 3, egl::kContextMinorVersion, 1,
                               egl::kNone};
  const EGLint attribs_3[] = {egl::kContextMajorVersion, 3, egl::kNone};
  const struct {
    const char* label;
    const EGLint* attribs;
  } attempts[] = {{"3.2", attribs_32}, {"3.1", attribs_31}, {"3", attribs_3}};
  std::string create_errors;
  for (const auto& attempt : attempts) {
    ctx->context_ = egl.CreateContext(display, config, egl::no_context(), attempt.attribs);
    if (ctx->context_ != egl::no_context()) break;
    if (!create_errors.empty()) create_errors += "; ";
    create_errors += std::string("ES ") + attempt.label + ": " + egl.last_error();
  }
  if (ctx->context_ == egl::no_context()) {
    return fail("eglCreateContext failed (" + create_errors + ")");
  }
  if (gl_fault_injected("context")) {
    egl.DestroyContext(display, ctx->context_);
    ctx->context_ = egl::no_context();
    return fail("eglCreateContext failed (EGL_BAD_ALLOC, injected by FMN_GL_FAULT=context)");
  }
  if (!egl.MakeCurrent(display, egl::no_surface(), egl::no_surface(), ctx->context_)) {
    return fail("eglMakeCurrent(EGL_NO_SURFACE) failed: " + egl.last_error());
  }

  std::string load_error;
  if (!load_gles(egl, &ctx->gl_, &load_error)) return fail(load_error);
  const GlesApi& gl = ctx->gl_;
  info->gl_vendor = gl_string(gl, gles::kVendor);
  info->gl_renderer = gl_string(gl, gles::kRenderer);
  info->gl_version = gl_string(gl, gles::kVersion);
  info->glsl_version = gl_string(gl, gles::kShadingLanguageVersion);
  if (is_software_renderer(info->gl_renderer)) info->software = true;
  int major = 0, minor = 0;
  if (!parse_es_version(info->gl_version, &major, &minor)) {
    return fail("GL_VERSION '" + info->gl_version + "' is not an OpenGL ES version string");
  }
  info->gl_major = major;
  info->gl_minor = minor;
  if (major < 3 || (major == 3 && minor < 1)) {
    return fail("OpenGL ES " + std::to_string(major) + "." + std::to_string(minor) +
                " is below 3.1, the first version with compute shaders (GL_VERSION '" +
                info->gl_version + "')");
  }
  gl.GetError();  // drain anything left by the string queries on odd drivers
  const std::string shortfall = read_limits(gl, &info->limits);
  if (!shortfall.empty()) return fail(shortfall);

  info->usable = true;
  info->reason.clear();
  ctx->info_ = *info;
  restore.dismiss();
  return ctx;
}

GlContext::~GlContext() {
  if (context_ != egl::no_context()) {
    if (egl_.GetCurrentContext() == context_) {
      egl_.MakeCurrent(display_, egl::no_surface(), egl::no_surface(), egl::no_context());
    }
    egl_.DestroyContext(display_, context_);
  }
  release_display(egl_, display_);
}

void GlContext::make_current() {
  if (!egl_.BindAPI(egl::kOpenGlEsApi)) {
    throw GlError("eglBindAPI(EGL_OPENGL_ES_API) failed: " + egl_.last_error());
  }
  if (!egl_.MakeCurrent(display_, egl::no_surface(), egl::no_surface(), context_)) {
    throw GlError("eglMakeCurrent failed: " + egl_.last_error() +
                  " (a context can be current on only one thread at a time)");
  }
}

void GlContext::release_current() {
  if (egl_.GetCurrentContext() != context_) return;
  egl_.MakeCurrent(display_, egl::no_surface(), egl::no_surface(), egl::no_context());
}

bool GlContext::is_current() const { return egl_.GetCurrentContext() == context_; }

bool gl_fault_injected(const char* what) {
  const char* env = std::getenv("FMN_GL_FAULT");
  if (!env || !*env) return false;
  const std::string list = std::string(",") + env + ",";
  return list.find(std::string(",") + what + ",") != std::string::npos;
}

GLuint GlContext::compile_compute_program(const std::string& source, const std::string& label) {
  const std::string name = label.empty() ? "compute shader" : "compute shader '" + label + "'";
  if (gl_fault_injected("shader"))
    throw GlError(name + " failed to compile: (injected by FMN_GL_FAULT=shader)");
  if (!is_current()) {
    throw GlError(name + ": the GL context is not current on this thread");
  }
  const GlesApi& gl = gl_;
  auto info_log = [](GLint length, auto&& fetch) {
    std::vector<GLchar> buf(static_cast<size_t>(std::max(length, 1)) + 1, '\0');
    GLsizei written = 0;
    fetch(static_cast<GLsizei>(buf.size()), &written, buf.data());
    return std::string(buf.data(), static_cast<size_t>(std::max(written, 0)));
  };

  const GLuint shader = gl.CreateShader(gles::kComputeShader);
  if (shader == 0) {
    throw GlError(name + ": glCreateShader(GL_COMPUTE_SHADER) failed: " +
                  gl_error_string(gl.GetError()));
  }
  const GLchar* text = source.c_str();
  const GLint length = static_cast<GLint>(source.size());
  gl.ShaderSource(shader, 1, &text, &length);
  gl.CompileShader(shader);
  GLint ok = 0, log_length = 0;
  gl.GetShaderiv(shader, gles::kCompileStatus, &ok);
  if (!ok) {
    gl.GetShaderiv(shader, gles::kInfoLogLength, &log_length);
    const std::string log = info_log(log_length, [&](GLsizei n, GLsizei* w, GLchar* b) {
      gl.GetShaderInfoLog(shader, n, w, b);
    });
    gl.DeleteShader(shader);
    throw GlError(name + " failed to compile:\n" + log);
  }

  const GLuint program = gl.CreateProgram();
  if (program == 0) {
    gl.DeleteShader(shader);
    throw GlError(name + ": glCreateProgram failed: " + gl_error_string(gl.GetError()));
  }
  gl.AttachShader(program, shader);
  gl.LinkProgram(program);
  gl.DetachShader(program, shader);
  gl.DeleteShader(shader);
  gl.GetProgramiv(program, gles::kLinkStatus, &ok);
  if (!ok) {
    gl.GetProgramiv(program, gles::kInfoLogLength, &log_length);
    const std::string log = info_log(log_length, [&](GLsizei n, GLsizei* w, GLchar* b) {
      gl.GetProgramInfoLog(program, n, w, b);
    });
    gl.DeleteProgram(program);
    throw GlError(name + " failed to link:\n" + log);
  }
  return program;
}

void GlContext::check_error(const char* where) const {
  std::string errors;
  for (int i = 0; i < 16; ++i) {
    const GLenum err = gl_.GetError();
    if (err == gles::kNoError) break;
    if (!errors.empty()) errors += ", ";
    errors += gl_error_string(err);
    if (err == gles::kContextLost) break;
  }
  if (!errors.empty()) throw GlError(std::string(where) + ": " + errors);
}

}  // namespace gl
}  // namespace fmn
