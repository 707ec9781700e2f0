// ThreadPool (runtime/thread_pool.h): coverage of [0, n) by disjoint ranges, chunk count and
// grain, worker indices (one thread per index, never two threads on one index at once), nested
// and concurrent calls, and many short calls back to back.
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/thread_pool.h"

namespace {

struct Call {
  int64_t begin, end;
  int worker;
  std::thread::id thread;
};

// Runs one parallel_for and records its calls.
std::vector<Call> record(fmn::ThreadPool& pool, int64_t n, int64_t grain) {
  std::mutex mu;
  std::vector<Call> calls;
  pool.parallel_for(
      n,
      [&](int64_t b, int64_t e, int w) {
        std::lock_guard<std::mutex> lock(mu);
        calls.push_back({b, e, w, std::this_thread::get_id()});
      },
      grain);
  std::sort(calls.begin(), calls.end(), [](const Call& a, const Call& b) { return a.begin < b.begin; });
  return calls;
}

}  // namespace

TEST(covers_range_disjointly) {
  for (int threads : {1, 2, 3, 4}) {
    fmn::ThreadPool pool(threads);
    CHECK(pool.size() == threads);
    for (int64_t n : {1, 2, 3, 7, 64, 1000}) {
      for (int64_t grain : {1, 3, 100}) {
        const std::vector<Call> calls = record(pool, n, grain);
        CHECK(!calls.empty());
        int64_t next = 0;
        std::map<int, std::thread::id> thread_of;
        for (const Call& c : calls) {
          CHECK(c.begin == next);
          CHECK(c.end > c.begin);
          CHECK(c.worker >= 0 && c.worker < threads);
          // A worker index always names the same thread within a call.
          if (thread_of.count(c.worker)) CHECK(thread_of[c.worker] == c.thread);
          thread_of[c.worker] = c.thread;
          next = c.end;
          // Every chunk holds at least `grain` items unless the whole range is smaller.
          CHECK(c.end - c.begin >= std::min(grain, n));
        }
        CHECK(next == n);
        CHECK(static_cast<int>(calls.size()) <= threads);
        if (n / grain >= threads) CHECK(static_cast<int>(calls.size()) == threads);
      }
    }
  }
}

TEST(empty_range_calls_nothing) {
  fmn::ThreadPool pool(2);
  int calls = 0;
  pool.parallel_for(0, [&](int64_t, int64_t, int) { ++calls; });
  CHECK(calls == 0);
}

TEST(uses_other_threads) {
  // Chunks are claimed dynamically, so on a busy machine the caller may run them all; with
  // chunks that take a millisecond the worker gets one within a few attempts.
  fmn::ThreadPool pool(2);
  bool other_seen = false;
  for (int attempt = 0; attempt < 200 && !other_seen; ++attempt) {
    std::mutex mu;
    std::set<std::thread::id> ids;
    pool.parallel_for(2, [&](int64_t, int64_t, int) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
    });
    other_seen = ids.size() == 2;
  }
  CHECK(other_seen);
}

TEST(worker_index_exclusive) {
  // Two threads never run under the same worker index at the same time.
  fmn::ThreadPool pool(3);
  std::atomic<int> in_use[3] = {{0}, {0}, {0}};
  std::atomic<int> clashes{0};
  for (int iter = 0; iter < 2000; ++iter) {
    pool.parallel_for(9, [&](int64_t, int64_t, int w) {
      if (in_use[w].fetch_add(1) != 0) ++clashes;
      for (volatile int spin = 0; spin < 200; ++spin) {
      }
      in_use[w].fetch_sub(1);
    }, 2);
  }
  CHECK(clashes.load() == 0);
}

TEST(nested_calls_run_serially) {
  fmn::ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  std::atomic<int> bad_worker{0};
  pool.parallel_for(3, [&](int64_t b, int64_t e, int w) {
    for (int64_t i = b; i < e; ++i) {
      pool.parallel_for(10, [&](int64_t b2, int64_t e2, int w2) {
        if (w2 != w) ++bad_worker;  // the inner call runs on the calling worker
        for (int64_t j = b2; j < e2; ++j) sum += i * 10 + j;
      });
    }
  });
  CHECK(bad_worker.load() == 0);
  int64_t want = 0;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 10; ++j) want += i * 10 + j;
  CHECK(sum.load() == want);
}

TEST(many_short_calls) {
  fmn::ThreadPool pool(2);
  std::vector<int> hits(97, 0);
  for (int iter = 0; iter < 20000; ++iter) {
    pool.parallel_for(97, [&](int64_t b, int64_t e, int) {
      for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
    });
  }
  bool all = true;
  for (int h : hits) all = all && h == 20000;
  CHECK(all);
}

TEST(concurrent_callers) {
  fmn::ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  auto caller = [&] {
    for (int iter = 0; iter < 2000; ++iter)
      pool.parallel_for(50, [&](int64_t b, int64_t e, int w) {
        if (w >= 0 && w < pool.size()) total += e - b;
      });
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  CHECK(total.load() == 2 * 2000 * 50);
}

TEST(hardware_threads_positive) { CHECK(fmn::ThreadPool::hardware_threads() >= 1); }
