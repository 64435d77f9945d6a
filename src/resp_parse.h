/*
 * resp_parse.h - incremental, allocation-free parser for client requests.
 *
 * A request is either a RESP multibulk ("*N\r\n$len\r\n<bytes>\r\n"...) or
 * an inline command (a line of space-separated words, with "double" and
 * 'single' quotes as redis-cli/Redis accept them).  The parser is a pure
 * function over the caller's buffer: it keeps no hidden state and never
 * allocates.  Argument slices point into the buffer.
 *
 * Inline requests are unescaped in place (the unescaped form is never
 * longer than the source), so the buffer must be writable.
 *
 * Return value of resp_parse():
 *   > 0            a whole request was parsed; that many bytes consumed;
 *                  *argc arguments were stored in argv[0..argc-1].  An
 *                  empty inline line consumes its bytes and yields argc 0.
 *   RESP_INCOMPLETE  more bytes are needed.  st remembers how far the
 *                  parse got so that the next call (with the same buffer
 *                  start and more bytes appended) resumes without rescanning.
 *   RESP_NEED_ARGV the request has more arguments than argv_cap;
 *                  st->argc_total says how many are needed.  Grow argv and
 *                  call again (nothing is lost).  For a multibulk this is
 *                  reported only when argument number argv_cap is reached,
 *                  and argv[0..st->argc_done) already hold arguments: grow
 *                  it keeping them (realloc), e.g. to st->argc_total.
 *   RESP_ERROR     protocol error; *err is set to Redis's exact error text
 *                  without the leading "-" and trailing CRLF (e.g.
 *                  "ERR Protocol error: invalid bulk length").  The
 *                  connection must be closed after replying.  The text
 *                  stays valid until the next resp_parse() on the thread.
 *
 * st is reset by the parser itself after a call returning > 0 (resetting
 * it again is harmless).  lim may be NULL: authenticated, 512 MB bulks.
 *
 * Limits (as Redis): multibulk count <= 1048576 (1024*1024); bulk length
 * <= max_bulk_len (proto-max-bulk-len, default 512 MB); inline line <=
 * 64 KB; a "*" or "$" header line longer than 64 KB without CRLF.  When
 * authenticated == 0, multibulk count > 10 and bulk length > 16384 are
 * errors ("unauthenticated multibulk length" / "unauthenticated bulk
 * length"), as in Redis 7+.
 */
#ifndef WEIR_RESP_PARSE_H
#define WEIR_RESP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define RESP_INCOMPLETE 0
#define RESP_ERROR (-1)
#define RESP_NEED_ARGV (-2)

#define RESP_MAX_MULTIBULK (1024 * 1024)
#define RESP_MAX_INLINE (64 * 1024)

struct resp_limits {
    long long max_bulk_len; /* proto-max-bulk-len */
    int authenticated;      /* 0: apply the unauthenticated limits */
};

/* Caller-owned resume state.  Zero it (resp_state_reset) before parsing a
 * new request, i.e. after every call that returned > 0 or an error. */
struct resp_state {
    size_t pos;           /* bytes of the buffer already parsed */
    size_t argc_done;     /* arguments already stored in argv */
    long long argc_total; /* multibulk count, -1 until known */
    long long bulk_len;   /* pending bulk length, -1 if none */
    uintptr_t base;       /* buffer address of the previous call: if the
                             caller's buffer moved (realloc), the slices
                             already in argv are rebased by the parser */
};

static inline void resp_state_reset(struct resp_state *st)
{
    st->pos = 0;
    st->argc_done = 0;
    st->argc_total = -1;
    st->bulk_len = -1;
    st->base = 0;
}

long resp_parse(char *buf, size_t len, const struct resp_limits *lim, struct resp_state *st,
                struct slice *argv, size_t argv_cap, size_t *argc, const char **err);

/* Split one line s[0..n) into words in place with the quoting rules of
 * inline commands (and of redis.conf): blanks separate, "double quotes"
 * take C-like and \xHH escapes, 'single quotes' only \'.  Up to cap
 * slices are stored in argv (which may be NULL when cap is 0); the words
 * are unescaped in s only when all of them fit.  Returns the number of
 * words, or -1 on unbalanced quotes. */
long resp_split_words(char *s, size_t n, struct slice *argv, size_t cap);

/* Bytes still needed to complete the current bulk, when known (used to
 * size reads of big arguments); 0 when unknown. */
size_t resp_bulk_remaining(const struct resp_state *st, size_t len);

#endif
