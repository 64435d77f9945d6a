/*
 * unit.h - a tiny test framework.  One binary per test file; each test is
 * a function registered in main() with RUN(test_fn).  CHECK* macros print
 * both operands and file:line, count the failure and return from the test.
 */
#ifndef WEIR_UNIT_H
#define WEIR_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_failures;
static int unit_tests;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ != vb_) {                                                                          \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,  \
                    va_, vb_);                                                                     \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_MEM(p, n, s)                                                                         \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        if (n_ != strlen(s) || memcmp((p), (s), n_) != 0) {                                        \
            fprintf(stderr, "%s:%d: got \"%.*s\", want \"%s\"\n", __FILE__, __LINE__, (int)n_,     \
                    (const char *)(p), (s));                                                       \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int before_ = unit_failures;                                                               \
        unit_tests++;                                                                              \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", unit_failures == before_ ? "ok  " : "FAIL", #fn);               \
    } while (0)

#define UNIT_DONE()                                                                                \
    do {                                                                                           \
        fprintf(stderr, "%d tests, %d failures\n", unit_tests, unit_failures);                     \
        return unit_failures ? 1 : 0;                                                              \
    } while (0)

#endif
