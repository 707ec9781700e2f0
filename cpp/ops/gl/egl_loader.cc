#include "ops/gl/egl_loader.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

namespace fmn {
namespace gl {
namespace {

constexpr const char* kDefaultEglLibrary = "libEGL.so.1";

// Resolves `name` with dlsym first (core entry points are exported) and eglGetProcAddress
// second; stores the result in *slot. Returns false when neither has it.
template <typename Fn>
bool resolve(void* handle, PfnEglGetProcAddress get_proc, const char* name, Fn* slot) {
  void* sym = dlsym(handle, name);
  if (sym == nullptr && get_proc != nullptr) {
    sym = reinterpret_cast<void*>(get_proc(name));
  }
  *slot = reinterpret_cast<Fn>(sym);
  return sym != nullptr;
}

// Extension entry points come from eglGetProcAddress only: with glvnd the dispatcher's stubs
// are what route a call to the right vendor.
template <typename Fn>
void resolve_ext(PfnEglGetProcAddress get_proc, const char* name, Fn* slot) {
  *slot = reinterpret_cast<Fn>(get_proc(name));
}

std::unique_ptr<EglApi> open_egl(const std::string& library, std::string* error) {
  dlerror();
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* msg = dlerror();
    *error = "cannot load " + library + ": " + (msg != nullptr ? msg : "dlopen failed");
    return nullptr;
  }
  auto api = std::make_unique<EglApi>();
  api->library = library;
  api->GetProcAddress =
      reinterpret_cast<PfnEglGetProcAddress>(dlsym(handle, "eglGetProcAddress"));
  if (api->GetProcAddress == nullptr) {
    // Left open on purpose: some libraries misbehave when unloaded, and this is rare.
    if (dlsym(handle, "__egl_Main") != nullptr) {
      *error = library + " is a glvnd vendor library, not an EGL API library (load the "
               "dispatcher libEGL.so.1 instead)";
    } else {
      *error = library + " was loaded but does not export eglGetProcAddress (not an EGL "
               "library?)";
    }
    return nullptr;
  }
  struct Core {
    const char* name;
    bool ok;
  };
  const Core core[] = {
      {"eglGetError", resolve(handle, api->GetProcAddress, "eglGetError", &api->GetError)},
      {"eglGetDisplay", resolve(handle, api->GetProcAddress, "eglGetDisplay", &api->GetDisplay)},
      {"eglInitialize", resolve(handle, api->GetProcAddress, "eglInitialize", &api->Initialize)},
      {"eglTerminate", resolve(handle, api->GetProcAddress, "eglTerminate", &api->Terminate)},
      {"eglQueryString",
       resolve(handle, api->GetProcAddress, "eglQueryString", &api->QueryString)},
      {"eglBindAPI", resolve(handle, api->GetProcAddress, "eglBindAPI", &api->BindAPI)},
      {"eglChooseConfig",
       resolve(handle, api->GetProcAddress, "eglChooseConfig", &api->ChooseConfig)},
      {"eglGetConfigAttrib",
       resolve(handle, api->GetProcAddress, "eglGetConfigAttrib", &api->GetConfigAttrib)},
      {"eglCreateContext",
       resolve(handle, api->GetProcAddress, "eglCreateContext", &api->CreateContext)},
      {"eglDestroyContext",
       resolve(handle, api->GetProcAddress, "eglDestroyContext", &api->DestroyContext)},
      {"eglMakeCurrent", resolve(handle, api->GetProcAddress, "eglMakeCurrent", &api->MakeCurrent)},
      {"eglGetCurrentContext",
       resolve(handle, api->GetProcAddress, "eglGetCurrentContext", &api->GetCurrentContext)},
      {"eglGetCurrentDisplay",
       resolve(handle, api->GetProcAddress, "eglGetCurrentDisplay", &api->GetCurrentDisplay)},
      {"eglGetCurrentSurface",
       resolve(handle, api->GetProcAddress, "eglGetCurrentSurface", &api->GetCurrentSurface)},
      {"eglReleaseThread",
       resolve(handle, api->GetProcAddress, "eglReleaseThread", &api->ReleaseThread)},
  };
  for (const Core& c : core) {
    if (!c.ok) {
      *error = library + " lacks the EGL entry point " + c.name;
      return nullptr;
    }
  }
  resolve(handle, api->GetProcAddress, "eglGetPlatformDisplay", &api->GetPlatformDisplay);
  resolve_ext(api->GetProcAddress, "eglGetPlatformDisplayEXT", &api->GetPlatformDisplayEXT);
  resolve_ext(api->GetProcAddress, "eglQueryDevicesEXT", &api->QueryDevicesEXT);
  resolve_ext(api->GetProcAddress, "eglQueryDeviceStringEXT", &api->QueryDeviceStringEXT);
  resolve_ext(api->GetProcAddress, "eglQueryDeviceAttribEXT", &api->QueryDeviceAttribEXT);

