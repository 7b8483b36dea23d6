/*
 * log.h - the daemon's log: one line per event on stderr, with a level.
 *
 * Only the daemon's edges log (main, control, http_api, dispatch, loader);
 * library code returns errors instead. Secrets are never passed here.
 */
#ifndef SB_LOG_H
#define SB_LOG_H

#include <stdarg.h>
#include <stdint.h>

#include <switchboard/types.h>

void sb_log(enum sb_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_logv(enum sb_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void sb_log_set_level(enum sb_log_level level);
/* Non-zero: no line at all until called with 0 (switchboardd -t, whose
 * output is the error list). */
void sb_log_quiet(int on);
enum sb_log_level sb_log_get_level(void);
/* "error" ... "debug" -> level, or -1. */
int sb_log_level_parse(const char *word);

/*
 * A line that can repeat fast (a refused connection, a failed key, accept
 * at the fd limit) goes through one of these, kept by the caller (zeroed
 * at start): at most one line per SB_LOG_LIMIT_MS; the next line that
 * passes says how many were left out meanwhile.
 */
#define SB_LOG_LIMIT_MS 10000
struct sb_log_limit {
	int64_t next_ms;          /* monotonic; no line before this */
	unsigned long suppressed; /* lines left out since the last one */
};
void sb_log_limited(struct sb_log_limit *lim, enum sb_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
