/*
 * util.c - small pure helpers; see util.h for the contracts.
 *
 * Integer parsing is strict (the canonical decimal form only) so that a
 * value which parses also round-trips byte-for-byte through util_ll2str;
 * this is what lets callers store "integer-looking" strings as numbers.
 *
 * Glob matching is iterative: every atom other than '*' consumes exactly
 * one byte, so remembering only the most recent '*' and retrying from one
 * byte further on a mismatch is sufficient.  Run time is O(plen * slen) in
 * the worst case and stack usage is constant, whatever the pattern.
 * Unlike Redis's stringmatchlen, a pattern made only of '*' also matches
 * the empty string.
 *
 * The PRNG is xoshiro256** with per-thread state, seeded lazily through
 * splitmix64 from the clock, the pid, the state's address and, when
 * available, /dev/urandom.
 */
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ULL_MAX_DIGITS 20
#define DOUBLE_MAX_CHARS 5120

/* ---- integers ---------------------------------------------------------- */

/* Unsigned canonical decimal: no sign, no leading zero unless "0". */
static int parse_digits(const char *s, size_t len, unsigned long long *out)
{
    unsigned long long v = 0;

    if (len == 0 || len > ULL_MAX_DIGITS)
        return -1;
    if (s[0] == '0') {
        if (len != 1)
            return -1;
        *out = 0;
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        if (v > (ULLONG_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int util_parse_ll(const char *s, size_t len, long long *out)
{
    unsigned long long mag;
    int neg = 0;

    if (len > 0 && s[0] == '-') {
        neg = 1;
        s++;
        len--;
    }
    if (parse_digits(s, len, &mag) < 0)
        return -1;
    if (!neg) {
        if (mag > (unsigned long long)LLONG_MAX)
            return -1;
        *out = (long long)mag;
        return 0;
    }
    if (mag == 0 || mag > (unsigned long long)LLONG_MAX + 1)
        return -1;
    /* -(mag - 1) - 1 never overflows, even for LLONG_MIN. */
    *out = -(long long)(mag - 1) - 1;
    return 0;
}

int util_parse_ull(const char *s, size_t len, unsigned long long *out)
{
    return parse_digits(s, len, out);
}

size_t util_ull2str(char *dst, unsigned long long v)
{
    char tmp[ULL_MAX_DIGITS];
    size_t n = 0;

    /* Two digits per division; digits come out least significant first. */
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        tmp[n++] = (char)('0' + r % 10);
        tmp[n++] = (char)('0' + r / 10);
    }
    if (v >= 10) {
        tmp[n++] = (char)('0' + v % 10);
        tmp[n++] = (char)('0' + v / 10);
    } else {
        tmp[n++] = (char)('0' + v);
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return n;
}

size_t util_ll2str(char *dst, long long v)
{
    if (v >= 0)
        return util_ull2str(dst, (unsigned long long)v);
    dst[0] = '-';
    /* 0 - (unsigned)v is the magnitude, LLONG_MIN included. */
    return 1 + util_ull2str(dst + 1, 0ULL - (unsigned long long)v);
}

/* ---- doubles ----------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int util_parse_double(const char *s, size_t len, double *out)
{
    char buf[DOUBLE_MAX_CHARS + 1];
    char *end;
    double v;

    /* strtod would skip leading blanks, so refuse them here. */
    if (len == 0 || len > DOUBLE_MAX_CHARS || is_space(s[0]))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    /* Stopping early also catches embedded NULs and trailing blanks. */
    if (end != buf + len || isnan(v))
        return -1;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0.0))
        return -1;
    *out = v;
    return 0;
}

/* ---- glob -------------------------------------------------------------- */

static unsigned char fold(unsigned char c, int nocase)
{
    if (nocase && c >= 'A' && c <= 'Z')
        return (unsigned char)(c + ('a' - 'A'));
    return c;
}

/* Match byte c against the class whose '[' is at pat[i].  Stores in *next
 * the index just past the class; an unterminated class runs to the end of
 * the pattern.  Grammar as Redis: optional '^', then items until ']':
 * "\x" (exact byte), "a-z" (range, either order), or a single byte. */
static int glob_class(const char *pat, size_t plen, size_t i, unsigned char c, int nocase,
                      size_t *next)
{
    int negate = 0, match = 0;
    unsigned char fc = fold(c, nocase);

    i++;
    if (i < plen && pat[i] == '^') {
        negate = 1;
        i++;
    }
    while (i < plen && pat[i] != ']') {
        if (pat[i] == '\\' && i + 1 < plen) {
            if ((unsigned char)pat[i + 1] == c)
                match = 1;
            i += 2;
        } else if (i + 2 < plen && pat[i + 1] == '-') {
            unsigned char lo = fold((unsigned char)pat[i], nocase);
            unsigned char hi = fold((unsigned char)pat[i + 2], nocase);
            if (lo > hi) {
                unsigned char t = lo;
                lo = hi;
                hi = t;
            }
            if (fc >= lo && fc <= hi)
                match = 1;
            i += 3;
        } else {
            if (fold((unsigned char)pat[i], nocase) == fc)
                match = 1;
            i++;
        }
    }
    *next = i < plen ? i + 1 : plen;
    return negate ? !match : match;
}

/* Match byte c against the single non-'*' atom at pat[i]; *next receives
 * the index of the following atom. */
static int glob_atom(const char *pat, size_t plen, size_t i, unsigned char c, int nocase,
                     size_t *next)
{
    switch (pat[i]) {
    case '?':
        *next = i + 1;
        return 1;
    case '[':
        return glob_class(pat, plen, i, c, nocase, next);
    case '\\':
        /* A trailing backslash stands for itself. */
        if (i + 1 < plen)
            i++;
        break;
    default:
        break;
    }
    *next = i + 1;
    return fold((unsigned char)pat[i], nocase) == fold(c, nocase);
}

int util_glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase)
{
    size_t p = 0, i = 0, next;
    size_t star_p = 0, star_i = 0;
    int have_star = 0;

    while (i < slen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p == plen)
                return 1;
            have_star = 1;
            star_p = p;
            star_i = i;
            continue;
        }
        if (p < plen && glob_atom(pat, plen, p, (unsigned char)s[i], nocase, &next)) {
            p = next;
            i++;
            continue;
        }
        if (!have_star)
            return 0;
        /* Let the last '*' swallow one more byte and retry after it. */
        p = star_p;
        i = ++star_i;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

