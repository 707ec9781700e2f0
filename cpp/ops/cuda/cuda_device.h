// The device API the CUDA executor uses: memory, streams, copies, graphs, device queries.
// Two implementations share this header: cuda_device.cc (the CUDA runtime, linked statically;
// the runtime loads the driver, libcuda.so.1, itself when first asked, so a build with CUDA
// imports and runs on the CPU where no driver is installed) in namespace fmn::cuda, and the
// host emulation in cuda_emulated.cc in namespace fmn::cuda_emu (host memory, streams that run
// each operation at once or record it while a graph is captured). Include it with
// FMN_CUDA_NS defined as one of those two names.
//
// Every call throws CudaError naming the operation and the runtime's error text.
#pragma once

#include <cstddef>
#include <string>

#include "ops/cuda/cuda_error.h"

#ifndef FMN_CUDA_NS
#error "define FMN_CUDA_NS (cuda or cuda_emu) before including ops/cuda/cuda_device.h"
#endif

namespace fmn {


namespace FMN_CUDA_NS {

using StreamHandle = void*;
using GraphHandle = void*;

struct DeviceInfo {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;   // compute capability
  size_t total_memory = 0;          // bytes
  int multiprocessors = 0;
  int driver_version = 0;           // e.g. 13000 for 13.0 (0: none)
  int runtime_version = 0;
};

// How many devices there are; 0 with the reason in *why_none (no driver, no device, ...).
int device_count(std::string* why_none);
DeviceInfo device_info(int device);
// Makes `device` current for the calling thread.
void set_device(int device);

void* device_alloc(size_t bytes);  // never null; throws on failure
void device_free(void* p);         // null is fine
void* pinned_alloc(size_t bytes);  // page-locked host memory
void pinned_free(void* p);

StreamHandle stream_create();
void stream_destroy(StreamHandle s);
void stream_sync(StreamHandle s);
void copy_to_device(void* dst, const void* src, size_t bytes, StreamHandle s);
void copy_to_host(void* dst, const void* src, size_t bytes, StreamHandle s);
void copy_on_device(void* dst, const void* src, size_t bytes, StreamHandle s);
// Throws CudaError for a failed launch (bad configuration, no kernel image for this GPU).
void check_launch(const char* what);

// Graph capture of everything issued on `s` between the two calls; then replayed with one
// launch. end_capture returns an executable graph.
void begin_capture(StreamHandle s);
GraphHandle end_capture(StreamHandle s);
void graph_launch(GraphHandle g, StreamHandle s);
void graph_destroy(GraphHandle g);

}  // namespace FMN_CUDA_NS
}  // namespace fmn
