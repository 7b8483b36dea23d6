/*
 * metrics.c - a small fixed registry rendered in the Prometheus text format.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/types.h>

#include "metrics.h"

#define MAX_SERIES 512
#define NAME_LEN 64

static const char *const outcome_names[] = {
	[SB_OUT_ACCEPTED] = "accepted", [SB_OUT_DELIVERED] = "delivered",
	[SB_OUT_READ] = "read", [SB_OUT_TEMPORARY] = "temporary",
	[SB_OUT_UNDELIVERABLE] = "undeliverable", [SB_OUT_FAILED] = "failed",
	[SB_OUT_EXPIRED] = "expired",
};
#define NOUTCOMES ((int)(sizeof(outcome_names) / sizeof(outcome_names[0])))

/* Upper bounds of the latency buckets, in seconds. */
static const double latency_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBOUNDS (sizeof(latency_bounds) / sizeof(latency_bounds[0]))

enum series_kind { SERIES_COUNTER, SERIES_GAUGE, SERIES_PLUGIN };

struct series {
	enum series_kind kind;
	char name[NAME_LEN];
	char instance[NAME_LEN];
	int outcome;
	int64_t value;
};

struct histogram {
	char instance[NAME_LEN];
	uint64_t buckets[NBOUNDS];
	uint64_t count;
	double sum;
};

static struct series series[MAX_SERIES];
static size_t nseries;
static struct histogram hists[64];
static size_t nhists;
static int64_t status_counts[SB_ST_COUNT];

void
sb_metrics_reset(void)
{
	nseries = nhists = 0;
	memset(status_counts, 0, sizeof(status_counts));
}

void
sb_metrics_status_move(int from, int to)
{
	if (from >= 0 && from < SB_ST_COUNT)
		status_counts[from]--;
	if (to >= 0 && to < SB_ST_COUNT)
		status_counts[to]++;
}

void
sb_metrics_status_set(const int64_t counts[SB_ST_COUNT])
{
	memcpy(status_counts, counts, sizeof(status_counts));
}

static struct series *
find_series(enum series_kind kind, const char *name, const char *instance, int outcome)
{
	for (size_t i = 0; i < nseries; i++) {
		struct series *s = &series[i];

		if (s->kind == kind && s->outcome == outcome && strcmp(s->name, name) == 0 &&
		    strcmp(s->instance, instance) == 0)
			return s;
	}
	if (nseries == MAX_SERIES)
		return NULL;
	series[nseries] = (struct series){ .kind = kind, .outcome = outcome };
	snprintf(series[nseries].name, NAME_LEN, "%s", name);
	snprintf(series[nseries].instance, NAME_LEN, "%s", instance);
	return &series[nseries++];
}

void
sb_metrics_count(const char *name, const char *instance, int outcome, uint64_t n)
{
	struct series *s = find_series(SERIES_COUNTER, name, instance, outcome);

	if (s != NULL)
		s->value += (int64_t)n;
}

void
sb_metrics_plugin_counter(const char *instance, const char *name, uint64_t n)
{
	struct series *s = find_series(SERIES_PLUGIN, name, instance, 0);

	if (s != NULL)
		s->value += (int64_t)n;
}

void
sb_metrics_gauge(const char *name, const char *instance, int64_t value)
{
	struct series *s = find_series(SERIES_GAUGE, name, instance, 0);

	if (s != NULL)
		s->value = value;
}

void
sb_metrics_latency(const char *instance, int64_t usec)
{
	struct histogram *h = NULL;
	double sec = (double)usec / 1e6;

	for (size_t i = 0; i < nhists && h == NULL; i++)
		if (strcmp(hists[i].instance, instance) == 0)
			h = &hists[i];
	if (h == NULL) {
		if (nhists == sizeof(hists) / sizeof(hists[0]))
			return;
		h = &hists[nhists++];
		memset(h, 0, sizeof(*h));
		snprintf(h->instance, NAME_LEN, "%s", instance);
	}
	for (size_t b = 0; b < NBOUNDS; b++)
		if (sec <= latency_bounds[b])
			h->buckets[b]++;
	h->count++;
	h->sum += sec;
}

/* A growable string for rendering. */
struct out {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		o->cap = o->cap * 2 + (size_t)(n > 0 ? n : 0);
		o->buf = realloc(o->buf, o->cap);
	}
}

static void
render_series(struct out *o, enum series_kind kind)
{
	const char *last = "";

	for (size_t i = 0; i < nseries; i++) {
		const struct series *s = &series[i];

		if (s->kind != kind)
			continue;
		if (kind == SERIES_PLUGIN) {
			out_printf(o, "sb_plugin_counter_total{instance=\"%s\",name=\"%s\"} %lld\n",
			    s->instance, s->name, (long long)s->value);
			continue;
		}
		if (strcmp(last, s->name) != 0)
			out_printf(o, "# TYPE %s %s\n", s->name,
			    kind == SERIES_GAUGE ? "gauge" : "counter");
		last = s->name;
		if (s->outcome > 0 && s->outcome < NOUTCOMES)
			out_printf(o, "%s{instance=\"%s\",outcome=\"%s\"} %lld\n", s->name,
			    s->instance, outcome_names[s->outcome], (long long)s->value);
		else
			out_printf(o, "%s{instance=\"%s\"} %lld\n", s->name, s->instance,
			    (long long)s->value);
	}
}

char *
sb_metrics_render(void)
{
	struct out o = { malloc(4096), 0, 4096 };

	out_printf(&o, "# TYPE sb_messages gauge\n");
	for (int st = 0; st < SB_ST_COUNT; st++)
		out_printf(&o, "sb_messages{status=\"%s\"} %lld\n",
		    sb_status_name((enum sb_status)st), (long long)status_counts[st]);
	render_series(&o, SERIES_COUNTER);
	render_series(&o, SERIES_GAUGE);
	out_printf(&o, "# TYPE sb_plugin_counter_total counter\n");
	render_series(&o, SERIES_PLUGIN);
	out_printf(&o, "# TYPE sb_provider_latency_seconds histogram\n");
	for (size_t i = 0; i < nhists; i++) {
		const struct histogram *h = &hists[i];

		for (size_t b = 0; b < NBOUNDS; b++)
			out_printf(&o, "sb_provider_latency_seconds_bucket{instance=\"%s\","
			    "le=\"%g\"} %llu\n", h->instance, latency_bounds[b],
			    (unsigned long long)h->buckets[b]);
		out_printf(&o, "sb_provider_latency_seconds_bucket{instance=\"%s\",le=\"+Inf\"}"
		    " %llu\n", h->instance, (unsigned long long)h->count);
		out_printf(&o, "sb_provider_latency_seconds_sum{instance=\"%s\"} %g\n",
		    h->instance, h->sum);
		out_printf(&o, "sb_provider_latency_seconds_count{instance=\"%s\"} %llu\n",
		    h->instance, (unsigned long long)h->count);
	}
	return o.buf;
}