int util_eq_nocase(struct slice a, const char *word)
{
    size_t i;

    for (i = 0; i < a.len; i++) {
        if (word[i] == '\0' || fold((unsigned char)a.p[i], 1) != fold((unsigned char)word[i], 1))
            return 0;
    }
    return word[i] == '\0';
}

/* ---- time -------------------------------------------------------------- */

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t util_ustime(void)
{
    return clock_us(CLOCK_REALTIME);
}

int64_t util_mstime(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t util_monotonic_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

/* ---- random ------------------------------------------------------------ */

static _Thread_local uint64_t rng_state[4];
static _Thread_local int rng_seeded;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(void)
{
    uint64_t x = (uint64_t)util_ustime() ^ ((uint64_t)util_monotonic_us() << 20);
    uint64_t extra[4] = {0, 0, 0, 0};
    int fd;

    x ^= (uint64_t)getpid() << 32;
    x ^= (uint64_t)(uintptr_t)&rng_state;
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, extra, sizeof(extra)) < 0)
            memset(extra, 0, sizeof(extra));
        close(fd);
    }
    for (int k = 0; k < 4; k++)
        rng_state[k] = splitmix64(&x) ^ extra[k];
    /* xoshiro must not start from the all-zero state. */
    if ((rng_state[0] | rng_state[1] | rng_state[2] | rng_state[3]) == 0)
        rng_state[0] = 1;
    rng_seeded = 1;
}

static uint64_t rotl(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

uint64_t util_random(void)
{
    uint64_t *st = rng_state;
    uint64_t result, t;

    if (!rng_seeded)
        rng_seed();
    result = rotl(st[1] * 5, 7) * 9;
    t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 45);
    return result;
}

/* ---- ticks -------------------------------------------------------------- */

static uint64_t ticks_base, ticks_base_us;

uint64_t util_ticks(void)
{
#if defined(__x86_64__)
    uint64_t t = __builtin_ia32_rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
    if (!ticks_base) {
        ticks_base = t;
        ticks_base_us = (uint64_t)util_monotonic_us();
    }
    return t;
}

uint64_t util_ticks_to_us(uint64_t ticks)
{
    uint64_t now = util_ticks();
    uint64_t us = (uint64_t)util_monotonic_us();
    while (us - ticks_base_us < 2000) { /* calibrate over at least 2 ms */
        now = util_ticks();
        us = (uint64_t)util_monotonic_us();
    }
    double per_us = (double)(now - ticks_base) / (double)(us - ticks_base_us);
    return per_us > 0 ? (uint64_t)((double)ticks / per_us) : 0;
}
