#include "ops/gl/gl_probe.h"

#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fmn {
namespace gl {
namespace {

// A display to try, before any context exists.
struct Candidate {
  std::string platform;  // "device", "surfaceless", "default"
  EGLDeviceEXT device = nullptr;
  std::string device_extensions;
  std::string drm_path;
  int cuda_device = -1;
  bool software_by_extension = false;  // EGL_MESA_device_software
};

std::string safe_string(const char* s) { return s != nullptr ? s : ""; }

bool env_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr || v[0] == '\0';
}

Candidate describe_device(const EglApi& egl, EGLDeviceEXT dev) {
  Candidate c;
  c.platform = "device";
  c.device = dev;
  if (egl.QueryDeviceStringEXT != nullptr) {
    const char* ext = egl.QueryDeviceStringEXT(dev, egl::kExtensions);
    if (ext == nullptr) egl.GetError();
    c.device_extensions = safe_string(ext);
    const char* path = nullptr;
    if (has_word(c.device_extensions, "EGL_EXT_device_drm")) {
      path = egl.QueryDeviceStringEXT(dev, egl::kDrmDeviceFileExt);
      if (path == nullptr) egl.GetError();
    }
    if (path == nullptr && has_word(c.device_extensions, "EGL_EXT_device_drm_render_node")) {
      path = egl.QueryDeviceStringEXT(dev, egl::kDrmRenderNodeFileExt);
      if (path == nullptr) egl.GetError();
    }
    c.drm_path = safe_string(path);
  }
  if (egl.QueryDeviceAttribEXT != nullptr && has_word(c.device_extensions, "EGL_NV_device_cuda")) {
    EGLAttrib cuda = -1;
    if (egl.QueryDeviceAttribEXT(dev, egl::kCudaDeviceNv, &cuda)) {
      c.cuda_device = static_cast<int>(cuda);
    } else {
      egl.GetError();
    }
  }
  c.software_by_extension = has_word(c.device_extensions, "EGL_MESA_device_software");
  return c;
}

std::vector<Candidate> enumerate_candidates(const EglApi& egl, std::vector<std::string>* notes) {
  std::vector<Candidate> hardware, software;
  const bool can_enumerate = egl.has_client_extension("EGL_EXT_device_enumeration") ||
                             egl.has_client_extension("EGL_EXT_device_base");
  if (!can_enumerate || egl.QueryDevicesEXT == nullptr) {
    notes->push_back("EGL_EXT_device_enumeration is not offered: no per-device displays");
  } else {
    EGLint count = 0;
    if (!egl.QueryDevicesEXT(0, nullptr, &count)) {
      notes->push_back("eglQueryDevicesEXT (count) failed: " + egl.last_error());
      count = 0;
    }
    if (count > 0) {
      std::vector<EGLDeviceEXT> devices(static_cast<size_t>(count), nullptr);
      EGLint got = 0;
      if (!egl.QueryDevicesEXT(count, devices.data(), &got)) {
        notes->push_back("eglQueryDevicesEXT failed: " + egl.last_error());
        got = 0;
      }
      for (EGLint i = 0; i < got; ++i) {
        Candidate c = describe_device(egl, devices[static_cast<size_t>(i)]);
        (c.software_by_extension ? software : hardware).push_back(std::move(c));
      }
    } else if (count == 0) {
      notes->push_back("eglQueryDevicesEXT reports no EGL devices");
    }
  }
  std::vector<Candidate> all = std::move(hardware);
  for (Candidate& c : software) all.push_back(std::move(c));
  if (egl.has_client_extension("EGL_MESA_platform_surfaceless")) {
    Candidate c;
    c.platform = "surfaceless";
    all.push_back(c);
  } else {
    notes->push_back("EGL_MESA_platform_surfaceless is not offered");
  }
  Candidate def;
  def.platform = "default";
  all.push_back(def);
  return all;
}

// eglGetPlatformDisplayEXT when offered, else EGL 1.5's eglGetPlatformDisplay.
EGLDisplay platform_display(const EglApi& egl, EGLenum platform, void* native, std::string* why) {
  EGLDisplay d = egl::no_display();
  if (egl.GetPlatformDisplayEXT != nullptr && egl.has_client_extension("EGL_EXT_platform_base")) {
    d = egl.GetPlatformDisplayEXT(platform, native, nullptr);
  } else if (egl.GetPlatformDisplay != nullptr) {
    d = egl.GetPlatformDisplay(platform, native, nullptr);
  } else {
    *why = "neither eglGetPlatformDisplayEXT (EGL_EXT_platform_base) nor eglGetPlatformDisplay "
           "(EGL 1.5) is available";
    return egl::no_display();
  }
  if (d == egl::no_display()) *why = "eglGetPlatformDisplay failed: " + egl.last_error();
  return d;
}

EGLDisplay open_display(const EglApi& egl, const Candidate& c, std::string* why) {
  if (c.platform == "device") {
    if (!egl.has_client_extension("EGL_EXT_platform_device")) {
      *why = "EGL_EXT_platform_device is not offered, so the device has no display";
      return egl::no_display();
    }
    return platform_display(egl, egl::kPlatformDeviceExt, c.device, why);
  }
  if (c.platform == "surfaceless") {
    return platform_display(egl, egl::kPlatformSurfacelessMesa, egl::default_display(), why);
  }
  EGLDisplay d = egl.GetDisplay(egl::default_display());
  if (d == egl::no_display()) *why = "eglGetDisplay(EGL_DEFAULT_DISPLAY) failed: " + egl.last_error();
  return d;
}

// Creates, checks and self-tests a context on one candidate; fills *info in every case.
std::unique_ptr<GlContext> try_candidate(const EglApi& egl, const Candidate& c, int index,
                                         GlDeviceInfo* info) {
  *info = GlDeviceInfo();
  info->index = index;
  info->platform = c.platform;
  info->device_extensions = c.device_extensions;
  info->drm_path = c.drm_path;
  info->cuda_device = c.cuda_device;
  info->software = c.software_by_extension;
  std::string why;
  EGLDisplay display = open_display(egl, c, &why);
  if (display == egl::no_display()) {
    info->reason = why;
    return nullptr;
  }
  std::unique_ptr<GlContext> ctx = GlContext::create(egl, display, info);
  if (ctx == nullptr) {
    if (c.platform == "default" && env_empty("DISPLAY") && env_empty("WAYLAND_DISPLAY")) {
      info->reason += " (the default display belongs to the window system, and neither DISPLAY "
                      "nor WAYLAND_DISPLAY is set)";
    }
    return nullptr;
  }
  std::string test_error;
  bool passed = false;
  try {
    passed = run_compute_selftest(*ctx, &test_error);
  } catch (const std::exception& e) {
    test_error = e.what();
  }
  if (!passed) {
    info->usable = false;
    info->reason = "compute self-test failed: " + test_error;
    return nullptr;
  }
  return ctx;
}

std::string label(const GlDeviceInfo& info) {
  std::string s = "gl:" + std::to_string(info.index) + " (" + info.platform;
  if (!info.gl_renderer.empty()) s += ", " + info.gl_renderer;
  else if (!info.drm_path.empty()) s += ", " + info.drm_path;
  return s + ")";
}

std::string software_refusal(const GlDeviceInfo& info) {
  std::string what = info.gl_renderer.empty() ? "EGL_MESA_device_software" : info.gl_renderer;
  return label(info) + ": software rasterizer (" + what +
         "), refused because allow_software is false";
}

}  // namespace

