// ThreadPool (runtime/thread_pool.h).
//
// Hand-off: parallel_for publishes (fn, n, chunks) under the mutex, bumps generation_ and sets
// busy_. Workers first spin briefly watching busy_ (a frame runs many short parallel_for calls
// back to back, and waking a sleeping thread costs more than most of them), then sleep on
// work_cv_. Worker i runs chunk i; the caller runs chunk 0 and waits for pending_ to reach 0.
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

// Spin budget before a waiting thread blocks on a condition variable.
constexpr auto kSpin = std::chrono::microseconds(200);

void run_chunk(const ThreadPool::RangeFn& fn, int64_t n, int chunks, int index) {
  const int64_t begin = n * index / chunks;
  const int64_t end = n * (index + 1) / chunks;
  if (begin < end) fn(begin, end, index);
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    chunks_ = chunks;
    pending_ = num_threads_ - 1;
    ++generation_;
  }
  work_cv_.notify_all();

  tl_worker = 0;
  run_chunk(fn, n, chunks, 0);
  tl_worker = -1;

  // Wait for the workers: spin a little, then sleep.
  const auto spin_until = std::chrono::steady_clock::now() + kSpin;
  std::unique_lock<std::mutex> lock(mu_);
  while (pending_ != 0) {
    if (std::chrono::steady_clock::now() < spin_until) {
      lock.unlock();
      for (int i = 0; i < 64; ++i) FMN_CPU_RELAX();
      lock.lock();
    } else {
      done_cv_.wait(lock, [this] { return pending_ == 0; });
    }
  }
  fn_ = nullptr;
  lock.unlock();
  busy_.store(false, std::memory_order_release);
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    // Spin while no call is in flight (busy_ false), for a short while, before sleeping.
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    while (!busy_.load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < spin_until) {
      for (int i = 0; i < 16; ++i) FMN_CPU_RELAX();
    }
    const RangeFn* fn;
    int64_t n;
    int chunks;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      fn = fn_;
      n = n_;
      chunks = chunks_;
    }
    if (index < chunks) {
      tl_worker = index;
      run_chunk(*fn, n, chunks, index);
      tl_worker = -1;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
    // The call this worker just served may still be in flight; let it finish before spinning
    // on busy_ again, so the spin above watches for the next call.
    while (busy_.load(std::memory_order_acquire)) {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_ || generation_ != seen) break;
      lock.unlock();
      for (int i = 0; i < 16; ++i) FMN_CPU_RELAX();
    }
  }
}

}  // namespace fmn
