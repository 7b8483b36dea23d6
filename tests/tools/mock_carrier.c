/*
 * mock_carrier.c - a fast mock SMS carrier for the benchmark and the README
 * demo: libevent's evhttp, one thread, keep-alive both ways.
 *
 *   mock_carrier -l 127.0.0.1:PORT [-a ANSWER_MS] [-d DELAY_MS] [-D] [-s VALUE]
 *                [-c CONNS] [-q]
 *
 * Every GET or POST on /sms is answered 200 {"message_id":"<n>"}, at once
 * or, with -a, ANSWER_MS later (a slow carrier; the requests wait in a FIFO,
 * all for the same time, while others are read).
 * With -D it then sends a delivery receipt, Kannel style, to the URL found
 * in the request's `dlr_url` parameter (form body or query): after DELAY_MS
 * it GETs that URL with %d replaced by VALUE (default 1, Kannel's
 * "delivered"), %A by an SMSC-like reply, %i by "mock" and %T by the Unix
 * time; a URL without %d gets "&status=VALUE" appended. Receipts go out over
 * a small pool of keep-alive connections per target (requests queue on each
 * connection), so the daemon sees a steady, realistic receipt stream.
 *
 * Port 0 picks a free port; the chosen address is printed first
 * ("listening on 127.0.0.1:NNNN"). SIGUSR1 prints the counters; SIGTERM or
 * SIGINT prints them and exits 0. Targets must be numeric addresses (the
 * daemon on 127.0.0.1): no DNS, so nothing here can block.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#define MAX_TARGETS 8
#define MAX_CONNS 64
#define MAX_BODY (64 * 1024)

/* A host:port receipts go to, with its connection pool. */
struct target {
	char host[64];
	int port;
	struct evhttp_connection *conns[MAX_CONNS];
	unsigned next;
};

/* An answer held back (-a); all share one delay, so a FIFO suffices. */
struct held {
	struct timeval due;
	struct evhttp_request *req;       /* NULL once its connection closed */
	struct evhttp_connection *evcon;
	struct held *next;
};

/* A receipt waiting for its time; all share one delay, so a FIFO suffices. */
struct pending {
	struct timeval due;
	struct pending *next;
	char url[];
};

static struct {
	struct event_base *base;
	struct evhttp *http;
	long delay_ms;
	int dlr;
	int quiet;
	int nconns;
	const char *value;
	struct target targets[MAX_TARGETS];
	int ntargets;
	struct pending *head, *tail;
	struct event *timer;
	long answer_ms;
	struct held *held_head, *held_tail;
	struct event *answer_timer;
	/* counters */
	uint64_t requests, replies, not_found;
	uint64_t dlr_queued, dlr_sent, dlr_ok, dlr_failed, dlr_no_url, dlr_bad_url;
} mc;

static void
print_counters(void)
{
	printf("mock_carrier: requests=%" PRIu64 " replies=%" PRIu64 " not_found=%" PRIu64
	    " dlr_queued=%" PRIu64 " dlr_sent=%" PRIu64 " dlr_ok=%" PRIu64
	    " dlr_failed=%" PRIu64 " dlr_no_url=%" PRIu64 " dlr_bad_url=%" PRIu64 "\n",
	    mc.requests, mc.replies, mc.not_found, mc.dlr_queued, mc.dlr_sent, mc.dlr_ok,
	    mc.dlr_failed, mc.dlr_no_url, mc.dlr_bad_url);
	fflush(stdout);
}

/* ---- receipts out ---- */

static void
dlr_done(struct evhttp_request *req, void *arg)
{
	int code = req != NULL ? evhttp_request_get_response_code(req) : 0;

	if (code >= 200 && code < 300) {
		mc.dlr_ok++;
	} else {
		mc.dlr_failed++;
		if (!mc.quiet)
			fprintf(stderr, "mock_carrier: receipt answered %d\n", code);
	}
}

