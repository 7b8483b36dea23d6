/*
 * test_http_client.c - core/http_client.c against a real evhttp server on
 * 127.0.0.1, both on one event_base (so the test also proves the client
 * never blocks the loop: if it did, the server could not answer).
 *
 * Every loop run is bounded by a watchdog timer; nothing leaves 127.0.0.1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http_client.h"

#define MAX_PORTS 256

/* What the server saw of the last request. */
struct seen {
	char method[8];
	char uri[256];
	char body[256];
	char auth[128];
	char custom[64];
	char ctype[64];
	char expect[32];
};

struct fixture {
	struct event_base *base;
	struct evhttp *http;
	int port;
	struct sb_http_client *client;
	struct event *watchdog;
	/* server side */
	int peer_ports[MAX_PORTS]; /* distinct client ports = TCP connections */
	int nports;
	int nreqs;
	struct seen seen;
	/* client side */
	int want;                 /* break the loop after this many callbacks */
	int done;
	long status;
	char body[256];
	size_t body_len;
	char error[256];
	char header[64];
	int in_request;           /* set while sb_http_client_request runs */
	int reentrant;            /* a callback came while in_request */
	int shutdowns;            /* callbacks with error "shutdown" */
	int chain_left;           /* sequential test: requests still to start */
};

static void
copy_header(struct evkeyvalq *h, const char *name, char *out, size_t cap)
{
	const char *v = evhttp_find_header(h, name);

	snprintf(out, cap, "%s", v != NULL ? v : "");
}

