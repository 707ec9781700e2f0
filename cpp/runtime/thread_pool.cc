// ThreadPool (runtime/thread_pool.h).
//
// Hand-off: parallel_for claims busy_, publishes a claiming function in fn_ under the mutex and
// bumps generation_. Workers spin briefly, polling busy_ and then the generation under the lock
// (a frame runs many short parallel_for calls back to back, and waking a sleeping thread costs
// more than most of them), then sleep on work_cv_. Caller and workers claim chunks from a shared
// counter; the caller waits for every chunk, then retires fn_ and waits for the workers that
// entered it (pending_) to leave. A worker that wakes late finds fn_ retired and does nothing.
#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define FMN_CPU_RELAX() _mm_pause()
#else
#define FMN_CPU_RELAX() std::this_thread::yield()
#endif

namespace fmn {

namespace {

// Index of the pool worker running on this thread, or -1 outside any pool call.
thread_local int tl_worker = -1;

// Spin budget before a waiting thread blocks or yields.
constexpr auto kSpin = std::chrono::microseconds(100);

// One parallel_for call, on the caller's stack. Chunks are claimed dynamically, so a worker
// that the OS does not schedule in time (a busy machine) leaves its share to the others.
struct CallState {
  const ThreadPool::RangeFn* fn;
  int64_t n;
  int chunks;
  std::atomic<int> next{0};  // next chunk to claim
  std::atomic<int> done{0};  // chunks finished
};

void run_claimed(CallState& c, int worker) {
  for (;;) {
    const int i = c.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= c.chunks) return;
    const int64_t begin = c.n * i / c.chunks;
    const int64_t end = c.n * (i + 1) / c.chunks;
    if (begin < end) (*c.fn)(begin, end, worker);
    c.done.fetch_add(1, std::memory_order_acq_rel);
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  threads_.reserve(static_cast<size_t>(num_threads_ - 1));
  for (int i = 1; i < num_threads_; ++i) threads_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    ++generation_;
  }
  busy_.store(true, std::memory_order_release);
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

int ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::parallel_for(int64_t n, const RangeFn& fn, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t max_chunks = std::max<int64_t>(1, n / grain);
  const int chunks = static_cast<int>(std::min<int64_t>(num_threads_, max_chunks));
  // Serial when there is nothing to split, or when called from inside a pool call (nested).
  if (chunks <= 1 || tl_worker >= 0) {
    fn(0, n, tl_worker >= 0 ? tl_worker : 0);
    return;
  }
  // Another thread's call in flight: wait for it, so worker indices stay unique per call.
  for (;;) {
    bool expected = false;
    if (busy_.compare_exchange_weak(expected, true, std::memory_order_acq_rel)) break;
    std::this_thread::yield();
  }
  CallState call;
  call.fn = &fn;
  call.n = n;
  call.chunks = chunks;
  // Captures one reference: fits std::function's inline storage, no allocation.
  const RangeFn claim = [&call](int64_t, int64_t, int worker) { run_claimed(call, worker); };
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &claim;
    n_ = n;
    chunks_ = chunks;
    ++generation_;
  }
  work_cv_.notify_all();

  tl_worker = 0;
  run_claimed(call, 0);
  tl_worker = -1;

  // Chunks claimed by workers may still run: spin, then yield, until all are done.
  const auto spin_until = std::chrono::steady_clock::now() + kSpin;
  while (call.done.load(std::memory_order_acquire) < chunks) {
    if (std::chrono::steady_clock::now() < spin_until) {
      for (int i = 0; i < 16; ++i) FMN_CPU_RELAX();
    } else {
      std::this_thread::yield();
    }
  }
  // Retire the call; wait for workers that picked it up to leave `claim`.
  {
    std::unique_lock<std::mutex> lock(mu_);
    fn_ = nullptr;
    done_cv_.wait(lock, [this] { return pending_ == 0; });
  }
  busy_.store(false, std::memory_order_release);
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    const RangeFn* fn = nullptr;
    bool got = false;
    // Spin for a short while: poll busy_ (cheap), and when a call is in flight check under the
    // lock whether it is new to this worker.
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    while (std::chrono::steady_clock::now() < spin_until) {
      if (busy_.load(std::memory_order_acquire)) {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return;
        if (generation_ != seen) {
          seen = generation_;
          fn = fn_;
          if (fn) ++pending_;
          got = true;
          break;
        }
      }
      for (int i = 0; i < 16; ++i) FMN_CPU_RELAX();
    }
    if (!got) {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      fn = fn_;
      if (fn) ++pending_;
    }
    if (!fn) continue;  // that call was already retired
    tl_worker = index;
    (*fn)(0, 0, index);
    tl_worker = -1;
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

}  // namespace fmn