static struct target *
target_get(const char *host, int port)
{
	struct target *t;
	int i;

	for (i = 0; i < mc.ntargets; i++)
		if (mc.targets[i].port == port && strcmp(mc.targets[i].host, host) == 0)
			return &mc.targets[i];
	if (mc.ntargets == MAX_TARGETS || strlen(host) >= sizeof(t->host))
		return NULL;
	t = &mc.targets[mc.ntargets];
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = port;
	for (i = 0; i < mc.nconns; i++) {
		/* NULL dns base: numeric hosts only, resolved without blocking. */
		t->conns[i] = evhttp_connection_base_new(mc.base, NULL, host, (ev_uint16_t)port);
		if (t->conns[i] == NULL)
			return NULL;
		evhttp_connection_set_timeout(t->conns[i], 10);
		evhttp_connection_set_retries(t->conns[i], 2);
	}
	mc.ntargets++;
	return t;
}

/* Kannel's escapes in a dlr-url, the few a carrier mock needs. */
static void
expand_url(const char *in, char *out, size_t cap, uint64_t id)
{
	char reply[128];
	size_t o = 0;
	int has_d = 0;

	snprintf(reply, sizeof(reply), "id%%3A%" PRIu64 "+stat%%3A%s", id,
	    strcmp(mc.value, "1") == 0 ? "DELIVRD" : "UNDELIV");
	for (; *in != '\0' && o + 1 < cap; in++) {
		char buf[64];
		const char *rep = NULL;

		if (in[0] == '%' && in[1] != '\0') {
			switch (in[1]) {
			case 'd':
				rep = mc.value;
				has_d = 1;
				break;
			case 'A':
				rep = reply;
				break;
			case 'i':
				rep = "mock";
				break;
			case 'T':
				snprintf(buf, sizeof(buf), "%lld", (long long)time(NULL));
				rep = buf;
				break;
			}
		}
		if (rep == NULL) {
			out[o++] = *in;
			continue;
		}
		o += (size_t)snprintf(out + o, cap - o, "%s", rep);
		if (o >= cap)
			o = cap - 1;
		in++;
	}
	out[o] = '\0';
	if (!has_d && o + 1 < cap)
		snprintf(out + o, cap - o, "%sstatus=%s", strchr(out, '?') != NULL ? "&" : "?",
		    mc.value);
}

