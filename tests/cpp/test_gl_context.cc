// Tests for the GL ES compute infrastructure: EGL loading, device probing, software-rasterizer
// detection, context creation, program building and one compute dispatch checked against the
// CPU. On a machine without libEGL.so.1 the tests that need a GL device print SKIP (or fail,
// with FMN_TEST_REQUIRE_GL=1); the ones about loading failures and enum values always run.
// With Mesa installed (llvmpipe) all run.
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ops/gl/egl_loader.h"
#include "ops/gl/gl_api.h"
#include "ops/gl/gl_context.h"
#include "ops/gl/gl_probe.h"
#include "gl_test_util.h"

// Cross-check of our hand-declared constants against the Khronos headers, when installed.
#if defined(__has_include)
#if __has_include(<EGL/egl.h>) && __has_include(<EGL/eglext.h>) && __has_include(<GLES3/gl31.h>)
#define FMN_HAVE_KHRONOS_HEADERS 1
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl31.h>
#endif
#endif

using namespace fmn::gl;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Sets an environment variable for one scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_.c_str(), old_.c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

// The probe of the real EGL stack, computed once.
const GlProbe& real_probe() {
  static const GlProbe probe = [] {
    GlProbe p = probe_gl();
    std::printf("%s", describe_probe(p).c_str());
    return p;
  }();
  return probe;
}

// False (the caller skips) when no EGL library loads, unless FMN_TEST_REQUIRE_GL=1, which
// turns that into a failure (for CI machines that must exercise the GL path).
bool have_gl() {
  if (real_probe().egl_loaded) return true;
  if (gltest::gl_required()) CHECK(!"FMN_TEST_REQUIRE_GL=1 but no EGL library loads");
  std::printf("SKIP: no EGL library (%s)\n", real_probe().load_error.c_str());
  return false;
}

const GlDeviceInfo* find_usable(bool software) {
  for (const GlDeviceInfo& d : real_probe().devices) {
    if (d.usable && d.software == software) return &d;
  }
  return nullptr;
}

