// The CUDA emulation: the very same kernel code as the GPU build (every ops/cuda/*.cu is
// included below), run on the host over its grid, and the device API of cuda_device.h on host
// memory. CI has no GPU; this is how every CUDA kernel and the CUDA executor are tested there.
//
// Grid: blocks run one after another. An FMN_LAUNCH block runs its threads one after another
// in a scrambled order (7919 * t mod n), so a kernel that depends on thread order fails. An
// FMN_LAUNCH_SYNC block runs each thread as a fiber (ucontext) with its own stack; the fibers
// take turns, and __syncthreads() / warp shuffles are barriers: a fiber waits there until every
// live thread of its block (or warp of 32) has arrived. A barrier that some live thread never
// reaches, or a thread that exits while others wait, is a CudaError (divergence), as is
// __syncthreads under FMN_LAUNCH, an exception in a kernel, and a launch configuration CUDA
// would reject. device_alloc fills new memory with 0xFF bytes (NaN as floats) so that reading
// memory no kernel has written shows in the results.
//
// Streams run each operation when it is issued, unless a graph is being captured on them:
// then operations are recorded and a graph launch replays them in order.
#define FMN_CUDA_NS cuda_emu

#include "ops/cuda/cuda_compat.h"
#include "ops/cuda/cuda_device.h"