static void
dlr_send(const char *url)
{
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	const char *host = uri != NULL ? evhttp_uri_get_host(uri) : NULL;
	const char *path, *query;
	struct target *t;
	struct evhttp_request *req;
	char target[4096];
	int port;

	if (host == NULL) {
		mc.dlr_bad_url++;
		goto out;
	}
	port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : 80;
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	snprintf(target, sizeof(target), "%s%s%s", path != NULL && *path != '\0' ? path : "/",
	    query != NULL ? "?" : "", query != NULL ? query : "");
	if ((t = target_get(host, port)) == NULL ||
	    (req = evhttp_request_new(dlr_done, NULL)) == NULL) {
		mc.dlr_failed++;
		goto out;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", host);
	if (evhttp_make_request(t->conns[t->next++ % (unsigned)mc.nconns], req,
	    EVHTTP_REQ_GET, target) < 0) {
		mc.dlr_failed++; /* evhttp_make_request freed req */
		goto out;
	}
	mc.dlr_sent++;
out:
	if (uri != NULL)
		evhttp_uri_free(uri);
}

/* Arm `ev` for `due` (at once if it has passed). */
static void
arm_at(struct event *ev, const struct timeval *due)
{
	struct timeval now, tv = { 0, 0 };

	gettimeofday(&now, NULL);
	if (timercmp(due, &now, >))
		timersub(due, &now, &tv);
	evtimer_add(ev, &tv);
}

static void
timer_arm(void)
{
	if (mc.head != NULL)
		arm_at(mc.timer, &mc.head->due);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval now;

	gettimeofday(&now, NULL);
	while (mc.head != NULL && !timercmp(&mc.head->due, &now, >)) {
		struct pending *p = mc.head;

		mc.head = p->next;
		if (mc.head == NULL)
			mc.tail = NULL;
		dlr_send(p->url);
		free(p);
	}
	timer_arm();
}

static void
dlr_queue(const char *dlr_url, uint64_t id)
{
	char url[4096];
	struct pending *p;
	struct timeval delay = { mc.delay_ms / 1000, (mc.delay_ms % 1000) * 1000 };
	size_t len;

	expand_url(dlr_url, url, sizeof(url), id);
	len = strlen(url);
	if ((p = malloc(sizeof(*p) + len + 1)) == NULL) {
		mc.dlr_failed++;
		return;
	}
	memcpy(p->url, url, len + 1);
	gettimeofday(&p->due, NULL);
	timeradd(&p->due, &delay, &p->due);
	p->next = NULL;
	if (mc.tail != NULL)
		mc.tail->next = p;
	else
		mc.head = p;
	mc.tail = p;
	mc.dlr_queued++;
	if (mc.head == p)
		timer_arm();
}

/* ---- requests in ---- */

/* Find dlr_url in the form body or the query; queue a receipt for it. */
static void
take_dlr(struct evhttp_request *req, uint64_t id)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq kv = { 0 }; /* clearing an empty list is a no-op */
	const char *url = NULL;
	size_t len = evbuffer_get_length(in);
	char *body = NULL;

	if (len > 0 && len < MAX_BODY && (body = malloc(len + 1)) != NULL) {
		evbuffer_copyout(in, body, len);
		body[len] = '\0';
		if (evhttp_parse_query_str(body, &kv) == 0)
			url = evhttp_find_header(&kv, "dlr_url");
	}
	if (url == NULL && query != NULL) {
		evhttp_clear_headers(&kv);
		if (evhttp_parse_query_str(query, &kv) == 0)
			url = evhttp_find_header(&kv, "dlr_url");
	}
	if (url != NULL && *url != '\0')
		dlr_queue(url, id);
	else
		mc.dlr_no_url++;
	evhttp_clear_headers(&kv);
	free(body);
}

static void
answer_arm(void)
{
	if (mc.held_head != NULL)
		arm_at(mc.answer_timer, &mc.held_head->due);
}

static void
answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval now;

	(void)fd;
	(void)what;
	(void)arg;
	gettimeofday(&now, NULL);
	while (mc.held_head != NULL && !timercmp(&mc.held_head->due, &now, >)) {
		struct held *h = mc.held_head;

		mc.held_head = h->next;
		if (mc.held_head == NULL)
			mc.held_tail = NULL;
		if (h->req != NULL)
			evhttp_send_reply(h->req, 200, "OK", NULL);
		free(h);
	}
	answer_arm();
}

/* A client closed: its held requests are freed with the connection. */
static void
answer_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)arg;
	for (struct held *h = mc.held_head; h != NULL; h = h->next)
		if (h->evcon == evcon)
			h->req = NULL;
}

/* Hold the answer ANSWER_MS; 0 if held, -1 to answer now. */
static int
answer_hold(struct evhttp_request *req)
{
	struct timeval delay = { mc.answer_ms / 1000, (mc.answer_ms % 1000) * 1000 };
	struct held *h;

	if (mc.answer_ms <= 0 || (h = malloc(sizeof(*h))) == NULL)
		return -1;
	gettimeofday(&h->due, NULL);
	timeradd(&h->due, &delay, &h->due);
	h->req = req;
	h->evcon = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(h->evcon, answer_closed, NULL);
	h->next = NULL;
	if (mc.held_tail != NULL)
		mc.held_tail->next = h;
	else
		mc.held_head = h;
	mc.held_tail = h;
	if (mc.held_head == h)
		answer_arm();
	return 0;
}