// An independent compute path: its own shader (vec4 loads, 2-D dispatch grid, a different
// work-group size) run through the raw entry points, compared with std::max on the CPU.
void check_relu_on(GlContext& ctx, int count, unsigned seed) {
  CHECK(ctx.is_current());
  const GlesApi& gl = ctx.gl();
  const std::string src = R"(#version 310 es
layout(local_size_x = 128) in;
layout(std430, binding = 3) readonly buffer In { vec4 x[]; } src_buf;
layout(std430, binding = 5) buffer Out { vec4 y[]; } dst_buf;
layout(location = 2) uniform uint groups_x;
layout(location = 3) uniform uint quads;
void main() {
  uint q = gl_GlobalInvocationID.y * groups_x * 128u + gl_GlobalInvocationID.x;
  if (q < quads) dst_buf.y[q] = max(src_buf.x[q], vec4(0.0));
}
)";
  const GLuint program = ctx.compile_compute_program(src, "test_relu_vec4");
  CHECK(program != 0);

  const int quads = (count + 3) / 4;
  std::vector<float> x(static_cast<size_t>(quads) * 4, 0.0f);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uni(-10.0f, 10.0f);
  for (int i = 0; i < count; ++i) {
    float v = uni(rng);
    if (i % 97 == 0) v = 0.0f;
    if (i % 89 == 0) v = -0.0f;
    if (i % 83 == 0) v = (i % 2 ? 3.0e38f : -3.0e38f);
    if (i % 79 == 0) v = 1.0e-30f;
    x[static_cast<size_t>(i)] = v;
  }
  std::vector<float> expect(x.size());
  for (size_t i = 0; i < x.size(); ++i) expect[i] = std::max(x[i], 0.0f);
  const std::vector<float> sentinel(x.size(), 777.0f);

  GLuint bufs[2] = {0, 0};
  gl.GenBuffers(2, bufs);
  const GLsizeiptr bytes = static_cast<GLsizeiptr>(x.size() * sizeof(float));
  gl.BindBuffer(gles::kShaderStorageBuffer, bufs[0]);
  gl.BufferData(gles::kShaderStorageBuffer, bytes, x.data(), gles::kStaticDraw);
  gl.BindBuffer(gles::kShaderStorageBuffer, bufs[1]);
  gl.BufferData(gles::kShaderStorageBuffer, bytes, sentinel.data(), gles::kDynamicRead);
  gl.BindBufferBase(gles::kShaderStorageBuffer, 3, bufs[0]);
  gl.BindBufferBase(gles::kShaderStorageBuffer, 5, bufs[1]);
  gl.UseProgram(program);
  const GLuint groups_total = static_cast<GLuint>((quads + 127) / 128);
  const GLuint groups_x = std::min<GLuint>(groups_total, 16);
  const GLuint groups_y = (groups_total + groups_x - 1) / groups_x;
  gl.Uniform1ui(2, groups_x);
  gl.Uniform1ui(3, static_cast<GLuint>(quads));
  gl.DispatchCompute(groups_x, groups_y, 1);
  gl.MemoryBarrier(gles::kBufferUpdateBarrierBit);
  ctx.check_error("relu dispatch");

  std::vector<float> y(x.size(), -1.0f);
  gl.BindBuffer(gles::kShaderStorageBuffer, bufs[1]);
  const void* mapped = gl.MapBufferRange(gles::kShaderStorageBuffer, 0, bytes, gles::kMapReadBit);
  CHECK(mapped != nullptr);
  if (mapped != nullptr) {
    std::memcpy(y.data(), mapped, static_cast<size_t>(bytes));
    CHECK(gl.UnmapBuffer(gles::kShaderStorageBuffer) == gles::kTrue);
  }
  ctx.check_error("relu read-back");
  int mismatches = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (!(y[i] == expect[i])) {
      if (mismatches < 5) {
        std::fprintf(stderr, "  relu[%zu]: x=%g gpu=%g cpu=%g\n", i, x[i], y[i], expect[i]);
      }
      ++mismatches;
    }
  }
  CHECK(mismatches == 0);
  gl.UseProgram(0);
  gl.DeleteBuffers(2, bufs);
  gl.DeleteProgram(program);
  ctx.check_error("relu cleanup");
}

}  // namespace

