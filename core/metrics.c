/*
 * metrics.c - a small fixed registry rendered in the Prometheus text format.
 *
 * Every family is written once, as one block: # HELP, # TYPE, then all its
 * series, whatever order the series were first counted in. Families named
 * in `families` get their help text and label name from there; a name not
 * listed (a new counter somewhere) still renders validly, with a generic
 * help line and the label "instance". Label values are sized from
 * SB_NAME_MAX, the longest name the configuration accepts; a longer value
 * is not counted (rather than truncated into a key that never matches and
 * fills the registry).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/types.h>

#include "config.h"
#include "metrics.h"

#define MAX_SERIES 1024
#define FAMILY_LEN 96
#define LABEL_LEN (SB_NAME_MAX + 1)

static const struct family {
	const char *name;
	const char *help;
	const char *label;       /* the first label's name; NULL: no labels */
} families[] = {
	{ "sb_messages", "Messages per status.", "status" },
	{ "sb_attempt_results_total", "Send results reported by channels.", "instance" },
	{ "sb_receipts_total", "Receipts matched to an attempt.", "instance" },
	{ "sb_receipts_unknown_total", "Receipts for a provider id no attempt has.", "instance" },
	{ "sb_receipt_polls_total", "Status polls sent to providers.", "instance" },
	{ "sb_attempts_expired_total", "Attempts that got no final status in time.", "instance" },
	{ "sb_direct_starts_total",
	  "New messages sent at once into a free slot, without queueing.", "instance" },
	{ "sb_webhooks_total", "Provider callbacks handed to a plugin.", "instance" },
	{ "sb_inbound_total", "Inbound messages filed (a provider's repeat not counted).",
	  "instance" },
	{ "sb_in_doubt_restarts_total",
	  "Sends a restart found in flight, whose fate is unknown.", "instance" },
	{ "sb_in_doubt_timeouts_total",
	  "Sends with no answer after the request went out.", "instance" },
	{ "sb_engine_refused_total",
	  "Status moves the engine refused (a bug if ever above 0).", NULL },
	{ "sb_queue_depth", "Messages waiting for a channel instance.", "instance" },
	{ "sb_plugin_counter_total", "Counters kept by plugins.", "instance" },
	{ "sb_provider_latency_seconds", "From send to the channel's result.", "instance" },
	{ "sb_http_connections", "HTTP connections open.", NULL },
	{ "sb_http_deadline_closes_total",
	  "HTTP connections closed for a request not complete in time.", "phase" },
	{ "sb_http_auth_failures_total", "Failed API key checks.", NULL },
	{ "sb_events_delivered_total", "Events delivered to applications (2xx).", NULL },
	{ "sb_events_failed_total",
	  "Events given up: refused by the application or past retry_for.", NULL },
	{ "sb_events_retries_total", "Event deliveries to be tried again.", NULL },
	{ "sb_events_pending", "Events waiting for delivery.", NULL },
	{ "sb_events_in_flight", "Event requests in flight.", NULL },
	{ "sb_http_auth_throttled_total",
	  "Requests refused because their address failed too many key checks.", NULL },
	{ "sb_store_commits_total", "Group commits of the store (each one fsync).", NULL },
	{ "sb_store_wal_rewinds_total",
	  "Times the store's WAL was fully checkpointed under load and began again.", NULL },
	{ "sb_store_wal_bytes_total", "Bytes the store wrote to its write-ahead log.", NULL },
	{ "sb_store_text_unindexed",
	  "Messages and text changes the text index has not taken in yet (searched by their"
	  " text meanwhile).",
	  NULL },
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

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
	char name[FAMILY_LEN];   /* the family; for SERIES_PLUGIN the plugin's name */
	char instance[LABEL_LEN];
	int outcome;
	int64_t value;
};

