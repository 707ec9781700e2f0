// The subset of the EGL 1.5 and OpenGL ES 3.1 C APIs the GL backend uses, declared here so that
// building needs no EGL/GLES development headers and the library loads with no GL installed:
// every entry point is reached through a pointer resolved at run time (egl_loader.h,
// gles_loader.h).
//
// Types follow the Khronos registry headers (EGL/egl.h, EGL/eglext.h, GLES3/gl31.h) for
// LP64/ILP32 Unix; enum values were checked against those headers, and tests/cpp/
// test_gl_context.cc re-checks them with static_asserts whenever the system headers exist.
// Constants are spelled kName inside namespaces egl:: and gles:: (not EGL_NAME / GL_NAME) so
// that this header and the Khronos headers can be included in one translation unit.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(_WIN32)
#define FMN_GL_APIENTRY __stdcall
#else
#define FMN_GL_APIENTRY
#endif

namespace fmn {
namespace gl {

// ---- EGL types ----
using EGLBoolean = unsigned int;
using EGLenum = unsigned int;
using EGLint = std::int32_t;
using EGLAttrib = std::intptr_t;
using EGLDisplay = void*;
using EGLConfig = void*;
using EGLContext = void*;
using EGLSurface = void*;
using EGLDeviceEXT = void*;
using EGLNativeDisplayType = void*;  // the generic Unix (and surfaceless/device) spelling

// ---- GL ES types ----
using GLenum = unsigned int;
using GLboolean = unsigned char;
using GLbitfield = unsigned int;
using GLbyte = std::int8_t;
using GLubyte = std::uint8_t;
using GLint = int;
using GLuint = unsigned int;
using GLsizei = int;
using GLfloat = float;
using GLchar = char;
using GLint64 = std::int64_t;
using GLuint64 = std::uint64_t;
using GLintptr = std::intptr_t;
using GLsizeiptr = std::ptrdiff_t;
using GLsync = struct GLsyncOpaque*;

namespace egl {
constexpr EGLBoolean kFalse = 0;
constexpr EGLBoolean kTrue = 1;
constexpr EGLint kNone = 0x3038;
constexpr EGLint kDontCare = -1;

// Errors (eglGetError); egl_error_name() in egl_loader.h spells them.
constexpr EGLint kSuccess = 0x3000;
constexpr EGLint kNotInitialized = 0x3001;
constexpr EGLint kBadAccess = 0x3002;
constexpr EGLint kBadAlloc = 0x3003;
constexpr EGLint kBadAttribute = 0x3004;
constexpr EGLint kBadConfig = 0x3005;
constexpr EGLint kBadContext = 0x3006;
constexpr EGLint kBadCurrentSurface = 0x3007;
constexpr EGLint kBadDisplay = 0x3008;
constexpr EGLint kBadMatch = 0x3009;
constexpr EGLint kBadNativePixmap = 0x300A;
constexpr EGLint kBadNativeWindow = 0x300B;
constexpr EGLint kBadParameter = 0x300C;
constexpr EGLint kBadSurface = 0x300D;
constexpr EGLint kContextLost = 0x300E;
// EGL_EXT_device_base / EGL_EXT_device_enumeration report these too.
constexpr EGLint kBadDeviceExt = 0x322B;

// eglQueryString names.
constexpr EGLint kVendor = 0x3053;
constexpr EGLint kVersion = 0x3054;
constexpr EGLint kExtensions = 0x3055;
constexpr EGLint kClientApis = 0x308D;

// Config attributes and values.
constexpr EGLint kRenderableType = 0x3040;
constexpr EGLint kSurfaceType = 0x3033;
constexpr EGLint kConfigCaveat = 0x3027;
constexpr EGLint kOpenGlEs3Bit = 0x0040;
constexpr EGLint kPbufferBit = 0x0001;

// eglBindAPI.
constexpr EGLenum kOpenGlEsApi = 0x30A0;

// Context attributes (EGL 1.5 core, same values as EGL_KHR_create_context).
constexpr EGLint kContextMajorVersion = 0x3098;  // == EGL_CONTEXT_CLIENT_VERSION
constexpr EGLint kContextMinorVersion = 0x30FB;

// eglGetCurrentSurface.
constexpr EGLint kDraw = 0x3059;
constexpr EGLint kRead = 0x305A;

// EGL_EXT_platform_device, EGL_MESA_platform_surfaceless.
constexpr EGLenum kPlatformDeviceExt = 0x313F;
constexpr EGLenum kPlatformSurfacelessMesa = 0x31DD;

// EGL_EXT_device_drm, EGL_EXT_device_drm_render_node, EGL_NV_device_cuda.
constexpr EGLint kDrmDeviceFileExt = 0x3233;
constexpr EGLint kDrmRenderNodeFileExt = 0x3377;
constexpr EGLint kCudaDeviceNv = 0x323A;

inline EGLDisplay no_display() { return nullptr; }
inline EGLContext no_context() { return nullptr; }
inline EGLSurface no_surface() { return nullptr; }
inline EGLNativeDisplayType default_display() { return nullptr; }
}  // namespace egl

namespace gles {
constexpr GLboolean kFalse = 0;
constexpr GLboolean kTrue = 1;

// Errors (glGetError); gl_error_name() in gles_loader.h spells them.
constexpr GLenum kNoError = 0;
constexpr GLenum kInvalidEnum = 0x0500;
constexpr GLenum kInvalidValue = 0x0501;
constexpr GLenum kInvalidOperation = 0x0502;
constexpr GLenum kOutOfMemory = 0x0505;
constexpr GLenum kInvalidFramebufferOperation = 0x0506;
constexpr GLenum kContextLost = 0x0507;  // ES 3.2 / KHR_robustness

// glGetString.
constexpr GLenum kVendor = 0x1F00;
constexpr GLenum kRenderer = 0x1F01;
constexpr GLenum kVersion = 0x1F02;
constexpr GLenum kExtensions = 0x1F03;
constexpr GLenum kShadingLanguageVersion = 0x8B8C;

// glGetIntegerv / glGetIntegeri_v / glGetInteger64v.
constexpr GLenum kMajorVersion = 0x821B;
constexpr GLenum kMinorVersion = 0x821C;
constexpr GLenum kMaxComputeWorkGroupCount = 0x91BE;
constexpr GLenum kMaxComputeWorkGroupSize = 0x91BF;
constexpr GLenum kMaxComputeWorkGroupInvocations = 0x90EB;
constexpr GLenum kMaxComputeSharedMemorySize = 0x8262;
constexpr GLenum kMaxComputeShaderStorageBlocks = 0x90DB;
constexpr GLenum kMaxComputeImageUniforms = 0x91BD;
constexpr GLenum kMaxShaderStorageBufferBindings = 0x90DD;
constexpr GLenum kMaxShaderStorageBlockSize = 0x90DE;

// Shaders and programs.
constexpr GLenum kComputeShader = 0x91B9;
constexpr GLenum kCompileStatus = 0x8B81;
constexpr GLenum kLinkStatus = 0x8B82;
constexpr GLenum kInfoLogLength = 0x8B84;

// Buffers.
constexpr GLenum kShaderStorageBuffer = 0x90D2;
constexpr GLenum kCopyReadBuffer = 0x8F36;
constexpr GLenum kCopyWriteBuffer = 0x8F37;
constexpr GLenum kStaticDraw = 0x88E4;
constexpr GLenum kDynamicDraw = 0x88E8;
constexpr GLenum kDynamicRead = 0x88E9;
constexpr GLenum kDynamicCopy = 0x88EA;
constexpr GLenum kStreamRead = 0x88E1;
constexpr GLbitfield kMapReadBit = 0x0001;
constexpr GLbitfield kMapWriteBit = 0x0002;
constexpr GLbitfield kMapInvalidateBufferBit = 0x0008;

// glMemoryBarrier bits.
constexpr GLbitfield kShaderImageAccessBarrierBit = 0x00000020;
constexpr GLbitfield kTextureFetchBarrierBit = 0x00000008;
constexpr GLbitfield kBufferUpdateBarrierBit = 0x00000200;
constexpr GLbitfield kShaderStorageBarrierBit = 0x00002000;
constexpr GLbitfield kAllBarrierBits = 0xFFFFFFFFu;

// Sync objects.
constexpr GLenum kSyncGpuCommandsComplete = 0x9117;
constexpr GLbitfield kSyncFlushCommandsBit = 0x00000001;
constexpr GLenum kAlreadySignaled = 0x911A;
constexpr GLenum kTimeoutExpired = 0x911B;
constexpr GLenum kConditionSatisfied = 0x911C;
constexpr GLenum kWaitFailed = 0x911D;
constexpr GLuint64 kTimeoutIgnored = 0xFFFFFFFFFFFFFFFFull;

// Textures and images (for later image-based kernels).
constexpr GLenum kTexture2D = 0x0DE1;
constexpr GLenum kTexture2DArray = 0x8C1A;
constexpr GLenum kRgba32f = 0x8814;
constexpr GLenum kRgba16f = 0x881A;
constexpr GLenum kRgba = 0x1908;
constexpr GLenum kFloat = 0x1406;
constexpr GLenum kHalfFloat = 0x140B;
constexpr GLenum kReadOnly = 0x88B8;
constexpr GLenum kWriteOnly = 0x88B9;
constexpr GLenum kReadWrite = 0x88BA;
constexpr GLenum kTextureMinFilter = 0x2801;
constexpr GLenum kTextureMagFilter = 0x2800;
constexpr GLenum kNearest = 0x2600;
}  // namespace gles

// ---- EGL entry points (EGL 1.4 core, EGL 1.5 core, and the extensions named) ----
using EglProc = void (*)();
using PfnEglGetProcAddress = EglProc(FMN_GL_APIENTRY*)(const char*);
using PfnEglGetError = EGLint(FMN_GL_APIENTRY*)();
using PfnEglGetDisplay = EGLDisplay(FMN_GL_APIENTRY*)(EGLNativeDisplayType);
using PfnEglInitialize = EGLBoolean(FMN_GL_APIENTRY*)(EGLDisplay, EGLint*, EGLint*);
using PfnEglTerminate = EGLBoolean(FMN_GL_APIENTRY*)(EGLDisplay);
using PfnEglQueryString = const char*(FMN_GL_APIENTRY*)(EGLDisplay, EGLint);
using PfnEglBindApi = EGLBoolean(FMN_GL_APIENTRY*)(EGLenum);
using PfnEglChooseConfig = EGLBoolean(FMN_GL_APIENTRY*)(EGLDisplay, const EGLint*, EGLConfig*,
                                                         EGLint, EGLint*);
using PfnEglGetConfigAttrib = EGLBoolean(FMN_GL_APIENTRY*)(EGLDisplay, EGLConfig, EGLint,
                                                            EGLint*);
using PfnEglCreateContext = EGLContext(FMN_GL_APIENTRY*)(EGLDisplay, EGLConfig, EGLContext,
                                                         const EGLint*);
using PfnEglDestroyContext = EGLBoolean(FMN_GL_APIENTRY*)(EGLDisplay, EGLContext);
using PfnEglMakeCurrent = EGLBoolean(FMN_GL_APIENTRY*)(EGLDisplay, EGLSurface, EGLSurface,
                                                       EGLContext);
using PfnEglGetCurrentContext = EGLContext(FMN_GL_APIENTRY*)();
using PfnEglGetCurrentDisplay = EGLDisplay(FMN_GL_APIENTRY*)();
using PfnEglGetCurrentSurface = EGLSurface(FMN_GL_APIENTRY*)(EGLint);
using PfnEglReleaseThread = EGLBoolean(FMN_GL_APIENTRY*)();
// EGL 1.5 core.
using PfnEglGetPlatformDisplay = EGLDisplay(FMN_GL_APIENTRY*)(EGLenum, void*, const EGLAttrib*);
// EGL_EXT_platform_base.
using PfnEglGetPlatformDisplayExt = EGLDisplay(FMN_GL_APIENTRY*)(EGLenum, void*, const EGLint*);
// EGL_EXT_device_enumeration / EGL_EXT_device_query.
using PfnEglQueryDevicesExt = EGLBoolean(FMN_GL_APIENTRY*)(EGLint, EGLDeviceEXT*, EGLint*);
using PfnEglQueryDeviceStringExt = const char*(FMN_GL_APIENTRY*)(EGLDeviceEXT, EGLint);
using PfnEglQueryDeviceAttribExt = EGLBoolean(FMN_GL_APIENTRY*)(EGLDeviceEXT, EGLint,
                                                                EGLAttrib*);

}  // namespace gl
}  // namespace fmn