static void
server_cb(struct evhttp_request *req, void *arg)
{
	struct fixture *f = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *uri = evhttp_request_get_uri(req);
	char *addr = NULL;
	ev_uint16_t peer = 0;
	size_t n;
	int i;

	f->nreqs++;
	evhttp_connection_get_peer(conn, &addr, &peer);
	for (i = 0; i < f->nports && f->peer_ports[i] != peer; i++)
		;
	if (i == f->nports && f->nports < MAX_PORTS)
		f->peer_ports[f->nports++] = peer;

	snprintf(f->seen.method, sizeof(f->seen.method), "%s",
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" :
	    evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "OTHER");
	snprintf(f->seen.uri, sizeof(f->seen.uri), "%s", uri);
	n = evbuffer_get_length(in);
	if (n >= sizeof(f->seen.body))
		n = sizeof(f->seen.body) - 1;
	evbuffer_copyout(in, f->seen.body, n);
	f->seen.body[n] = '\0';
	copy_header(h, "Authorization", f->seen.auth, sizeof(f->seen.auth));
	copy_header(h, "X-Custom", f->seen.custom, sizeof(f->seen.custom));
	copy_header(h, "Content-Type", f->seen.ctype, sizeof(f->seen.ctype));
	copy_header(h, "Expect", f->seen.expect, sizeof(f->seen.expect));

	if (strncmp(uri, "/hang", 5) == 0)
		return; /* never answer; evhttp frees it when the client goes away */
	if (strncmp(uri, "/fail", 5) == 0) {
		evbuffer_add_printf(out, "boom");
		evhttp_send_reply(req, 500, "Internal Server Error", out);
		return;
	}
	if (strncmp(uri, "/big", 4) == 0) {
		char chunk[4096];

		memset(chunk, 'x', sizeof(chunk));
		for (i = 0; i < 512; i++) /* 2 MiB */
			evbuffer_add(out, chunk, sizeof(chunk));
		evhttp_send_reply(req, 200, "OK", out);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Message-Id", "abc-42");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "7");
	evbuffer_add_printf(out, "hello");
	evhttp_send_reply(req, 200, "OK", out);
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;

	event_base_loopbreak(f->base);
}

/* Run the loop until f->want callbacks came, or `ms` passed. */
static void
run(struct fixture *f, int want, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	f->want = want;
	evtimer_add(f->watchdog, &tv);
	if (f->done < f->want)
		event_base_dispatch(f->base);
	evtimer_del(f->watchdog);
}

static void
done_cb(void *arg, long status, const char *body, size_t body_len, const char *error,
    const struct sb_http_reply *reply)
{
	struct fixture *f = arg;
	const char *h = sb_http_reply_header(reply, "x-message-id");

	if (f->in_request)
		f->reentrant = 1;
	f->done++;
	f->status = status;
	f->body_len = body_len;
	snprintf(f->body, sizeof(f->body), "%.*s", (int)(body_len < 200 ? body_len : 200),
	    body != NULL ? body : "");
	snprintf(f->error, sizeof(f->error), "%s", error != NULL ? error : "");
	snprintf(f->header, sizeof(f->header), "%s", h != NULL ? h : "");
	if (error != NULL && strcmp(error, "shutdown") == 0)
		f->shutdowns++;
	if (f->done >= f->want)
		event_base_loopbreak(f->base);
}

static int
start(struct fixture *f, const char *method, const char *path, const char *body,
    const char *const *headers, const char *userpwd, int64_t timeout_ms)
{
	char url[128];
	struct sb_http_request req = {
		.struct_size = sizeof(req),
		.method = method,
		.url = url,
		.headers = headers,
		.body = body,
		.body_len = body != NULL ? strlen(body) : 0,
		.userpwd = userpwd,
		.timeout_ms = timeout_ms,
	};
	int rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
	f->in_request = 1;
	rc = sb_http_client_request(f->client, &req, 5000, done_cb, f);
	f->in_request = 0;
	return rc;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_non_null(f);
	f->base = event_base_new();
	f->http = evhttp_new(f->base);
	evhttp_set_gencb(f->http, server_cb, f);
	bs = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", 0);
	assert_non_null(bs);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len), 0);
	f->port = ntohs(sin.sin_port);
	f->client = sb_http_client_new(f->base);
	assert_non_null(f->client);
	f->watchdog = evtimer_new(f->base, watchdog_cb, f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sb_http_client_free(f->client);
	evhttp_free(f->http);
	event_free(f->watchdog);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
test_get_200_body_and_header(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(start(f, NULL, "/ok", NULL, NULL, NULL, 0), 0);
	assert_int_equal(f->done, 0); /* never from inside the call */
	assert_int_equal(sb_http_client_inflight(f->client), 1);
	run(f, 1, 3000);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->status, 200);
	assert_string_equal(f->body, "hello");
	assert_int_equal(f->body_len, 5);
	assert_string_equal(f->error, "");
	assert_string_equal(f->header, "abc-42"); /* asked in lower case */
	assert_string_equal(f->seen.method, "GET");
	assert_int_equal(sb_http_client_inflight(f->client), 0);
	assert_false(f->reentrant);
}

static void
test_reply_header_lookup(void **state)
{
	(void)state;
	assert_null(sb_http_reply_header(NULL, "Retry-After"));
}

static void
test_post_body_and_headers(void **state)
{
	struct fixture *f = *state;
	const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"X-Custom: yes please",
		NULL,
	};

	assert_int_equal(start(f, "POST", "/echo?q=1", "to=%2B5511&text=hi+there",
	    headers, NULL, 0), 0);
	run(f, 1, 3000);
	assert_int_equal(f->status, 200);
	assert_string_equal(f->seen.method, "POST");
	assert_string_equal(f->seen.uri, "/echo?q=1");
	assert_string_equal(f->seen.body, "to=%2B5511&text=hi+there");
	assert_string_equal(f->seen.custom, "yes please");
	assert_string_equal(f->seen.ctype, "application/x-www-form-urlencoded");
	assert_string_equal(f->seen.expect, ""); /* no 100-continue round trip */
}

static void
test_basic_auth(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(start(f, "GET", "/auth", NULL, NULL, "user:pa:ss", 0), 0);
	run(f, 1, 3000);
	assert_int_equal(f->status, 200);
	/* base64("user:pa:ss") */
	assert_string_equal(f->seen.auth, "Basic dXNlcjpwYTpzcw==");
}

static void
test_500_passes_through(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(start(f, "POST", "/fail", "x", NULL, NULL, 0), 0);
	run(f, 1, 3000);
	assert_int_equal(f->status, 500);
	assert_string_equal(f->body, "boom");
	assert_string_equal(f->error, "");
}