TEST(constants_match_khronos_headers) {
#ifdef FMN_HAVE_KHRONOS_HEADERS
  static_assert(egl::kNone == EGL_NONE, "");
  static_assert(egl::kVendor == EGL_VENDOR && egl::kVersion == EGL_VERSION, "");
  static_assert(egl::kExtensions == EGL_EXTENSIONS && egl::kClientApis == EGL_CLIENT_APIS, "");
  static_assert(egl::kRenderableType == EGL_RENDERABLE_TYPE, "");
  static_assert(egl::kSurfaceType == EGL_SURFACE_TYPE, "");
  static_assert(egl::kOpenGlEs3Bit == EGL_OPENGL_ES3_BIT, "");
  static_assert(egl::kPbufferBit == EGL_PBUFFER_BIT, "");
  static_assert(egl::kOpenGlEsApi == EGL_OPENGL_ES_API, "");
  static_assert(egl::kContextMajorVersion == EGL_CONTEXT_MAJOR_VERSION, "");
  static_assert(egl::kContextMinorVersion == EGL_CONTEXT_MINOR_VERSION, "");
  static_assert(egl::kDraw == EGL_DRAW && egl::kRead == EGL_READ, "");
  static_assert(egl::kConfigCaveat == EGL_CONFIG_CAVEAT, "");
  static_assert(egl::kPlatformDeviceExt == EGL_PLATFORM_DEVICE_EXT, "");
  static_assert(egl::kPlatformSurfacelessMesa == EGL_PLATFORM_SURFACELESS_MESA, "");
  static_assert(egl::kDrmDeviceFileExt == EGL_DRM_DEVICE_FILE_EXT, "");
  static_assert(egl::kDrmRenderNodeFileExt == EGL_DRM_RENDER_NODE_FILE_EXT, "");
  static_assert(egl::kCudaDeviceNv == EGL_CUDA_DEVICE_NV, "");
  static_assert(egl::kBadDeviceExt == EGL_BAD_DEVICE_EXT, "");
  static_assert(sizeof(fmn::gl::EGLint) == sizeof(::EGLint), "");
  static_assert(sizeof(fmn::gl::EGLAttrib) == sizeof(::EGLAttrib), "");
  static_assert(sizeof(fmn::gl::GLsizeiptr) == sizeof(::GLsizeiptr), "");
  static_assert(sizeof(fmn::gl::GLintptr) == sizeof(::GLintptr), "");
  static_assert(sizeof(fmn::gl::GLuint64) == sizeof(::GLuint64), "");

  static_assert(gles::kVendor == GL_VENDOR && gles::kRenderer == GL_RENDERER, "");
  static_assert(gles::kVersion == GL_VERSION, "");
  static_assert(gles::kShadingLanguageVersion == GL_SHADING_LANGUAGE_VERSION, "");
  static_assert(gles::kMajorVersion == GL_MAJOR_VERSION, "");
  static_assert(gles::kMinorVersion == GL_MINOR_VERSION, "");
  static_assert(gles::kMaxComputeWorkGroupCount == GL_MAX_COMPUTE_WORK_GROUP_COUNT, "");
  static_assert(gles::kMaxComputeWorkGroupSize == GL_MAX_COMPUTE_WORK_GROUP_SIZE, "");
  static_assert(gles::kMaxComputeWorkGroupInvocations == GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS,
                "");
  static_assert(gles::kMaxComputeSharedMemorySize == GL_MAX_COMPUTE_SHARED_MEMORY_SIZE, "");
  static_assert(gles::kMaxComputeShaderStorageBlocks == GL_MAX_COMPUTE_SHADER_STORAGE_BLOCKS, "");
  static_assert(gles::kMaxComputeImageUniforms == GL_MAX_COMPUTE_IMAGE_UNIFORMS, "");
  static_assert(gles::kMaxShaderStorageBufferBindings == GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS,
                "");
  static_assert(gles::kMaxShaderStorageBlockSize == GL_MAX_SHADER_STORAGE_BLOCK_SIZE, "");
  static_assert(gles::kComputeShader == GL_COMPUTE_SHADER, "");
  static_assert(gles::kCompileStatus == GL_COMPILE_STATUS, "");
  static_assert(gles::kLinkStatus == GL_LINK_STATUS, "");
  static_assert(gles::kInfoLogLength == GL_INFO_LOG_LENGTH, "");
  static_assert(gles::kShaderStorageBuffer == GL_SHADER_STORAGE_BUFFER, "");
  static_assert(gles::kCopyReadBuffer == GL_COPY_READ_BUFFER, "");
  static_assert(gles::kCopyWriteBuffer == GL_COPY_WRITE_BUFFER, "");
  static_assert(gles::kStaticDraw == GL_STATIC_DRAW && gles::kDynamicDraw == GL_DYNAMIC_DRAW, "");
  static_assert(gles::kDynamicRead == GL_DYNAMIC_READ && gles::kDynamicCopy == GL_DYNAMIC_COPY,
                "");
  static_assert(gles::kStreamRead == GL_STREAM_READ, "");
  static_assert(gles::kMapReadBit == GL_MAP_READ_BIT && gles::kMapWriteBit == GL_MAP_WRITE_BIT,
                "");
  static_assert(gles::kMapInvalidateBufferBit == GL_MAP_INVALIDATE_BUFFER_BIT, "");
  static_assert(gles::kShaderImageAccessBarrierBit == GL_SHADER_IMAGE_ACCESS_BARRIER_BIT, "");
  static_assert(gles::kTextureFetchBarrierBit == GL_TEXTURE_FETCH_BARRIER_BIT, "");
  static_assert(gles::kBufferUpdateBarrierBit == GL_BUFFER_UPDATE_BARRIER_BIT, "");
  static_assert(gles::kShaderStorageBarrierBit == GL_SHADER_STORAGE_BARRIER_BIT, "");
  static_assert(gles::kAllBarrierBits == GL_ALL_BARRIER_BITS, "");
  static_assert(gles::kSyncGpuCommandsComplete == GL_SYNC_GPU_COMMANDS_COMPLETE, "");
  static_assert(gles::kSyncFlushCommandsBit == GL_SYNC_FLUSH_COMMANDS_BIT, "");
  static_assert(gles::kAlreadySignaled == GL_ALREADY_SIGNALED, "");
  static_assert(gles::kTimeoutExpired == GL_TIMEOUT_EXPIRED, "");
  static_assert(gles::kConditionSatisfied == GL_CONDITION_SATISFIED, "");
  static_assert(gles::kWaitFailed == GL_WAIT_FAILED, "");
  static_assert(gles::kTimeoutIgnored == GL_TIMEOUT_IGNORED, "");
  static_assert(gles::kTexture2D == GL_TEXTURE_2D && gles::kTexture2DArray == GL_TEXTURE_2D_ARRAY,
                "");
  static_assert(gles::kRgba32f == GL_RGBA32F && gles::kRgba16f == GL_RGBA16F, "");
  static_assert(gles::kRgba == GL_RGBA && gles::kFloat == GL_FLOAT, "");
  static_assert(gles::kHalfFloat == GL_HALF_FLOAT, "");
  static_assert(gles::kReadOnly == GL_READ_ONLY && gles::kWriteOnly == GL_WRITE_ONLY, "");
  static_assert(gles::kReadWrite == GL_READ_WRITE, "");
  static_assert(gles::kTextureMinFilter == GL_TEXTURE_MIN_FILTER, "");
  static_assert(gles::kTextureMagFilter == GL_TEXTURE_MAG_FILTER, "");
  static_assert(gles::kNearest == GL_NEAREST, "");

  // Error names: each code must come back spelled exactly as the header's macro.
  struct Named {
    long code;
    const char* name;
  };
#define FMN_NAMED(x) {static_cast<long>(x), #x}
  const Named egl_errors[] = {
      FMN_NAMED(EGL_SUCCESS),         FMN_NAMED(EGL_NOT_INITIALIZED),
      FMN_NAMED(EGL_BAD_ACCESS),      FMN_NAMED(EGL_BAD_ALLOC),
      FMN_NAMED(EGL_BAD_ATTRIBUTE),   FMN_NAMED(EGL_BAD_CONFIG),
      FMN_NAMED(EGL_BAD_CONTEXT),     FMN_NAMED(EGL_BAD_CURRENT_SURFACE),
      FMN_NAMED(EGL_BAD_DISPLAY),     FMN_NAMED(EGL_BAD_MATCH),
      FMN_NAMED(EGL_BAD_NATIVE_PIXMAP), FMN_NAMED(EGL_BAD_NATIVE_WINDOW),
      FMN_NAMED(EGL_BAD_PARAMETER),   FMN_NAMED(EGL_BAD_SURFACE),
      FMN_NAMED(EGL_CONTEXT_LOST),    FMN_NAMED(EGL_BAD_DEVICE_EXT),
  };
  for (const Named& e : egl_errors) {
    CHECK(std::string(egl_error_name(static_cast<EGLint>(e.code))) == e.name);
  }
  const Named gl_errors[] = {
      FMN_NAMED(GL_NO_ERROR),      FMN_NAMED(GL_INVALID_ENUM),
      FMN_NAMED(GL_INVALID_VALUE), FMN_NAMED(GL_INVALID_OPERATION),
      FMN_NAMED(GL_OUT_OF_MEMORY), FMN_NAMED(GL_INVALID_FRAMEBUFFER_OPERATION),
  };
  for (const Named& e : gl_errors) {
    CHECK(std::string(gl_error_name(static_cast<GLenum>(e.code))) == e.name);
  }
#undef FMN_NAMED
  CHECK(egl_error_string(EGL_BAD_MATCH) == "EGL_BAD_MATCH (0x3009)");
#else
  std::printf("SKIP: Khronos headers not installed; constants not cross-checked\n");
#endif
  CHECK(std::string(egl_error_name(0x1234)) == "EGL_UNKNOWN_ERROR");
}

