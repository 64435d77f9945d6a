/* log.c - see log.h. */
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static FILE *log_fp;
static int log_level = LOG_NOTICE;

int log_open(const char *path, int level)
{
    log_level = level;
    if (!path || !path[0]) {
        log_fp = stdout;
        return 0;
    }
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    log_fp = f;
    return 0;
}

void log_set_level(int level)
{
    log_level = level;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level < log_level)
        return;
    FILE *f = log_fp ? log_fp : stdout;
    static const char marks[] = ".-*#";
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char ts[64];
    strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S", &tm);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(f, "%d:M %s.%03d %c %s\n", (int)getpid(), ts, (int)(tv.tv_usec / 1000),
            marks[level < 0 || level > 3 ? 2 : level], msg);
    fflush(f);
}
