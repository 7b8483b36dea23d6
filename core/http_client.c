/*
 * http_client.c - the daemon's asynchronous HTTP client (http_client.h):
 * libcurl's multi interface driven by libevent.
 *
 * Owns: the curl multi handle; the glue that turns curl's socket and timer
 * wishes (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION) into libevent
 * events; a pool of easy handles with their buffers; and the completion
 * callbacks.
 *
 * Must never: block the loop (DNS runs in curl's threaded resolver, every
 * socket is non-blocking), call a completion callback from inside
 * sb_http_client_request (curl_multi_socket_action is only ever called from
 * an event callback, so a request can finish only on a later loop turn), or
 * keep a per-request allocation it can reuse: a finished easy handle goes
 * back to a free list with its body, header and request buffers, so a
 * steady stream of requests allocates nothing here. Connections live in the
 * multi handle's connection cache and are reused across easy handles
 * (keep-alive); we never set CURLOPT_FORBID_REUSE.
 *
 * A completion callback may start new requests (the handle it finished on
 * is recycled after it returns), but must not free the client.
 *
 * curl_global_init is called once, lazily, by the first sb_http_client_new
 * (the daemon is single-threaded, so a static flag suffices). Nobody calls
 * curl_global_cleanup: it is not safe while another library might still use
 * curl, and the process is about to exit anyway.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http_client.h"
#include "sbp_buf.h"

#define BODY_CAP ((size_t)1 << 20)  /* response bytes kept; the rest is drained */
#define HDRS_CAP ((size_t)64 << 10) /* response header bytes kept */
#define POOL_MAX 64                 /* idle easy handles kept for reuse */
#define MAX_CONNECTS 256            /* idle connections kept in the cache */
#define FALLBACK_TIMEOUT_MS 30000   /* when neither request nor caller says */
#define MAX_REQ_HEADERS 64

/*
 * Response headers of the final answer, packed as "name\0value\0" pairs.
 * Embedded in its request; sb_http_reply_header scans it.
 */
struct sb_http_reply {
	struct sbp_buf hdrs;
	int sent;                   /* the request went out, in full or in part */
};

/* One pooled easy handle and everything a request on it needs. */
struct http_req {
	struct sb_http_client *c;
	CURL *easy;
	sb_http_done_fn done;
	void *arg;
	struct sbp_buf body;        /* response body, NUL-terminated */
	struct sb_http_reply reply; /* response headers */
	struct sbp_buf post;        /* our copy of the request body */
	struct sbp_buf reqhdrs;     /* request header lines, NUL-separated */
	struct curl_slist slist[MAX_REQ_HEADERS + 1]; /* points into reqhdrs */
	char errbuf[CURL_ERROR_SIZE];
	char errmsg[CURL_ERROR_SIZE + 64];
	struct http_req *prev, *next; /* in-flight list, or free list (next only) */
};

/* Per-socket state curl asked us to watch. */
struct http_sock {
	struct sb_http_client *c;
	curl_socket_t fd;
	short kind;                 /* EV_READ / EV_WRITE currently armed */
	struct event *ev;
	struct http_sock *prev, *next;
};

struct sb_http_client {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct http_req *inflight;  /* doubly linked */
	size_t ninflight;
	struct http_req *pool;      /* singly linked free list */
	size_t npool;
	struct http_sock *socks;    /* every socket we watch, for the final sweep */
	int closing;
	int in_timer;               /* inside timer_event_cb */
};

static int curl_ready;

/* ---- buffers ---- */

/* A pooled handle's big buffers are trimmed so one huge answer is not kept forever. */
static void
buf_recycle(struct sbp_buf *b, size_t keep)
{
	b->len = 0;
	if (b->cap > keep) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	} else if (b->p != NULL) {
		b->p[0] = '\0';
	}
}

/* ---- curl data callbacks ---- */

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	size_t len = size * n, room = BODY_CAP - r->body.len;

	/* Past the cap we keep reading (and dropping) so the connection stays reusable. */
	if (room > 0 && sbp_buf_add(&r->body, data, len < room ? len : room) < 0)
		return 0; /* out of memory: abort this transfer */
	return len;
}

