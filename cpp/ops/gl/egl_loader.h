// Run-time loading of libEGL: the library is opened with dlopen and every entry point is
// resolved by name, so the engine links no GL library and works (without the GL backend)
// where none is installed.
//
// Which library: the environment variable FMN_EGL_LIBRARY, when set and non-empty, names it
// (a path, or a soname dlopen searches for; it is then the only one tried: naming one that
// does not exist simulates a machine without EGL). Otherwise "libEGL.so.1", which on desktop
// Linux is the glvnd dispatcher that routes to NVIDIA's or Mesa's EGL per display.
//
// load_egl() reads the variable on every call and keeps one loaded EglApi per library name
// for the life of the process (it never dlcloses: drivers do not survive being unloaded), so
// a test may change the variable between calls. It is thread-safe.
#pragma once

#include <string>

#include "ops/gl/gl_api.h"

namespace fmn {
namespace gl {

// The EGL entry points. The core ones are non-null in every EglApi load_egl() returns; those
// marked optional are null when the library lacks them (callers check before use).
struct EglApi {
  std::string library;            // the name that was dlopen'ed
  std::string client_extensions;  // eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS), or ""
  std::string client_version;     // eglQueryString(EGL_NO_DISPLAY, EGL_VERSION) (EGL 1.5), or ""

  PfnEglGetProcAddress GetProcAddress = nullptr;
  PfnEglGetError GetError = nullptr;
  PfnEglGetDisplay GetDisplay = nullptr;
  PfnEglInitialize Initialize = nullptr;
  PfnEglTerminate Terminate = nullptr;
  PfnEglQueryString QueryString = nullptr;
  PfnEglBindApi BindAPI = nullptr;
  PfnEglChooseConfig ChooseConfig = nullptr;
  PfnEglGetConfigAttrib GetConfigAttrib = nullptr;
  PfnEglCreateContext CreateContext = nullptr;
  PfnEglDestroyContext DestroyContext = nullptr;
  PfnEglMakeCurrent MakeCurrent = nullptr;
  PfnEglGetCurrentContext GetCurrentContext = nullptr;
  PfnEglGetCurrentDisplay GetCurrentDisplay = nullptr;
  PfnEglGetCurrentSurface GetCurrentSurface = nullptr;
  PfnEglReleaseThread ReleaseThread = nullptr;

  PfnEglGetPlatformDisplay GetPlatformDisplay = nullptr;           // optional (EGL 1.5)
  PfnEglGetPlatformDisplayExt GetPlatformDisplayEXT = nullptr;     // optional
  PfnEglQueryDevicesExt QueryDevicesEXT = nullptr;                 // optional
  PfnEglQueryDeviceStringExt QueryDeviceStringEXT = nullptr;       // optional
  PfnEglQueryDeviceAttribExt QueryDeviceAttribEXT = nullptr;       // optional

  // True when `name` is a word of client_extensions.
  bool has_client_extension(const char* name) const;
  // eglGetError() spelled as by egl_error_string().
  std::string last_error() const;
};

// The library load_egl() would open now: FMN_EGL_LIBRARY if set and non-empty, else
// "libEGL.so.1".
std::string egl_library_name();

// Loads (or returns the already loaded) EGL library named by egl_library_name(). Returns null
// and sets *error (naming the library and what failed: dlopen's message, or the missing entry
// point) when it cannot; never throws. The returned object lives until process exit.
const EglApi* load_egl(std::string* error);

// "EGL_BAD_MATCH" for 0x3009; "EGL_UNKNOWN_ERROR" for a code this file does not know.
const char* egl_error_name(EGLint code);
// "EGL_BAD_MATCH (0x3009)".
std::string egl_error_string(EGLint code);

// True when `word` occurs as a whole space-separated word in `list` (extension strings).
bool has_word(const std::string& list, const char* word);

}  // namespace gl
}  // namespace fmn
