/*
 * log.c - timestamped log lines on stderr. Lines below the configured
 * level cost one comparison. One event is one line, whatever it quotes:
 * control characters are escaped here, at the edge, so no value from a
 * request (a receipt's id, a hook name) can forge a line or drive a
 * terminal.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

static enum sb_log_level current_level = SB_LOG_INFO;
static int quiet;

static const char *const level_names[] = {
	[SB_LOG_ERROR] = "error",
	[SB_LOG_WARN] = "warn",
	[SB_LOG_INFO] = "info",
	[SB_LOG_DEBUG] = "debug",
};

void
sb_log_quiet(int on)
{
	quiet = on;
}

void
sb_log_set_level(enum sb_log_level level)
{
	current_level = level;
}

enum sb_log_level
sb_log_get_level(void)
{
	return current_level;
}

int
sb_log_level_parse(const char *word)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(level_names[i], word) == 0)
			return (int)i;
	return -1;
}

/*
 * Copy `in` to `out` so that it cannot pass for more than one event: a
 * newline (config errors list one per line) continues the event on an
 * indented line, so nothing quoted can start a line of its own; other C0
 * controls, DEL and C1 controls (U+0080..U+009F, "\xc2\x80".."\xc2\x9f" in
 * UTF-8) are written as \xNN. Other bytes pass as they are.
 */
static void
escape_controls(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	for (; *p != '\0' && o + 1 < cap; p++) {
		int c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;

		if (*p >= 0x20 && *p != 0x7f && !c1) {
			out[o++] = (char)*p;
			continue;
		}
		if (o + 5 >= cap)
			break;
		if (*p == '\n') {
			memcpy(out + o, "\n    ", 5);
			o += 5;
			continue;
		}
		if (c1)
			p++;
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 0xf];
	}
	out[o] = '\0';
}

void
sb_logv(enum sb_log_level level, const char *fmt, va_list ap)
{
	char stamp[32], line[2048], safe[4096];
	struct timeval tv;
	struct tm tm;

	if (level > current_level || quiet)
		return;
	/* Real wall time on purpose: logs say when things happened on this
	 * host, even when a test drives the daemon's clock. */
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	escape_controls(line, safe, sizeof(safe));
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, (long)(tv.tv_usec / 1000),
	    level_names[level], safe);
}

void
sb_log(enum sb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_logv(level, fmt, ap);
	va_end(ap);
}

void
sb_log_limited(struct sb_log_limit *lim, enum sb_log_level level, const char *fmt, ...)
{
	struct timespec ts;
	int64_t now;
	char line[2048];
	va_list ap;

	if (level > current_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now < lim->next_ms) {
		lim->suppressed++;
		return;
	}
	lim->next_ms = now + SB_LOG_LIMIT_MS;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (lim->suppressed > 0)
		sb_log(level, "%s (%lu more like it left out since the last such line)", line,
		    lim->suppressed);
	else
		sb_log(level, "%s", line);
	lim->suppressed = 0;
}