static size_t
header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	struct sbp_buf *h = &r->reply.hdrs;
	size_t len = size * n, nlen;
	const char *colon, *v, *end = data + len;

	/* A new status line (after 100 Continue or an auth round) starts over. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		h->len = 0;
		return len;
	}
	while (end > data && (end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if ((colon = memchr(data, ':', (size_t)(end - data))) == NULL)
		return len; /* the blank line, or a malformed one: skip */
	nlen = (size_t)(colon - data);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (h->len + nlen + (size_t)(end - v) + 2 > HDRS_CAP)
		return len; /* keep the first headers; they are the ones that matter */
	if (sbp_buf_add(h, data, nlen) < 0 || sbp_buf_add(h, "", 1) < 0 ||
	    sbp_buf_add(h, v, (size_t)(end - v)) < 0 || sbp_buf_add(h, "", 1) < 0)
		return 0;
	return len;
}

const char *
sb_http_reply_header(const struct sb_http_reply *reply, const char *name)
{
	const char *p, *end;

	if (reply == NULL || reply->hdrs.p == NULL || name == NULL)
		return NULL;
	p = reply->hdrs.p;
	end = p + reply->hdrs.len;
	while (p < end) {
		const char *value = p + strlen(p) + 1;

		if (value >= end)
			break;
		if (strcasecmp(p, name) == 0)
			return value;
		p = value + strlen(value) + 1;
	}
	return NULL;
}

/* ---- transport errors ---- */

/* A short, stable word first (callers and tests grep it), curl's detail after. */
static const struct {
	CURLcode code;
	const char *word;
} error_words[] = {
	{ CURLE_OPERATION_TIMEDOUT, "timeout" },
	{ CURLE_COULDNT_RESOLVE_HOST, "dns failure" },
	{ CURLE_COULDNT_RESOLVE_PROXY, "dns failure" },
	{ CURLE_COULDNT_CONNECT, "connect failed" },
	{ CURLE_SSL_CONNECT_ERROR, "tls error" },
	{ CURLE_PEER_FAILED_VERIFICATION, "tls verification failed" },
	{ CURLE_GOT_NOTHING, "empty reply" },
	{ CURLE_SEND_ERROR, "send error" },
	{ CURLE_RECV_ERROR, "receive error" },
	{ CURLE_URL_MALFORMAT, "bad url" },
	{ CURLE_UNSUPPORTED_PROTOCOL, "bad url" },
	{ CURLE_OUT_OF_MEMORY, "out of memory" },
	{ CURLE_WRITE_ERROR, "out of memory" },
};

/* Connect failures are more useful by errno: "connection refused" says it all. */
static const struct {
	long err;
	const char *word;
} errno_words[] = {
	{ ECONNREFUSED, "connection refused" },
	{ EHOSTUNREACH, "host unreachable" },
	{ ENETUNREACH, "network unreachable" },
	{ ETIMEDOUT, "connect timeout" },
	{ ECONNRESET, "connection reset" },
};

static const char *
error_text(struct http_req *r, CURLcode rc)
{
	const char *word = "transport error", *detail;
	long os_errno = 0;
	size_t i;

	for (i = 0; i < sizeof(error_words) / sizeof(error_words[0]); i++)
		if (error_words[i].code == rc) {
			word = error_words[i].word;
			break;
		}
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) {
		curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
		for (i = 0; i < sizeof(errno_words) / sizeof(errno_words[0]); i++)
			if (errno_words[i].err == os_errno) {
				word = errno_words[i].word;
				break;
			}
	}
	detail = r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(rc);
	snprintf(r->errmsg, sizeof(r->errmsg), "%s: %s", word, detail);
	return r->errmsg;
}

/* ---- request life cycle ---- */

static void
req_destroy(struct http_req *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	free(r->body.p);
	free(r->reply.hdrs.p);
	free(r->post.p);
	free(r->reqhdrs.p);
	free(r);
}

static struct http_req *
req_get(struct sb_http_client *c)
{
	struct http_req *r = c->pool;

	if (r != NULL) {
		c->pool = r->next;
		c->npool--;
		curl_easy_reset(r->easy);
	} else {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return NULL;
		if ((r->easy = curl_easy_init()) == NULL) {
			free(r);
			return NULL;
		}
	}
	r->c = c;
	r->next = r->prev = NULL;
	r->body.len = r->reply.hdrs.len = r->post.len = r->reqhdrs.len = 0;
	r->errbuf[0] = '\0';
	return r;
}