#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define FMN_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FMN_EMU_ASAN 1
#endif
#endif
#ifdef FMN_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace fmn {
namespace cuda_emu {
namespace {

[[noreturn]] void emu_fail(const std::string& what) { throw CudaError("cuda emulation: " + what); }

constexpr int kWarpSize = 32;
constexpr size_t kFiberStack = size_t{256} << 10;

thread_local ThreadCoords* tl_coords = nullptr;
thread_local bool tl_cooperative = false;

// ---- fibers -------------------------------------------------------------------------------

enum class FiberState { kRunnable, kBlockBarrier, kWarpBarrier, kDone };

struct Block;

struct Fiber {
  ucontext_t ctx;
  void* stack = nullptr;
  ThreadCoords coords;
  FiberState state = FiberState::kRunnable;
  int linear = 0;
  Block* block = nullptr;
#ifdef FMN_EMU_ASAN
  void* fake_stack = nullptr;
#endif
};

struct Block {
  ucontext_t scheduler;
  const std::function<void()>* body = nullptr;
  std::vector<Fiber> fibers;
  std::exception_ptr error;
  std::vector<float> warp_slots;  // one per thread, for shuffles
  const void* sched_stack_bottom = nullptr;
  size_t sched_stack_size = 0;
#ifdef FMN_EMU_ASAN
  void* sched_fake_stack = nullptr;
#endif
};

thread_local Fiber* tl_fiber = nullptr;
thread_local std::vector<void*> tl_stack_pool;

void* take_stack() {
  if (!tl_stack_pool.empty()) {
    void* s = tl_stack_pool.back();
    tl_stack_pool.pop_back();
    return s;
  }
  void* s = mmap(nullptr, kFiberStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (s == MAP_FAILED) emu_fail("out of memory for a block's thread stacks");
  return s;
}

void give_stack(void* s) { tl_stack_pool.push_back(s); }

// Fiber -> scheduler.
void yield_to_scheduler(Fiber* f) {
  Block* b = f->block;
#ifdef FMN_EMU_ASAN
  __sanitizer_start_switch_fiber(f->state == FiberState::kDone ? nullptr : &f->fake_stack,
                                 b->sched_stack_bottom, b->sched_stack_size);
#endif
  swapcontext(&f->ctx, &b->scheduler);
#ifdef FMN_EMU_ASAN
  __sanitizer_finish_switch_fiber(f->fake_stack, nullptr, nullptr);
#endif
}

void fiber_entry() {
  Fiber* f = tl_fiber;
  Block* b = f->block;
#ifdef FMN_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &b->sched_stack_bottom, &b->sched_stack_size);
#endif
  try {
    (*b->body)();
  } catch (...) {
    if (!b->error) b->error = std::current_exception();
  }
  f->state = FiberState::kDone;
  yield_to_scheduler(f);
  std::abort();  // a finished fiber is never resumed
}

// Scheduler -> fiber.
void resume(Block* b, Fiber* f) {
  tl_fiber = f;
  tl_coords = &f->coords;
#ifdef FMN_EMU_ASAN
  __sanitizer_start_switch_fiber(&b->sched_fake_stack, f->stack, kFiberStack);
#endif
  swapcontext(&b->scheduler, &f->ctx);
#ifdef FMN_EMU_ASAN
  __sanitizer_finish_switch_fiber(b->sched_fake_stack, nullptr, nullptr);
#endif
}

std::string coords_text(const ThreadCoords& c) {
  return "block (" + std::to_string(c.block_idx.x) + "," + std::to_string(c.block_idx.y) + "," +
         std::to_string(c.block_idx.z) + ") thread (" + std::to_string(c.thread_idx.x) + "," +
         std::to_string(c.thread_idx.y) + "," + std::to_string(c.thread_idx.z) + ")";
}

void run_block_cooperative(const std::function<void()>& body, const ThreadCoords& base, int threads) {
  Block b;
  b.body = &body;
  b.fibers.resize(static_cast<size_t>(threads));
  b.warp_slots.assign(static_cast<size_t>(threads), 0.0f);
  const dim3 bd = base.block_dim;
  for (int t = 0; t < threads; ++t) {
    Fiber& f = b.fibers[static_cast<size_t>(t)];
    f.coords = base;
    f.coords.thread_idx = dim3(t % bd.x, (t / bd.x) % bd.y, t / (bd.x * bd.y));
    f.linear = t;
    f.block = &b;
    f.stack = take_stack();
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack;
    f.ctx.uc_stack.ss_size = kFiberStack;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiber_entry, 0);
  }
  struct StackReturn {
    Block* b;
    ~StackReturn() {
      for (Fiber& f : b->fibers) give_stack(f.stack);
    }
  } stacks{&b};
  ThreadCoords* saved_coords = tl_coords;
  const bool saved_coop = tl_cooperative;
  tl_cooperative = true;
  const int warps = (threads + kWarpSize - 1) / kWarpSize;
  for (;;) {
    for (Fiber& f : b.fibers) {
      if (f.state != FiberState::kRunnable) continue;
      resume(&b, &f);
      if (b.error) break;
    }
    if (b.error) break;
    int done = 0, at_block = 0;
    for (const Fiber& f : b.fibers) {
      done += f.state == FiberState::kDone;
      at_block += f.state == FiberState::kBlockBarrier;
    }
    if (done == threads) break;
    bool released = false;
    if (at_block > 0 && at_block + done == threads) {
      if (done > 0) {
        b.error = std::make_exception_ptr(CudaError(
            "cuda emulation: __syncthreads() reached by " + std::to_string(at_block) + " of " +
            std::to_string(threads) + " threads of " + coords_text(b.fibers[0].coords) +
            "; the others have exited (divergent barrier)"));
        break;
      }
      for (Fiber& f : b.fibers) f.state = FiberState::kRunnable;
      released = true;
    }
    for (int w = 0; w < warps && !released; ++w) {
      const int lo = w * kWarpSize, hi = std::min(threads, lo + kWarpSize);
      int waiting = 0, live = 0;
      for (int t = lo; t < hi; ++t) {
        const FiberState s = b.fibers[static_cast<size_t>(t)].state;
        live += s != FiberState::kDone;
        waiting += s == FiberState::kWarpBarrier;
      }
      if (waiting > 0 && waiting == live) {
        if (live != hi - lo) {
          b.error = std::make_exception_ptr(CudaError(
              "cuda emulation: a warp shuffle in warp " + std::to_string(w) + " of " +
              coords_text(b.fibers[0].coords) + " after some of its lanes exited"));
          break;
        }
        for (int t = lo; t < hi; ++t) b.fibers[static_cast<size_t>(t)].state = FiberState::kRunnable;
        released = true;
      }
    }
    if (b.error) break;
    if (!released) {
      // Fibers waiting at different barriers with nothing left to run: a deadlock.
      bool any_runnable = false;
      for (const Fiber& f : b.fibers) any_runnable |= f.state == FiberState::kRunnable;
      if (!any_runnable) {
        b.error = std::make_exception_ptr(CudaError(
            "cuda emulation: deadlock in " + coords_text(b.fibers[0].coords) +
            ": threads wait at barriers that not every thread reaches"));
        break;
      }
    }
  }
  tl_coords = saved_coords;
  tl_cooperative = saved_coop;
  tl_fiber = nullptr;
  if (b.error) std::rethrow_exception(b.error);
}

void wait_at(FiberState barrier) {
  Fiber* f = tl_fiber;
  f->state = barrier;
  yield_to_scheduler(f);
}

void check_config(dim3 grid, dim3 block) {
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0 || threads > 1024 ||
      block.x > 1024 || block.y > 1024 || block.z > 64 || grid.x > 2147483647u ||
      grid.y > 65535 || grid.z > 65535) {
    emu_fail("invalid launch configuration: grid (" + std::to_string(grid.x) + "," +
             std::to_string(grid.y) + "," + std::to_string(grid.z) + ") block (" +
             std::to_string(block.x) + "," + std::to_string(block.y) + "," +
             std::to_string(block.z) + ")");
  }
}

void run_grid(dim3 grid, dim3 block, bool cooperative, const std::function<void()>& body) {
  check_config(grid, block);
  const int threads = static_cast<int>(block.x * block.y * block.z);
  ThreadCoords c;
  c.block_dim = block;
  c.grid_dim = grid;
  ThreadCoords* saved = tl_coords;
  struct Restore {
    ThreadCoords* saved;
    ~Restore() { tl_coords = saved; }
  } restore{saved};
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        c.block_idx = dim3(bx, by, bz);
        if (cooperative) {
          run_block_cooperative(body, c, threads);
          continue;
        }
        tl_coords = &c;
        for (int i = 0; i < threads; ++i) {
          const int t = static_cast<int>((uint64_t{7919} * static_cast<uint64_t>(i)) % static_cast<uint64_t>(threads));
          c.thread_idx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
          body();
        }
      }
}

