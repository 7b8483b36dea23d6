/*
 * loadgen.c - the benchmark's client: POST /v1/messages over C keep-alive
 * connections, one request in flight per connection, and the latency of
 * each acknowledgement (which the daemon sends only after its group
 * commit). Prints one summary line, with its own CPU time per message;
 * scripts/bench does the rest. -u sends the same requests to another path
 * (the bench's `ceiling`: straight to the mock carrier, no daemon).
 *
 *   loadgen -p PORT -k API_KEY -n MESSAGES [-c CONNECTIONS] [-r RECIPIENTS_PER_REQUEST]
 *           [-u PATH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct conn {
	struct evhttp_connection *evcon;
	struct load *ld;
	double started;
};

struct load {
	struct event_base *base;
	const char *key, *path;
	int port;
	long total, issued, done, errors, per_request;
	double *lat;
	long nlat;
	int active;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void issue(struct conn *c);

static void
on_reply(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;
	struct load *ld = c->ld;
	int code = req != NULL ? evhttp_request_get_response_code(req) : 0;

	ld->lat[ld->nlat++] = now_s() - c->started;
	if (code != 202 && code != 200) {
		if (ld->errors++ < 5)
			fprintf(stderr, "loadgen: HTTP %d\n", code);
	}
	ld->done += ld->per_request;
	if (ld->issued < ld->total)
		issue(c);
	else if (--ld->active == 0)
		event_base_loopexit(ld->base, NULL);
}

static void
issue(struct conn *c)
{
	struct load *ld = c->ld;
	struct evhttp_request *req = evhttp_request_new(on_reply, c);
	struct evbuffer *body = evhttp_request_get_output_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char auth[256];

	evbuffer_add_printf(body, "{\"to\": [");
	for (long i = 0; i < ld->per_request; i++)
		evbuffer_add_printf(body, "%s\"+55119%08ld\"", i ? "," : "",
		    (ld->issued + i) % 100000000);
	evbuffer_add_printf(body, "], \"text\": \"Your verification code is %06ld."
	    " It expires in 10 minutes.\"}", ld->issued % 1000000);
	ld->issued += ld->per_request;
	snprintf(auth, sizeof(auth), "Bearer %s", ld->key);
	evhttp_add_header(h, "Host", "127.0.0.1");
	evhttp_add_header(h, "Authorization", auth);
	evhttp_add_header(h, "Content-Type", "application/json");
	c->started = now_s();
	evhttp_make_request(c->evcon, req, EVHTTP_REQ_POST, ld->path);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct load ld = { .per_request = 1, .path = "/v1/messages" };
	int nconn = 16, opt;
	struct conn *conns;
	struct rusage ru;
	double t0, t1, cpu;

	while ((opt = getopt(argc, argv, "p:k:n:c:r:u:")) != -1) {
		switch (opt) {
		case 'p': ld.port = atoi(optarg); break;
		case 'k': ld.key = optarg; break;
		case 'n': ld.total = atol(optarg); break;
		case 'c': nconn = atoi(optarg); break;
		case 'r': ld.per_request = atol(optarg); break;
		case 'u': ld.path = optarg; break;
		default:
			fprintf(stderr, "usage: loadgen -p PORT -k KEY -n N [-c CONN] [-r PER_REQ]"
			    " [-u PATH]\n");
			return 2;
		}
	}
	if (ld.port <= 0 || ld.key == NULL || ld.total <= 0 || nconn <= 0 || ld.per_request <= 0)
		return fprintf(stderr, "loadgen: -p, -k and -n are required\n"), 2;
	ld.base = event_base_new();
	ld.lat = calloc((size_t)(ld.total / ld.per_request + nconn + 1), sizeof(double));
	conns = calloc((size_t)nconn, sizeof(*conns));
	t0 = now_s();
	for (int i = 0; i < nconn && ld.issued < ld.total; i++) {
		conns[i].ld = &ld;
		conns[i].evcon = evhttp_connection_base_new(ld.base, NULL, "127.0.0.1",
		    (unsigned short)ld.port);
		evhttp_connection_set_timeout(conns[i].evcon, 30);
		ld.active++;
		issue(&conns[i]);
	}
	event_base_dispatch(ld.base);
	t1 = now_s();
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	qsort(ld.lat, (size_t)ld.nlat, sizeof(double), cmp_double);
	printf("accepted %ld messages in %.3f s = %.0f msg/s; ack latency p50 %.2f ms"
	    " p99 %.2f ms max %.2f ms; errors %ld; load generator CPU %.1f us per message\n",
	    ld.done, t1 - t0, (double)ld.done / (t1 - t0), ld.lat[ld.nlat / 2] * 1e3,
	    ld.lat[(long)((double)ld.nlat * 0.99)] * 1e3, ld.lat[ld.nlat - 1] * 1e3, ld.errors,
	    ld.done > 0 ? cpu * 1e6 / (double)ld.done : 0.0);
	for (int i = 0; i < nconn; i++)
		if (conns[i].evcon != NULL)
			evhttp_connection_free(conns[i].evcon);
	free(conns);
	free(ld.lat);
	event_base_free(ld.base);
	return ld.errors > 0;
}