static void
req_put(struct sb_http_client *c, struct http_req *r)
{
	if (c->npool >= POOL_MAX || c->closing) {
		req_destroy(r);
		return;
	}
	buf_recycle(&r->body, (size_t)64 << 10);
	buf_recycle(&r->reply.hdrs, (size_t)16 << 10);
	buf_recycle(&r->post, (size_t)64 << 10);
	buf_recycle(&r->reqhdrs, (size_t)16 << 10);
	r->done = NULL;
	r->arg = NULL;
	r->next = c->pool;
	c->pool = r;
	c->npool++;
}

static void
inflight_unlink(struct sb_http_client *c, struct http_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->inflight = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	c->ninflight--;
}

/* Take a finished transfer off the multi handle, report it, recycle the handle. */
static void
req_finish(struct sb_http_client *c, struct http_req *r, long status, const char *error)
{
	long reqsize = 0;

	/* Bytes of the request written to the connection: a failure after
	 * that may have reached the server (a send in doubt). */
	curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &reqsize);
	r->reply.sent = reqsize > 0;
	curl_multi_remove_handle(c->multi, r->easy);
	inflight_unlink(c, r);
	if (status == 0)
		r->reply.hdrs.len = 0; /* no answer: no headers either */
	r->done(r->arg, status, r->body.p != NULL ? r->body.p : "", r->body.len, error,
	    &r->reply);
	req_put(c, r);
}

static void
check_multi_info(struct sb_http_client *c)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		struct http_req *r;
		char *priv = NULL;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		r = (struct http_req *)(void *)priv;
		if (msg->data.result == CURLE_OK) {
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
			req_finish(c, r, status, NULL);
		} else {
			req_finish(c, r, 0, error_text(r, msg->data.result));
		}
	}
}

/* ---- libevent <-> curl glue ---- */

static void
socket_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct sb_http_client *c = arg;
	int running = 0, action = 0;

	if (kind & EV_READ)
		action |= CURL_CSELECT_IN;
	if (kind & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, action, &running);
	check_multi_info(c);
	if (running <= 0 && c->ninflight == 0)
		evtimer_del(c->timer);
}

static void
timer_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct sb_http_client *c = arg;
	int running = 0;

	c->in_timer = 1;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi_info(c);
	c->in_timer = 0;
}

static void
sock_free(struct sb_http_client *c, struct http_sock *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		c->socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	if (s->ev != NULL)
		event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: curl says which direction it wants on a socket. */
static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *cbp, void *sockp)
{
	struct sb_http_client *c = cbp;
	struct http_sock *s = sockp;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(c->multi, fd, NULL);
			sock_free(c, s);
		}
		return 0;
	}
	kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->c = c;
		s->fd = fd;
		s->next = c->socks;
		if (s->next != NULL)
			s->next->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	}
	if (s->ev != NULL && s->kind == kind)
		return 0;
	if (s->ev != NULL)
		event_free(s->ev);
	s->kind = kind;
	s->ev = event_new(c->base, fd, (short)(kind | EV_PERSIST), socket_event_cb, c);
	if (s->ev == NULL || event_add(s->ev, NULL) < 0)
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: arm (or disarm) our single timeout event. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct sb_http_client *c = arg;
	struct timeval tv;

	if (timeout_ms < 0)
		return evtimer_del(c->timer);
	/*
	 * Never act from here: curl forbids it. 0 ms runs the timer once this
	 * callback's caller returns, in this loop turn, ahead of the store's
	 * commit (a zero timer of the next turn): a new request is written
	 * before the group's pages. Not from the timer's own callback, though:
	 * a curl that kept asking for 0 ms would never let the loop poll.
	 */
	if (timeout_ms == 0 && !c->in_timer) {
		evtimer_del(c->timer);
		event_active(c->timer, EV_TIMEOUT, 0);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(c->timer, &tv);
}

/* ---- public API ---- */

struct sb_http_client *
sb_http_client_new(struct event_base *base)
{
	struct sb_http_client *c;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		curl_ready = 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base = base;
	c->multi = curl_multi_init();
	c->timer = evtimer_new(base, timer_event_cb, c);
	if (c->multi == NULL || c->timer == NULL) {
		if (c->multi != NULL)
			curl_multi_cleanup(c->multi);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* Enough idle connections for several carriers at their in-flight limits. */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)MAX_CONNECTS);
	return c;
}

void
sb_http_client_free(struct sb_http_client *c)
{
	if (c == NULL)
		return;
	c->closing = 1; /* callbacks below may not start new requests */
	while (c->inflight != NULL)
		req_finish(c, c->inflight, 0, "shutdown");
	while (c->pool != NULL) {
		struct http_req *r = c->pool;

		c->pool = r->next;
		req_destroy(r);
	}
	curl_multi_cleanup(c->multi);
	/* Sockets curl did not tell us to drop (its cache closing) go now. */
	while (c->socks != NULL)
		sock_free(c, c->socks);
	event_free(c->timer);
	free(c);
}