struct histogram {
	char instance[LABEL_LEN];
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
	if (instance == NULL)
		instance = "";
	if (strlen(name) >= FAMILY_LEN || strlen(instance) >= LABEL_LEN)
		return NULL;
	for (size_t i = 0; i < nseries; i++) {
		struct series *s = &series[i];

		if (s->kind == kind && s->outcome == outcome && strcmp(s->name, name) == 0 &&
		    strcmp(s->instance, instance) == 0)
			return s;
	}
	if (nseries == MAX_SERIES)
		return NULL;
	series[nseries] = (struct series){ .kind = kind, .outcome = outcome };
	snprintf(series[nseries].name, FAMILY_LEN, "%s", name);
	snprintf(series[nseries].instance, LABEL_LEN, "%s", instance);
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
sb_metrics_counter_set(const char *name, uint64_t value)
{
	struct series *s = find_series(SERIES_COUNTER, name, NULL, 0);

	if (s != NULL)
		s->value = (int64_t)value;
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

	if (strlen(instance) >= LABEL_LEN)
		return;
	for (size_t i = 0; i < nhists && h == NULL; i++)
		if (strcmp(hists[i].instance, instance) == 0)
			h = &hists[i];
	if (h == NULL) {
		if (nhists == sizeof(hists) / sizeof(hists[0]))
			return;
		h = &hists[nhists++];
		memset(h, 0, sizeof(*h));
		snprintf(h->instance, LABEL_LEN, "%s", instance);
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

	for (;;) {
		int n;

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

/* A label value with \, " and newline escaped. */
static void
out_label(struct out *o, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			out_printf(o, "\\%c", *v);
		else if (*v == '\n')
			out_printf(o, "\\n");
		else
			out_printf(o, "%c", *v);
	}
}

static const struct family *
family_of(const char *name)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		if (strcmp(families[i].name, name) == 0)
			return &families[i];
	return NULL;
}

static void
out_header(struct out *o, const char *name, const char *type)
{
	const struct family *f = family_of(name);

	if (f != NULL)
		out_printf(o, "# HELP %s %s\n", name, f->help);
	else
		out_printf(o, "# HELP %s switchboard metric %s.\n", name, name);
	out_printf(o, "# TYPE %s %s\n", name, type);
}

/* The family name a series renders under. */
static const char *
series_family(const struct series *s)
{
	return s->kind == SERIES_PLUGIN ? "sb_plugin_counter_total" : s->name;
}

static void
out_series(struct out *o, const struct series *s)
{
	const struct family *f = family_of(series_family(s));
	const char *label = f != NULL ? f->label : "instance";

	out_printf(o, "%s", series_family(s));
	if (s->kind == SERIES_PLUGIN) {
		out_printf(o, "{instance=\"");
		out_label(o, s->instance);
		out_printf(o, "\",name=\"");
		out_label(o, s->name);
		out_printf(o, "\"}");
	} else if (label != NULL && (s->instance[0] != '\0' || s->outcome > 0)) {
		out_printf(o, "{%s=\"", label);
		out_label(o, s->instance);
		out_printf(o, "\"");
		if (s->outcome > 0 && s->outcome < NOUTCOMES)
			out_printf(o, ",outcome=\"%s\"", outcome_names[s->outcome]);
		out_printf(o, "}");
	}
	out_printf(o, " %lld\n", (long long)s->value);
}

/* Each family once: its header where its first series is, then all of them. */
static void
render_series(struct out *o)
{
	for (size_t i = 0; i < nseries; i++) {
		const char *fam = series_family(&series[i]);
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(series_family(&series[j]), fam) == 0)
				break;
		if (j < i)
			continue;
		out_header(o, fam, series[i].kind == SERIES_GAUGE ? "gauge" : "counter");
		for (j = i; j < nseries; j++)
			if (strcmp(series_family(&series[j]), fam) == 0)
				out_series(o, &series[j]);
	}
}

char *
sb_metrics_render(void)
{
	struct out o = { malloc(4096), 0, 4096 };

	out_header(&o, "sb_messages", "gauge");
	for (int st = 0; st < SB_ST_COUNT; st++)
		out_printf(&o, "sb_messages{status=\"%s\"} %lld\n",
		    sb_status_name((enum sb_status)st), (long long)status_counts[st]);
	render_series(&o);
	if (nhists > 0)
		out_header(&o, "sb_provider_latency_seconds", "histogram");
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