// ---- streams and graphs ---------------------------------------------------------------------

struct EmuStream {
  bool capturing = false;
  std::vector<std::function<void()>> recorded;
};

struct EmuGraph {
  std::vector<std::function<void()>> ops;
};

void issue(StreamHandle s, std::function<void()> op) {
  auto* st = static_cast<EmuStream*>(s);
  if (st != nullptr && st->capturing) {
    st->recorded.push_back(std::move(op));
    return;
  }
  op();
}

}  // namespace

const ThreadCoords& current_thread() {
  if (tl_coords == nullptr) emu_fail("threadIdx / blockIdx read outside a kernel");
  return *tl_coords;
}

void launch(void* stream, dim3 grid, dim3 block, bool cooperative, std::function<void()> body) {
  check_config(grid, block);
  issue(stream, [grid, block, cooperative, body]() { run_grid(grid, block, cooperative, body); });
}

void syncthreads() {
  if (!tl_cooperative || tl_fiber == nullptr)
    emu_fail("__syncthreads() in a kernel launched with FMN_LAUNCH; launch it with FMN_LAUNCH_SYNC");
  wait_at(FiberState::kBlockBarrier);
}

float shfl(float v, int lane_or_delta, int mode) {
  if (!tl_cooperative || tl_fiber == nullptr)
    emu_fail("a warp shuffle in a kernel launched with FMN_LAUNCH; launch it with FMN_LAUNCH_SYNC");
  Fiber* f = tl_fiber;
  Block* b = f->block;
  const int threads = static_cast<int>(b->fibers.size());
  const int lane = f->linear % kWarpSize, warp_base = f->linear - lane;
  const int width = std::min(kWarpSize, threads - warp_base);
  b->warp_slots[static_cast<size_t>(f->linear)] = v;
  wait_at(FiberState::kWarpBarrier);  // every lane has written its value
  const int src = mode == 0 ? lane + lane_or_delta : (lane ^ lane_or_delta);
  if (src >= width && src < kWarpSize) {
    b->error = std::make_exception_ptr(CudaError(
        "cuda emulation: a warp shuffle reads lane " + std::to_string(src) + " of a partial warp of " +
        std::to_string(width) + " threads (" + coords_text(f->coords) +
        "); CUDA leaves that value undefined: use whole warps"));
    f->state = FiberState::kDone;
    yield_to_scheduler(f);
  }
  const float r = (src >= 0 && src < width) ? b->warp_slots[static_cast<size_t>(warp_base + src)] : v;
  wait_at(FiberState::kWarpBarrier);  // every lane has read before the slots are reused
  return r;
}