static void
test_timeout(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(start(f, "GET", "/hang", NULL, NULL, NULL, 200), 0);
	run(f, 1, 3000);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->status, 0);
	assert_non_null(strstr(f->error, "timeout"));
	assert_string_equal(f->header, ""); /* no answer, no headers */
}

static void
test_connection_refused(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct sb_http_request req = { .struct_size = sizeof(req) };
	char url[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was just free and is closed again: nobody listens there. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", ntohs(sin.sin_port));
	req.url = url;
	assert_int_equal(sb_http_client_request(f->client, &req, 2000, done_cb, f), 0);
	run(f, 1, 3000);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->status, 0);
	assert_non_null(strstr(f->error, "refused"));
}

static void
test_bad_url_not_started(void **state)
{
	struct fixture *f = *state;
	struct sb_http_request req = { .struct_size = sizeof(req), .url = "ftp://x/" };

	assert_int_equal(sb_http_client_request(f->client, &req, 0, done_cb, f), -1);
	req.url = NULL;
	assert_int_equal(sb_http_client_request(f->client, &req, 0, done_cb, f), -1);
	assert_int_equal(sb_http_client_inflight(f->client), 0);
	assert_int_equal(f->done, 0);
}

static void
test_body_capped(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(start(f, "GET", "/big", NULL, NULL, NULL, 0), 0);
	run(f, 1, 5000);
	assert_int_equal(f->status, 200);
	assert_int_equal(f->body_len, 1024 * 1024);
}

/* Each callback starts the next request: from inside a callback, on purpose. */
static void
chain_cb(void *arg, long status, const char *body, size_t body_len, const char *error,
    const struct sb_http_reply *reply)
{
	struct fixture *f = arg;

	done_cb(arg, status, body, body_len, error, reply);
	assert_int_equal(status, 200);
	if (f->chain_left-- > 0) {
		char url[64];
		struct sb_http_request req = { .struct_size = sizeof(req), .url = url };

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/seq", f->port);
		f->in_request = 1;
		assert_int_equal(sb_http_client_request(f->client, &req, 5000, chain_cb, f), 0);
		f->in_request = 0;
	}
}

static void
test_sequential_requests_reuse_connections(void **state)
{
	struct fixture *f = *state;
	char url[64];
	struct sb_http_request req = { .struct_size = sizeof(req), .url = url };

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/seq", f->port);
	f->chain_left = 49;
	assert_int_equal(sb_http_client_request(f->client, &req, 5000, chain_cb, f), 0);
	run(f, 50, 10000);
	assert_int_equal(f->done, 50);
	assert_int_equal(f->nreqs, 50);
	assert_false(f->reentrant);
	assert_in_range(f->nports, 1, 2); /* keep-alive: one connection, maybe two */
}

static void
test_parallel_requests(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 20; i++)
		assert_int_equal(start(f, "POST", "/p", "x=1", NULL, NULL, 0), 0);
	assert_int_equal(sb_http_client_inflight(f->client), 20);
	run(f, 20, 5000);
	assert_int_equal(f->done, 20);
	assert_int_equal(f->nreqs, 20);
	assert_false(f->reentrant);
}

static void
test_free_with_requests_in_flight(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(start(f, "GET", "/hang", NULL, NULL, NULL, 10000), 0);
	run(f, 99, 300); /* let them reach the server; none can finish */
	assert_int_equal(f->nreqs, 3);
	assert_int_equal(f->done, 0);
	sb_http_client_free(f->client);
	f->client = NULL;
	assert_int_equal(f->done, 3);
	assert_int_equal(f->shutdowns, 3);
	assert_int_equal(f->status, 0);
	run(f, 99, 50); /* let the server notice the closed connections */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_200_body_and_header, setup, teardown),
		cmocka_unit_test(test_reply_header_lookup),
		cmocka_unit_test_setup_teardown(test_post_body_and_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_passes_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_url_not_started, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequential_requests_reuse_connections,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_parallel_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_requests_in_flight, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