  // Without EGL_EXT_client_extensions this query fails with EGL_BAD_DISPLAY; that only means
  // there are no client extensions.
  const char* ext = api->QueryString(egl::no_display(), egl::kExtensions);
  if (ext == nullptr) api->GetError();
  api->client_extensions = ext != nullptr ? ext : "";
  const char* ver = api->QueryString(egl::no_display(), egl::kVersion);
  if (ver == nullptr) api->GetError();
  api->client_version = ver != nullptr ? ver : "";
  return api;
}

}  // namespace

bool has_word(const std::string& list, const char* word) {
  const size_t n = std::strlen(word);
  if (n == 0) return false;
  size_t pos = 0;
  while ((pos = list.find(word, pos)) != std::string::npos) {
    const bool start_ok = pos == 0 || list[pos - 1] == ' ';
    const bool end_ok = pos + n == list.size() || list[pos + n] == ' ';
    if (start_ok && end_ok) return true;
    pos += n;
  }
  return false;
}

bool EglApi::has_client_extension(const char* name) const {
  return has_word(client_extensions, name);
}

std::string EglApi::last_error() const { return egl_error_string(GetError()); }

std::string egl_library_name() {
  const char* env = std::getenv("FMN_EGL_LIBRARY");
  if (env != nullptr && env[0] != '\0') return env;
  return kDefaultEglLibrary;
}

const EglApi* load_egl(std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<EglApi>> loaded;
  const std::string library = egl_library_name();
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded.find(library);
  if (it != loaded.end()) return it->second.get();
  std::string why;
  std::unique_ptr<EglApi> api = open_egl(library, &why);
  if (api == nullptr) {
    if (error != nullptr) *error = why;
    return nullptr;
  }
  const EglApi* result = api.get();
  loaded.emplace(library, std::move(api));
  return result;
}

const char* egl_error_name(EGLint code) {
  switch (code) {
    case egl::kSuccess: return "EGL_SUCCESS";
    case egl::kNotInitialized: return "EGL_NOT_INITIALIZED";
    case egl::kBadAccess: return "EGL_BAD_ACCESS";
    case egl::kBadAlloc: return "EGL_BAD_ALLOC";
    case egl::kBadAttribute: return "EGL_BAD_ATTRIBUTE";
    case egl::kBadConfig: return "EGL_BAD_CONFIG";
    case egl::kBadContext: return "EGL_BAD_CONTEXT";
    case egl::kBadCurrentSurface: return "EGL_BAD_CURRENT_SURFACE";
    case egl::kBadDisplay: return "EGL_BAD_DISPLAY";
    case egl::kBadMatch: return "EGL_BAD_MATCH";
    case egl::kBadNativePixmap: return "EGL_BAD_NATIVE_PIXMAP";
    case egl::kBadNativeWindow: return "EGL_BAD_NATIVE_WINDOW";
    case egl::kBadParameter: return "EGL_BAD_PARAMETER";
    case egl::kBadSurface: return "EGL_BAD_SURFACE";
    case egl::kContextLost: return "EGL_CONTEXT_LOST";
    case egl::kBadDeviceExt: return "EGL_BAD_DEVICE_EXT";
    default: return "EGL_UNKNOWN_ERROR";
  }
}

std::string egl_error_string(EGLint code) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%04X", static_cast<unsigned>(code));
  return std::string(egl_error_name(code)) + " (" + hex + ")";
}

}  // namespace gl
}  // namespace fmn