// ---- the device API (cuda_device.h) -----------------------------------------------------------

int device_count(std::string* why_none) {
  if (why_none) why_none->clear();
  return 1;
}

DeviceInfo device_info(int device) {
  if (device != 0) emu_fail("no device " + std::to_string(device) + " (the emulation has device 0)");
  DeviceInfo d;
  d.index = 0;
  d.name = "CUDA emulation on the CPU";
  d.total_memory = 0;
  return d;
}

void set_device(int device) {
  if (device != 0) emu_fail("no device " + std::to_string(device) + " (the emulation has device 0)");
}

void* device_alloc(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + 255) / 256 * 256;
  void* p = std::aligned_alloc(256, rounded);
  if (p == nullptr) emu_fail("out of memory allocating " + std::to_string(bytes) + " bytes");
  std::memset(p, 0xFF, rounded);
  return p;
}
void device_free(void* p) { std::free(p); }
void* pinned_alloc(size_t bytes) { return device_alloc(bytes); }
void pinned_free(void* p) { std::free(p); }

StreamHandle stream_create() { return new EmuStream(); }
void stream_destroy(StreamHandle s) { delete static_cast<EmuStream*>(s); }
void stream_sync(StreamHandle s) {
  if (s != nullptr && static_cast<EmuStream*>(s)->capturing) emu_fail("stream_sync during capture");
}

void copy_to_device(void* dst, const void* src, size_t bytes, StreamHandle s) {
  issue(s, [=]() { std::memcpy(dst, src, bytes); });
}
void copy_to_host(void* dst, const void* src, size_t bytes, StreamHandle s) {
  issue(s, [=]() { std::memcpy(dst, src, bytes); });
}
void copy_on_device(void* dst, const void* src, size_t bytes, StreamHandle s) {
  issue(s, [=]() { std::memmove(dst, src, bytes); });
}
void check_launch(const char*) {}

void begin_capture(StreamHandle s) {
  auto* st = static_cast<EmuStream*>(s);
  if (st == nullptr) emu_fail("capture on the default stream");
  if (st->capturing) emu_fail("begin_capture on a stream already capturing");
  st->capturing = true;
  st->recorded.clear();
}

GraphHandle end_capture(StreamHandle s) {
  auto* st = static_cast<EmuStream*>(s);
  if (st == nullptr || !st->capturing) emu_fail("end_capture without begin_capture");
  st->capturing = false;
  auto* g = new EmuGraph();
  g->ops.swap(st->recorded);
  return g;
}

void graph_launch(GraphHandle g, StreamHandle s) {
  auto* graph = static_cast<EmuGraph*>(g);
  for (const auto& op : graph->ops) issue(s, op);
}

void graph_destroy(GraphHandle g) { delete static_cast<EmuGraph*>(g); }

}  // namespace cuda_emu
}  // namespace fmn

// Every kernel family (tests/python/test_layers.py checks that none is missing here).
#include "ops/cuda/conv.cu"
#include "ops/cuda/custom.cu"
#include "ops/cuda/elementwise.cu"
#include "ops/cuda/gather.cu"
#include "ops/cuda/image.cu"
#include "ops/cuda/pool.cu"
#include "ops/cuda/reduce.cu"
#include "ops/cuda/resize.cu"
