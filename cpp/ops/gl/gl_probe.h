// GL device discovery and selection for the OpenGL ES compute backend.
//
// Candidates, in index order ("gl:N" names candidate N):
//   1. every EGL device from eglQueryDevicesEXT (EGL_EXT_device_enumeration), shown through
//      eglGetPlatformDisplayEXT(EGL_PLATFORM_DEVICE_EXT, dev) (EGL_EXT_platform_device);
//      devices without EGL_MESA_device_software come before those with it, each group in
//      EGL's order;
//   2. the Mesa surfaceless platform (EGL_MESA_platform_surfaceless), if offered;
//   3. eglGetDisplay(EGL_DEFAULT_DISPLAY).
// The same GPU can appear more than once (as a device and through the surfaceless or default
// display); `platform` tells them apart. Indices are stable for a given machine and driver set.
//
// Environment: FMN_EGL_LIBRARY overrides the EGL library (see egl_loader.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ops/gl/gl_context.h"

namespace fmn {
namespace gl {

struct GlProbe {
  bool egl_loaded = false;
  std::string egl_library;        // the library tried (egl_library_name())
  std::string load_error;         // when !egl_loaded: dlopen's message or the missing symbol
  std::string client_extensions;  // EGL client extensions ("" when none or not loaded)
  std::vector<std::string> notes;  // enumeration problems, e.g. eglQueryDevicesEXT's error
  std::vector<GlDeviceInfo> devices;  // every candidate, usable or not, by index
};

// Loads EGL and tries every candidate: creates a context (see GlContext::create), runs the
// compute self-test on it, and destroys it. Never throws for an absent or broken GL stack; it
// is all reported in the result. The calling thread's current EGL context, if any, is current
// again afterwards. Takes from milliseconds (GPU drivers) to a few hundred (llvmpipe) per
// candidate.
//
// hardware_only: the cheap probe "auto" uses. When EGL enumerates devices, candidates that EGL
// marks as software (EGL_MESA_device_software) and the surfaceless/default displays are listed
// but not initialised (usable = false, reason says so), so a machine without a GPU does not pay
// for starting a software rasterizer (tens of MB and tens of ms). Without device enumeration it
// probes everything, as the full probe does.
GlProbe probe_gl(bool hardware_only = false);

// Creates a context for `device`:
//   "gl"    the first usable candidate that is not software; when there is none and
//           allow_software is true, the first usable software one;
//   "gl:N"  candidate N; refused if it is software and allow_software is false.
// The context passes the compute self-test before it is returned, current on the calling
// thread. Returns null and sets *why_not (when given) for every "cannot" condition (no
// libEGL, no device, software refused, every step's EGL error); throws only for a malformed
// `device` string (std::invalid_argument).
std::unique_ptr<GlContext> create_gl_context(const std::string& device, bool allow_software,
                                             std::string* why_not);

// Dispatches y = max(x, 0) over 1000 floats in SSBOs on `ctx` (current on this thread) and
// compares the read-back with the same computation on the CPU. Returns false with *why set
// (the GL error, compile log or the first mismatching element) when they differ.
bool run_compute_selftest(GlContext& ctx, std::string* why);

// A human-readable multi-line report of a probe (what `doctor` prints).
std::string describe_probe(const GlProbe& probe);

}  // namespace gl
}  // namespace fmn