bool run_compute_selftest(GlContext& ctx, std::string* why) {
  static const char* kShader = R"(#version 310 es
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Src { float x[]; };
layout(std430, binding = 1) writeonly buffer Dst { float y[]; };
layout(location = 0) uniform uint n;
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < n) y[i] = max(x[i], 0.0);
}
)";
  constexpr int kCount = 1000;  // not a multiple of the work-group size: exercises the bound
  std::vector<float> x(kCount);
  uint32_t state = 12345u;
  for (int i = 0; i < kCount; ++i) {
    state = state * 1664525u + 1013904223u;
    x[static_cast<size_t>(i)] =
        (i % 10 == 0) ? 0.0f : (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * 8.0f;
  }
  const std::vector<float> sentinel(kCount, -12345.0f);
  const GlesApi& gl = ctx.gl();
  const GLsizeiptr bytes = static_cast<GLsizeiptr>(sizeof(float) * kCount);

  GLuint program = 0;
  GLuint buffers[2] = {0, 0};
  bool ok = false;
  try {
    program = ctx.compile_compute_program(kShader, "selftest_relu");
    gl.GenBuffers(2, buffers);
    gl.BindBuffer(gles::kShaderStorageBuffer, buffers[0]);
    gl.BufferData(gles::kShaderStorageBuffer, bytes, x.data(), gles::kStaticDraw);
    gl.BindBuffer(gles::kShaderStorageBuffer, buffers[1]);
    gl.BufferData(gles::kShaderStorageBuffer, bytes, sentinel.data(), gles::kDynamicRead);
    gl.BindBufferBase(gles::kShaderStorageBuffer, 0, buffers[0]);
    gl.BindBufferBase(gles::kShaderStorageBuffer, 1, buffers[1]);
    gl.UseProgram(program);
    gl.Uniform1ui(0, static_cast<GLuint>(kCount));
    gl.DispatchCompute(static_cast<GLuint>((kCount + 63) / 64), 1, 1);
    gl.MemoryBarrier(gles::kBufferUpdateBarrierBit);
    ctx.check_error("self-test dispatch");
    gl.BindBuffer(gles::kShaderStorageBuffer, buffers[1]);
    const void* mapped = gl.MapBufferRange(gles::kShaderStorageBuffer, 0, bytes,
                                           gles::kMapReadBit);
    if (mapped == nullptr) {
      ctx.check_error("self-test glMapBufferRange");
      throw GlError("glMapBufferRange returned null");
    }
    const float* y = static_cast<const float*>(mapped);
    ok = true;
    for (int i = 0; i < kCount; ++i) {
      const float xi = x[static_cast<size_t>(i)];
      const float expect = xi > 0.0f ? xi : 0.0f;
      if (!(y[i] == expect)) {
        *why = "element " + std::to_string(i) + ": GPU " + std::to_string(y[i]) + ", CPU " +
               std::to_string(expect) + " (x = " + std::to_string(xi) + ")";
        ok = false;
        break;
      }
    }
    gl.UnmapBuffer(gles::kShaderStorageBuffer);
  } catch (const GlError& e) {
    *why = e.what();
    ok = false;
  }
  gl.UseProgram(0);
  gl.BindBuffer(gles::kShaderStorageBuffer, 0);
  if (buffers[0] != 0) gl.DeleteBuffers(2, buffers);
  if (program != 0) gl.DeleteProgram(program);
  gl.GetError();
  return ok;
}