static int
is_http_url(const char *url)
{
	return url != NULL && (strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0);
}

/* Copy the caller's header lines into the pooled buffer and chain them. */
static int
set_headers(struct http_req *r, const char *const *headers, int has_body)
{
	size_t n = 0, i, off;
	int has_expect = 0;

	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (n == MAX_REQ_HEADERS - 1)
			return -1;
		if (strncasecmp(headers[i], "Expect:", 7) == 0)
			has_expect = 1;
		if (sbp_buf_add(&r->reqhdrs, headers[i], strlen(headers[i]) + 1) < 0)
			return -1;
		n++;
	}
	/* curl would wait for "100 Continue" on larger bodies: a round trip for nothing. */
	if (has_body && !has_expect) {
		if (sbp_buf_add(&r->reqhdrs, "Expect:", 8) < 0)
			return -1;
		n++;
	}
	if (n == 0)
		return 0;
	/* Chain only now: the buffer may have moved while it grew. */
	for (i = 0, off = 0; i < n; i++) {
		r->slist[i].data = r->reqhdrs.p + off;
		r->slist[i].next = i + 1 < n ? &r->slist[i + 1] : NULL;
		off += strlen(r->slist[i].data) + 1;
	}
	return curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->slist) == CURLE_OK ? 0 : -1;
}

static int
set_options(struct http_req *r, const struct sb_http_request *req, int64_t timeout_ms)
{
	CURL *e = r->easy;
	const char *method = req->method != NULL ? req->method : "GET";
	int has_body = req->body != NULL || strcasecmp(method, "POST") == 0;
	CURLcode rc = CURLE_OK;

	rc |= curl_easy_setopt(e, CURLOPT_URL, req->url);
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 */
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (rc != CURLE_OK)
		return -1;
	if (has_body) {
		/* Our own copy, reused: cheaper than COPYPOSTFIELDS' malloc per request. */
		if (sbp_buf_add(&r->post, req->body != NULL ? req->body : "",
		    req->body != NULL ? req->body_len : 0) < 0)
			return -1;
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->post.len);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->post.p);
		if (strcasecmp(method, "POST") != 0)
			rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcasecmp(method, "HEAD") == 0) {
		rc |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcasecmp(method, "GET") != 0) {
		rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	}
	if (req->userpwd != NULL) {
		rc |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		rc |= curl_easy_setopt(e, CURLOPT_USERPWD, req->userpwd); /* curl copies */
	}
	if (rc != CURLE_OK)
		return -1;
	return set_headers(r, req->headers, has_body);
}

int
sb_http_client_request(struct sb_http_client *c, const struct sb_http_request *in,
    int64_t default_timeout_ms, sb_http_done_fn done, void *arg)
{
	struct sb_http_request req;
	struct http_req *r;
	int64_t timeout_ms;

	if (c == NULL || c->closing || in == NULL || done == NULL)
		return -1;
	/* A caller built against an older, shorter struct gets zeros for the rest. */
	memset(&req, 0, sizeof(req));
	memcpy(&req, in, in->struct_size != 0 && in->struct_size < sizeof(req) ?
	    in->struct_size : sizeof(req));
	if (!is_http_url(req.url))
		return -1;
	timeout_ms = req.timeout_ms > 0 ? req.timeout_ms :
	    default_timeout_ms > 0 ? default_timeout_ms : FALLBACK_TIMEOUT_MS;
	if ((r = req_get(c)) == NULL)
		return -1;
	r->done = done;
	r->arg = arg;
	if (set_options(r, &req, timeout_ms) < 0 ||
	    curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
		req_put(c, r);
		return -1;
	}
	/* curl_multi_add_handle only armed our timer: the transfer starts on the loop. */
	r->next = c->inflight;
	if (r->next != NULL)
		r->next->prev = r;
	c->inflight = r;
	c->ninflight++;
	return 0;
}

int
sb_http_reply_in_doubt(const struct sb_http_reply *reply, long status)
{
	return reply != NULL && status == 0 && reply->sent;
}

size_t
sb_http_client_inflight(const struct sb_http_client *c)
{
	return c != NULL ? c->ninflight : 0;
}
