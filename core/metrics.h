/*
 * metrics.h - counters, gauges and histograms for Prometheus /metrics.
 *
 * One registry per process (the daemon has one event loop); updates are a
 * few comparisons and an add, cheap enough for the hot path.
 */
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include <stdint.h>

#include "status.h"

/* Message status gauge: one message moved (from -1: a new message). */
void sb_metrics_status_move(int from, int to);
void sb_metrics_status_set(const int64_t counts[SB_ST_COUNT]);
/* A counter with labels instance (NULL: none; some families name this label
 * otherwise, see metrics.c) and, if outcome > 0, outcome. */
void sb_metrics_count(const char *name, const char *instance, int outcome, uint64_t n);
/* A plugin's own counter (host->counter_add). */
void sb_metrics_plugin_counter(const char *instance, const char *name, uint64_t n);
/* Provider request latency of one send. */
void sb_metrics_latency(const char *instance, int64_t usec);
/* A counter whose total is kept elsewhere (the store's), set at a scrape. */
void sb_metrics_counter_set(const char *name, uint64_t value);
/* Queue depth and similar gauges set just before rendering. */
void sb_metrics_gauge(const char *name, const char *instance, int64_t value);
/* The whole exposition text; caller frees. */
char *sb_metrics_render(void);
void sb_metrics_reset(void);

#endif