GlProbe probe_gl(bool hardware_only) {
  GlProbe probe;
  probe.egl_library = egl_library_name();
  std::string error;
  const EglApi* egl = load_egl(&error);
  if (egl == nullptr) {
    probe.load_error = error;
    return probe;
  }
  probe.egl_loaded = true;
  probe.client_extensions = egl->client_extensions;
  ScopedEglCurrentRestore restore(*egl);
  const std::vector<Candidate> candidates = enumerate_candidates(*egl, &probe.notes);
  bool enumerated = false;
  for (const Candidate& c : candidates) enumerated = enumerated || c.platform == "device";
  for (size_t i = 0; i < candidates.size(); ++i) {
    GlDeviceInfo info;
    const Candidate& c = candidates[i];
    if (hardware_only && enumerated && (c.software_by_extension || c.platform != "device")) {
      info.index = static_cast<int>(i);
      info.platform = c.platform;
      info.device_extensions = c.device_extensions;
      info.drm_path = c.drm_path;
      info.cuda_device = c.cuda_device;
      info.software = c.software_by_extension;
      info.reason = c.software_by_extension
                        ? "software rasterizer (EGL_MESA_device_software); not started by the "
                          "hardware-only probe"
                        : "not started by the hardware-only probe (EGL enumerates the devices)";
      probe.devices.push_back(std::move(info));
      continue;
    }
    std::unique_ptr<GlContext> ctx = try_candidate(*egl, c, static_cast<int>(i), &info);
    ctx.reset();
    probe.devices.push_back(std::move(info));
  }
  return probe;
}

