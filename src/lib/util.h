/*
 * util.h - small pure helpers: number parsing/formatting, glob matching,
 * time, random.
 */
#ifndef WEIR_UTIL_H
#define WEIR_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A borrowed byte range.  Never owns memory. */
struct slice {
    const char *p;
    size_t len;
};

#define SLICE_LIT(s) ((struct slice){(s), sizeof(s) - 1})

/* Parse a whole string as a signed 64-bit integer, Redis rules: optional
 * '-', no '+', no leading zeros (except "0"), no spaces, no overflow.
 * Returns 0 on success, -1 on failure. */
int util_parse_ll(const char *s, size_t len, long long *out);
/* Same rules, unsigned 64-bit. */
int util_parse_ull(const char *s, size_t len, unsigned long long *out);
/* Parse a double as Redis does for INCRBYFLOAT etc: strtold-like, no
 * spaces, no nan.  Returns 0 / -1. */
int util_parse_double(const char *s, size_t len, double *out);
/* Format v as decimal into dst (room for 21 bytes, NUL-terminated);
 * returns the length without the NUL. */
size_t util_ll2str(char *dst, long long v);
size_t util_ull2str(char *dst, unsigned long long v);
/* Redis-style glob (stringmatchlen): * ? [abc] [^a] [a-z] \x escapes.
 * nocase != 0 folds ASCII case.  Returns 1 on match.  Iterative: time is
 * O(plen * slen) at worst, stack use constant.  One deliberate difference
 * from Redis: "*" (or any all-star pattern) matches the empty string. */
int util_glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase);
/* Case-insensitive equality of a slice with a NUL-terminated ASCII word. */
int util_eq_nocase(struct slice a, const char *word);

int64_t util_mstime(void); /* wall clock, ms since epoch */
int64_t util_ustime(void); /* wall clock, us since epoch */
int64_t util_monotonic_us(void);
/* A cheap monotonic tick counter (the TSC on x86-64, else nanoseconds)
 * for timing commands; util_ticks_to_us converts a tick count using a
 * calibration against CLOCK_MONOTONIC taken since the first call. */
uint64_t util_ticks(void);
uint64_t util_ticks_to_us(uint64_t ticks);
/* xoshiro256** PRNG, per-thread state seeded lazily from the clock, pid
 * and /dev/urandom.  Not for cryptographic use. */
uint64_t util_random(void);

#endif
