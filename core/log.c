/*
 * log.c - timestamped log lines on stderr. Lines below the configured
 * level cost one comparison.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

static enum sb_log_level current_level = SB_LOG_INFO;

static const char *const level_names[] = {
	[SB_LOG_ERROR] = "error",
	[SB_LOG_WARN] = "warn",
	[SB_LOG_INFO] = "info",
	[SB_LOG_DEBUG] = "debug",
};

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

void
sb_logv(enum sb_log_level level, const char *fmt, va_list ap)
{
	char stamp[32], line[2048];
	struct timeval tv;
	struct tm tm;

	if (level > current_level)
		return;
	/* Real wall time on purpose: logs say when things happened on this
	 * host, even when a test drives the daemon's clock. */
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, (long)(tv.tv_usec / 1000),
	    level_names[level], line);
}

void
sb_log(enum sb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_logv(level, fmt, ap);
	va_end(ap);
}