TEST(software_renderer_names) {
  CHECK(is_software_renderer("llvmpipe (LLVM 15.0.6, 256 bits)"));
  CHECK(is_software_renderer("softpipe"));
  CHECK(is_software_renderer("Google SwiftShader"));
  CHECK(is_software_renderer("Software Rasterizer"));
  CHECK(is_software_renderer("Mesa lavapipe"));
  CHECK(!is_software_renderer("NVIDIA GeForce RTX 3090/PCIe/SSE2"));
  CHECK(!is_software_renderer("AMD Radeon RX 6800 (navi21, LLVM 15.0.6, DRM 3.49)"));
  CHECK(!is_software_renderer("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
}

TEST(has_word_matches_whole_extension_names) {
  const std::string list = "EGL_EXT_device_drm_render_node EGL_MESA_device_software";
  CHECK(has_word(list, "EGL_MESA_device_software"));
  CHECK(has_word(list, "EGL_EXT_device_drm_render_node"));
  CHECK(!has_word(list, "EGL_EXT_device_drm"));  // a prefix of another word is not a match
  CHECK(!has_word("", "EGL_EXT_device_drm"));
}

TEST(missing_egl_library_is_reported_not_crashed) {
  const std::string configured = egl_library_name();
  {
    ScopedEnv env("FMN_EGL_LIBRARY", "/nonexistent/libEGL.so.1");
    CHECK(egl_library_name() == "/nonexistent/libEGL.so.1");
    const GlProbe p = probe_gl();
    CHECK(!p.egl_loaded);
    CHECK(p.egl_library == "/nonexistent/libEGL.so.1");
    CHECK(contains(p.load_error, "/nonexistent/libEGL.so.1"));
    CHECK(p.devices.empty());
    CHECK(contains(describe_probe(p), "not loaded"));
    std::string why;
    std::unique_ptr<GlContext> ctx = create_gl_context("gl", true, &why);
    CHECK(ctx == nullptr);
    CHECK(contains(why, "unavailable"));
    CHECK(contains(why, "/nonexistent/libEGL.so.1"));
    CHECK(create_gl_context("gl:0", true, nullptr) == nullptr);  // no reason wanted: still safe
  }
  {
    // A real library that is not EGL: loads, but lacks the entry points.
    ScopedEnv env("FMN_EGL_LIBRARY", "libm.so.6");
    const GlProbe p = probe_gl();
    CHECK(!p.egl_loaded);
    CHECK(contains(p.load_error, "eglGetProcAddress"));
    std::string why;
    CHECK(create_gl_context("gl", true, &why) == nullptr);
    CHECK(contains(why, "libm.so.6"));
  }
  // The loader is re-entrant: with the override gone the configured library is tried again.
  CHECK(egl_library_name() == configured);
  std::string error;
  const EglApi* api = load_egl(&error);
  CHECK((api != nullptr) == real_probe().egl_loaded);
}

TEST(malformed_device_strings) {
  CHECK_THROWS(create_gl_context("cuda", true, nullptr), std::invalid_argument);
  CHECK_THROWS(create_gl_context("gl:", true, nullptr), std::invalid_argument);
  CHECK_THROWS(create_gl_context("gl:x", true, nullptr), std::invalid_argument);
  CHECK_THROWS(create_gl_context("gl:-1", true, nullptr), std::invalid_argument);
  if (!have_gl()) return;
  std::string why;
  CHECK(create_gl_context("gl:999", true, &why) == nullptr);
  CHECK(contains(why, "does not exist"));
}

TEST(probe_lists_candidates_and_flags_software) {
  if (!have_gl()) return;
  const GlProbe& p = real_probe();
  CHECK(!p.devices.empty());
  CHECK(p.devices.back().platform == "default");
  for (size_t i = 0; i < p.devices.size(); ++i) {
    const GlDeviceInfo& d = p.devices[i];
    CHECK(d.index == static_cast<int>(i));
    CHECK(d.platform == "device" || d.platform == "surfaceless" || d.platform == "default");
    if (!d.usable) {
      CHECK(!d.reason.empty());
      // A failed EGL call is reported with its error name and hex code.
      if (contains(d.reason, "egl") && contains(d.reason, "failed:")) {
        CHECK(contains(d.reason, "EGL_"));
        CHECK(contains(d.reason, "(0x"));
      }
    }
    if (d.usable) {
      CHECK(d.reason.empty());
      CHECK(d.gl_major > 3 || (d.gl_major == 3 && d.gl_minor >= 1));
      CHECK(contains(d.gl_version, "OpenGL ES"));
      CHECK(d.limits.work_group_invocations >= 128);
      // A usable device's software flag agrees with its renderer string or device extension.
      const bool expect_software = is_software_renderer(d.gl_renderer) ||
                                   has_word(d.device_extensions, "EGL_MESA_device_software");
      CHECK(d.software == expect_software);
    }
    if (has_word(d.device_extensions, "EGL_MESA_device_software")) CHECK(d.software);
  }
  // "device" candidates without EGL_MESA_device_software are listed before those with it.
  bool seen_software_device = false;
  for (const GlDeviceInfo& d : p.devices) {
    if (d.platform != "device") continue;
    const bool sw = has_word(d.device_extensions, "EGL_MESA_device_software");
    if (sw) seen_software_device = true;
    if (!sw) CHECK(!seen_software_device);
  }
  // On a machine with Mesa (as our CI and dev machines), llvmpipe is found and marked software.
  bool found_llvmpipe = false;
  for (const GlDeviceInfo& d : p.devices) {
    if (d.usable && contains(d.gl_renderer, "llvmpipe")) {
      found_llvmpipe = true;
      CHECK(d.software);
    }
  }
  // Mesa's software device (EGL_MESA_device_software) is llvmpipe or softpipe, both ES 3.1+:
  // when it is listed, the probe must have found it usable.
  if (seen_software_device) CHECK(find_usable(true) != nullptr);
  if (!found_llvmpipe) std::printf("note: no llvmpipe device on this machine\n");
}

TEST(software_refused_unless_allowed) {
  if (!have_gl()) return;
  const GlDeviceInfo* sw = find_usable(true);
  const GlDeviceInfo* hw = find_usable(false);
  std::string why;
  std::unique_ptr<GlContext> ctx = create_gl_context("gl", false, &why);
  if (hw == nullptr) {
    CHECK(ctx == nullptr);
    CHECK(contains(why, "software rasterizer"));
    CHECK(contains(why, "allow_software"));
    std::printf("refusal: %s\n", why.c_str());
  } else {
    CHECK(ctx != nullptr);
    if (ctx != nullptr) CHECK(!ctx->info().software);
  }
  ctx.reset();
  if (sw == nullptr) {
    std::printf("SKIP: no usable software GL device\n");
    return;
  }
  const std::string name = "gl:" + std::to_string(sw->index);
  why.clear();
  CHECK(create_gl_context(name, false, &why) == nullptr);
  CHECK(contains(why, "software rasterizer"));
  why.clear();
  ctx = create_gl_context(name, true, &why);
  CHECK(ctx != nullptr);
  if (ctx != nullptr) {
    CHECK(why.empty());
    CHECK(ctx->info().software);
    CHECK(ctx->info().index == sw->index);
    CHECK(ctx->info().gl_renderer == sw->gl_renderer);
  }
}

TEST(relu_compute_matches_cpu) {
  if (!have_gl()) return;
  if (find_usable(true) == nullptr && find_usable(false) == nullptr) {
    CHECK(!"the probe found EGL but no usable GL device");
    return;
  }
  std::string why;
  std::unique_ptr<GlContext> ctx = create_gl_context("gl", true, &why);
  CHECK(ctx != nullptr);
  if (ctx == nullptr) {
    std::fprintf(stderr, "create_gl_context: %s\n", why.c_str());
    return;
  }
  CHECK(ctx->info().usable);
  std::printf("relu on %s (%s)\n", ctx->info().gl_renderer.c_str(), ctx->info().platform.c_str());
  check_relu_on(*ctx, 1000003, 1u);  // > 2^20 elements, a partial last quad and group
  check_relu_on(*ctx, 5, 2u);
  std::string selftest_error;
  CHECK(run_compute_selftest(*ctx, &selftest_error));
  CHECK(selftest_error.empty());
}

TEST(shader_compile_error_carries_info_log) {
  if (!have_gl()) return;
  std::unique_ptr<GlContext> ctx = create_gl_context("gl", true, nullptr);
  CHECK(ctx != nullptr);
  if (ctx == nullptr) return;
  const std::string bad = "#version 310 es\nlayout(local_size_x = 1) in;\n"
                          "void main() { int v = ; }\n";
  std::string message;
  try {
    ctx->compile_compute_program(bad, "broken");
  } catch (const GlError& e) {
    message = e.what();
  }
  CHECK(contains(message, "'broken' failed to compile"));
  // The driver's own log for the same source, fetched directly, must be inside the message.
  const GlesApi& gl = ctx->gl();
  const GLuint shader = gl.CreateShader(gles::kComputeShader);
  const GLchar* text = bad.c_str();
  gl.ShaderSource(shader, 1, &text, nullptr);
  gl.CompileShader(shader);
  GLint status = 1, length = 0;
  gl.GetShaderiv(shader, gles::kCompileStatus, &status);
  gl.GetShaderiv(shader, gles::kInfoLogLength, &length);
  std::vector<GLchar> log(static_cast<size_t>(std::max(length, 1)) + 1, '\0');
  gl.GetShaderInfoLog(shader, static_cast<GLsizei>(log.size()), nullptr, log.data());
  gl.DeleteShader(shader);
  const std::string driver_log(log.data());
  CHECK(status == 0);
  CHECK(!driver_log.empty());
  CHECK(contains(message, driver_log));
  std::printf("compile error: %s\n", message.c_str());
  ctx->check_error("after failed compile");

  // After a failed compile the context still builds a valid program.
  const GLuint ok = ctx->compile_compute_program(
      "#version 310 es\nlayout(local_size_x = 1) in;\nvoid main() {}\n", "empty");
  CHECK(ok != 0);
  gl.DeleteProgram(ok);
}

TEST(context_moves_between_threads) {
  if (!have_gl()) return;
  std::unique_ptr<GlContext> ctx = create_gl_context("gl", true, nullptr);
  CHECK(ctx != nullptr);
  if (ctx == nullptr) return;
  CHECK(ctx->is_current());
  // While current here, another thread cannot take it (EGL_BAD_ACCESS).
  std::string other_error;
  std::thread t1([&] {
    try {
      ctx->make_current();
      ctx->release_current();
    } catch (const GlError& e) {
      other_error = e.what();
    }
  });
  t1.join();
  CHECK(contains(other_error, "EGL_BAD_ACCESS (0x3002)"));
  // After release here, the other thread can use it.
  ctx->release_current();
  CHECK(!ctx->is_current());
  bool worker_ok = false;
  std::string worker_error;
  std::thread t2([&] {
    try {
      ctx->make_current();
      worker_ok = run_compute_selftest(*ctx, &worker_error);
      ctx->release_current();
    } catch (const GlError& e) {
      worker_error = e.what();
    }
  });
  t2.join();
  CHECK(worker_ok);
  if (!worker_ok) std::fprintf(stderr, "worker: %s\n", worker_error.c_str());
  ctx->make_current();
  CHECK(ctx->is_current());
}

TEST(probe_keeps_callers_context_current) {
  if (!have_gl()) return;
  std::unique_ptr<GlContext> ctx = create_gl_context("gl", true, nullptr);
  CHECK(ctx != nullptr);
  if (ctx == nullptr) return;
  const GlProbe again = probe_gl();
  CHECK(again.devices.size() == real_probe().devices.size());
  CHECK(ctx->is_current());
  std::string why;
  CHECK(run_compute_selftest(*ctx, &why));
  // Two live contexts at once, each usable after switching.
  std::unique_ptr<GlContext> second = create_gl_context("gl", true, nullptr);
  CHECK(second != nullptr);
  if (second == nullptr) return;
  CHECK(second->is_current());
  CHECK(!ctx->is_current());
  second.reset();
  ctx->make_current();
  CHECK(run_compute_selftest(*ctx, &why));
}