std::unique_ptr<GlContext> create_gl_context(const std::string& device, bool allow_software,
                                             std::string* why_not) {
  std::string scratch;
  std::string& why = why_not != nullptr ? *why_not : scratch;
  why.clear();
  int wanted = -1;  // -1: automatic
  if (device == "gl") {
    wanted = -1;
  } else if (device.compare(0, 3, "gl:") == 0 && device.size() > 3 &&
             device.find_first_not_of("0123456789", 3) == std::string::npos &&
             device.size() <= 12) {
    wanted = std::atoi(device.c_str() + 3);
  } else {
    throw std::invalid_argument("GL device must be \"gl\" or \"gl:N\", got \"" + device + "\"");
  }

  std::string error;
  const EglApi* egl = load_egl(&error);
  if (egl == nullptr) {
    why = "OpenGL ES is unavailable: " + error;
    return nullptr;
  }
  ScopedEglCurrentRestore restore(*egl);
  std::vector<std::string> notes;
  const std::vector<Candidate> candidates = enumerate_candidates(*egl, &notes);

  if (wanted >= 0) {
    if (static_cast<size_t>(wanted) >= candidates.size()) {
      why = device + " does not exist: there are " + std::to_string(candidates.size()) +
            " GL candidates (gl:0 .. gl:" + std::to_string(candidates.size() - 1) + ")";
      return nullptr;
    }
    const Candidate& c = candidates[static_cast<size_t>(wanted)];
    GlDeviceInfo info;
    if (c.software_by_extension && !allow_software) {
      info.index = wanted;
      info.platform = c.platform;
      why = software_refusal(info);
      return nullptr;
    }
    std::unique_ptr<GlContext> ctx = try_candidate(*egl, c, wanted, &info);
    if (ctx == nullptr) {
      why = label(info) + ": " + info.reason;
      return nullptr;
    }
    if (info.software && !allow_software) {
      ctx.reset();
      why = software_refusal(info);
      return nullptr;
    }
    restore.dismiss();
    return ctx;
  }

  // Automatic: hardware first; software only when allowed and nothing else works.
  std::map<int, std::string> reasons;  // by candidate index
  std::unique_ptr<GlContext> software_fallback;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      const Candidate& c = candidates[i];
      const int index = static_cast<int>(i);
      if ((pass == 0) == c.software_by_extension) continue;  // pass 0: not known software
      GlDeviceInfo info;
      if (c.software_by_extension && !allow_software) {
        info.index = index;
        info.platform = c.platform;
        reasons[index] = software_refusal(info);
        continue;
      }
      // Among software candidates the lowest index wins, so a Mesa software device is preferred
      // to the same rasterizer reached through the surfaceless or default display.
      if (c.software_by_extension && software_fallback != nullptr &&
          software_fallback->info().index < index) {
        continue;
      }
      std::unique_ptr<GlContext> ctx = try_candidate(*egl, c, index, &info);
      if (ctx == nullptr) {
        reasons[index] = label(info) + ": " + info.reason;
        continue;
      }
      if (!info.software) {
        restore.dismiss();
        return ctx;
      }
      if (!allow_software) {
        reasons[index] = software_refusal(info);
      } else if (software_fallback == nullptr || info.index < software_fallback->info().index) {
        software_fallback = std::move(ctx);
      }
    }
  }
  if (software_fallback != nullptr) {
    try {
      software_fallback->make_current();
      restore.dismiss();
      return software_fallback;
    } catch (const GlError& e) {
      reasons[software_fallback->info().index] = label(software_fallback->info()) + ": " + e.what();
      software_fallback.reset();
    }
  }
  why = "no usable OpenGL ES 3.1 device";
  for (const std::string& n : notes) why += "; " + n;
  for (const auto& r : reasons) why += "; " + r.second;
  return nullptr;
}

std::string describe_probe(const GlProbe& probe) {
  std::ostringstream out;
  out << "EGL library: " << probe.egl_library;
  if (!probe.egl_loaded) {
    out << " (not loaded: " << probe.load_error << ")\n";
    return out.str();
  }
  out << " (loaded)\n";
  out << "EGL client extensions: "
      << (probe.client_extensions.empty() ? "(none)" : probe.client_extensions) << "\n";
  for (const std::string& n : probe.notes) out << "note: " << n << "\n";
  for (const GlDeviceInfo& d : probe.devices) {
    out << "gl:" << d.index << " [" << d.platform << "] ";
    if (d.usable) {
      out << (d.software ? "usable, SOFTWARE" : "usable");
    } else {
      out << "not usable: " << d.reason;
    }
    out << "\n";
    if (!d.drm_path.empty()) out << "    drm: " << d.drm_path << "\n";
    if (d.cuda_device >= 0) out << "    cuda device: " << d.cuda_device << "\n";
    if (!d.device_extensions.empty()) out << "    device extensions: " << d.device_extensions << "\n";
    if (!d.egl_vendor.empty()) {
      out << "    EGL: " << d.egl_vendor << ", " << d.egl_version << "\n";
    }
    if (!d.gl_renderer.empty()) {
      out << "    GL: " << d.gl_vendor << " | " << d.gl_renderer << " | " << d.gl_version
          << " | " << d.glsl_version << "\n";
    }
    if (d.usable) {
      const GlComputeLimits& l = d.limits;
      out << "    compute: max invocations " << l.work_group_invocations << ", max size "
          << l.work_group_size[0] << "x" << l.work_group_size[1] << "x" << l.work_group_size[2]
          << ", shared " << l.shared_memory_bytes << " B, SSBO bindings " << l.ssbo_bindings
          << ", SSBO block " << l.ssbo_block_bytes << " B\n";
    }
  }
  return out.str();
}

}  // namespace gl
}  // namespace fmn