static void
sms_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	uint64_t id;

	mc.requests++;
	if (path == NULL || strcmp(path, "/sms") != 0) {
		mc.not_found++;
		evhttp_send_error(req, 404, NULL);
		return;
	}
	id = ++mc.replies;
	evbuffer_add_printf(out, "{\"message_id\":\"%" PRIu64 "\"}", id);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	if (mc.dlr)
		take_dlr(req, id); /* before the reply: sending frees the request */
	if (answer_hold(req) < 0)
		evhttp_send_reply(req, 200, "OK", out);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	print_counters();
	if (sig != SIGUSR1)
		event_base_loopbreak(mc.base);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mock_carrier -l ADDR:PORT [-a ANSWER_MS] [-d DELAY_MS] [-D]"
	    " [-s VALUE] [-c CONNS] [-q]\n"
	    "  -l  listen address, e.g. 127.0.0.1:9901 (port 0: any free port)\n"
	    "  -a  answer each request this long after it came (default 0)\n"
	    "  -D  send a delivery receipt to each request's dlr_url\n"
	    "  -d  wait this long before each receipt (default 0)\n"
	    "  -s  value for %%d in the dlr_url (default 1 = delivered; 2 = undeliverable)\n"
	    "  -c  keep-alive connections per receipt target (default 4, max %d)\n"
	    "  -q  do not report failed receipts on stderr\n", MAX_CONNS);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct evhttp_bound_socket *bs;
	struct event_config *cfg;
	struct event *sigs[3];
	const int signums[3] = { SIGTERM, SIGINT, SIGUSR1 };
	char addr[64] = "", *colon;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int c, i, port;

	mc.nconns = 4;
	mc.value = "1";
	while ((c = getopt(argc, argv, "l:a:d:Ds:c:q")) != -1) {
		switch (c) {
		case 'a':
			mc.answer_ms = strtol(optarg, NULL, 10);
			break;
		case 'l':
			snprintf(addr, sizeof(addr), "%s", optarg);
			break;
		case 'd':
			mc.delay_ms = strtol(optarg, NULL, 10);
			break;
		case 'D':
			mc.dlr = 1;
			break;
		case 's':
			mc.value = optarg;
			break;
		case 'c':
			mc.nconns = atoi(optarg);
			break;
		case 'q':
			mc.quiet = 1;
			break;
		default:
			usage();
		}
	}
	if ((colon = strrchr(addr, ':')) == NULL || mc.delay_ms < 0 || mc.answer_ms < 0 ||
	    mc.nconns < 1 ||
	    mc.nconns > MAX_CONNS)
		usage();
	*colon = '\0';
	port = atoi(colon + 1);
	signal(SIGPIPE, SIG_IGN);
	/* A precise timer (timerfd): epoll's millisecond timeouts would add up
	 * to a millisecond to every held answer. */
	if ((cfg = event_config_new()) == NULL)
		return 1;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	mc.base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (mc.base == NULL)
		return 1;
	mc.http = evhttp_new(mc.base);
	mc.timer = evtimer_new(mc.base, timer_cb, NULL);
	mc.answer_timer = evtimer_new(mc.base, answer_cb, NULL);
	evhttp_set_allowed_methods(mc.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(mc.http, MAX_BODY);
	evhttp_set_gencb(mc.http, sms_cb, NULL);
	if ((bs = evhttp_bind_socket_with_handle(mc.http, addr, (ev_uint16_t)port)) == NULL) {
		fprintf(stderr, "mock_carrier: cannot listen on %s:%d: %s\n", addr, port,
		    strerror(errno));
		return 1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sslen) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(mc.base, signums[i], signal_cb, NULL);
		evsignal_add(sigs[i], NULL);
	}
	printf("listening on %s:%d\n", addr, port);
	fflush(stdout);
	event_base_dispatch(mc.base);

	while (mc.head != NULL) {
		struct pending *p = mc.head;

		mc.head = p->next;
		free(p);
	}
	while (mc.held_head != NULL) { /* their requests go with the connections */
		struct held *h = mc.held_head;

		mc.held_head = h->next;
		free(h);
	}
	for (i = 0; i < mc.ntargets; i++) {
		int j;

		for (j = 0; j < mc.nconns; j++)
			if (mc.targets[i].conns[j] != NULL)
				evhttp_connection_free(mc.targets[i].conns[j]);
	}
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	event_free(mc.timer);
	event_free(mc.answer_timer);
	evhttp_free(mc.http);
	event_base_free(mc.base);
	return 0;
}
