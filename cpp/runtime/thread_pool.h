// A fixed pool of worker threads with one blocking primitive: parallel_for.
//
// Contract: parallel_for(n, fn) calls fn(begin, end, worker) over disjoint ranges covering
// [0, n) and returns when all calls are done. `worker` is in [0, size()) and identifies the
// calling thread, so callers may index per-worker scratch. The caller's thread takes part as
// worker 0. Chunks are claimed dynamically: one worker may run several chunks in sequence
// (e.g. when another thread is descheduled), never two at once. Calls from inside fn run
// serially on the calling worker (no nested parallelism).
// Threads are created once, in the constructor; parallel_for does not allocate.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fmn {

class ThreadPool {
 public:
  using RangeFn = std::function<void(int64_t begin, int64_t end, int worker)>;

  // num_threads counts the caller: 1 means no extra threads.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return num_threads_; }

  // Splits [0, n) into at most size() contiguous chunks, at least `grain` items each.
  void parallel_for(int64_t n, const RangeFn& fn, int64_t grain = 1);

  // Number of hardware threads available to this process (>= 1).
  static int hardware_threads();

 private:
  void worker_loop(int index);

  int num_threads_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  const RangeFn* fn_ = nullptr;
  int64_t n_ = 0;
  int chunks_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::atomic<bool> busy_{false};
};

}  // namespace fmn
