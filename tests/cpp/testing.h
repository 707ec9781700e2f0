// Minimal unit-test harness for the C++ tests (one executable per test_*.cc, run by ctest).
//
//   TEST(name) { CHECK(cond); CHECK_NEAR(a, b, tol); CHECK_THROWS(expr, ExceptionType); }
//   int main() { return fmn_test::run_all(); }      // or define FMN_TEST_MAIN before including
//
// A failed CHECK prints file:line and the expression and marks the test failed; the test goes on.
#pragma once

#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace fmn_test {

struct Case {
  const char* name;
  std::function<void()> fn;
};
inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}
inline int& failures() {
  static int n = 0;
  return n;
}
struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, fn}); }
};
inline void fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
  ++failures();
}
inline int run_all() {
  int failed_cases = 0;
  for (const Case& c : registry()) {
    const int before = failures();
    try {
      c.fn();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string(c.name) + " threw: " + e.what());
    }
    const bool ok = failures() == before;
    if (!ok) ++failed_cases;
    std::printf("[%s] %s\n", ok ? "  OK  " : " FAIL ", c.name);
  }
  const int total = static_cast<int>(registry().size());
  std::printf("%d passed, %d failed\n", total - failed_cases, failed_cases);
  return failed_cases == 0 && total > 0 ? 0 : 1;
}

}  // namespace fmn_test

#define FMN_CAT2(a, b) a##b
#define FMN_CAT(a, b) FMN_CAT2(a, b)
#define TEST(name)                                                             \
  static void name();                                                          \
  static fmn_test::Registrar FMN_CAT(registrar_, name)(#name, name);           \
  static void name()

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) fmn_test::fail(__FILE__, __LINE__, #cond);                    \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                  \
  do {                                                                         \
    const double fmn_a_ = (a), fmn_b_ = (b);                                   \
    if (!(std::fabs(fmn_a_ - fmn_b_) <= (tol)))                                \
      fmn_test::fail(__FILE__, __LINE__,                                       \
                     std::string(#a " ~ " #b ": ") + std::to_string(fmn_a_) +  \
                         " vs " + std::to_string(fmn_b_));                     \
  } while (0)

#define CHECK_THROWS(expr, type)                                               \
  do {                                                                         \
    bool fmn_thrown_ = false;                                                  \
    try {                                                                      \
      (void)(expr);                                                            \
    } catch (const type&) {                                                    \
      fmn_thrown_ = true;                                                      \
    } catch (...) {                                                            \
    }                                                                          \
    if (!fmn_thrown_) fmn_test::fail(__FILE__, __LINE__, #expr " did not throw " #type); \
  } while (0)

#ifdef FMN_TEST_MAIN
int main() { return fmn_test::run_all(); }
#endif
