/*
 * host_tcp.c - the TCP client service of the host table (ABI 1.2:
 * host->tcp_connect, tcp_write, tcp_close; include/switchboard/host.h).
 *
 * Owns: one libevent bufferevent per plugin connection, linked on its
 * instance (inst->tcps) so that the host closes what a plugin left open
 * after `fini`; the callbacks into the plugin (connected, data, closed),
 * each deferred to the loop so none runs inside a plugin's own call; and
 * the daemon's asynchronous resolver for host names (d->dns, made on
 * first use). A plugin may close a connection from inside its callbacks:
 * the connection is then freed when the callback returns.
 * Never does: block (connect, DNS and writes are non-blocking), read
 * frames (the plugin says how many bytes it consumed), or retry (a
 * plugin reconnects with its own timers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "daemon.h"
#include "instance.h"
#include "log.h"

struct host_tcp {
	struct bufferevent *bev;
	struct sb_instance *inst;
	struct sb_tcp_callbacks cb;   /* zero beyond the plugin's struct_size */
	void *arg;
	int connected;
	int in_cb;                    /* inside a callback of this connection */
	int dead;                     /* closed from inside one: free on return */
	struct host_tcp *prev, *next;
};

static void
tcp_unlink(struct host_tcp *t)
{
	if (t->inst == NULL)
		return;
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		t->inst->tcps = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	t->inst = NULL;
}

static void
tcp_free(struct host_tcp *t)
{
	tcp_unlink(t);
	bufferevent_free(t->bev);
	free(t);
}

/* Write what the socket takes now of the queued bytes (never blocks). */
static void
tcp_flush_now(struct host_tcp *t)
{
	struct evbuffer *out = bufferevent_get_output(t->bev);
	evutil_socket_t fd = bufferevent_getfd(t->bev);

	if (!t->connected || fd < 0)
		return;
	/* A socket bufferevent freezes the front of its output: only it may
	 * drain it. It is being freed, so take over. */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0)
		;
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct host_tcp *t = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len, used;

	while (!t->dead && t->cb.data != NULL && (len = evbuffer_get_length(in)) > 0) {
		const unsigned char *p = evbuffer_pullup(in, -1);

		t->in_cb++;
		used = t->cb.data(t->arg, (struct sb_tcp *)t, p, len);
		t->in_cb--;
		if (t->dead)
			break;
		if (used > len)
			used = len;
		if (used == 0)
			break;
		evbuffer_drain(in, used);
	}
	if (t->dead && t->in_cb == 0)
		tcp_free(t);
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct host_tcp *t = arg;
	char why[256];

	if (what & BEV_EVENT_CONNECTED) {
		t->connected = 1;
		bufferevent_set_timeouts(bev, NULL, NULL); /* the plugin keeps alive */
		if (t->cb.connected != NULL) {
			t->in_cb++;
			t->cb.connected(t->arg, (struct sb_tcp *)t);
			t->in_cb--;
		}
		if (t->dead && t->in_cb == 0)
			tcp_free(t);
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "closed by the peer");
	else if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "%s", t->connected ? "timed out" : "connect timed out");
	else {
		int dnserr = bufferevent_socket_get_dns_error(bev);

		if (dnserr != 0)
			snprintf(why, sizeof(why), "cannot resolve the host: %s",
			    evutil_gai_strerror(dnserr));
		else
			snprintf(why, sizeof(why), "%s",
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
	t->dead = 1;
	tcp_unlink(t);
	if (t->cb.closed != NULL) {
		t->in_cb++;
		t->cb.closed(t->arg, (struct sb_tcp *)t, why);
		t->in_cb--;
	}
	if (t->in_cb == 0)
		tcp_free(t);
}

struct sb_tcp *
sb_host_tcp_connect(struct sb_instance *inst, const char *host, int port,
    int64_t timeout_ms, const struct sb_tcp_callbacks *cb, void *arg)
{
	struct sb_daemon *d = inst->d;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss), rc;
	char hp[300];
	struct host_tcp *t;
	struct timeval tv;
	size_t n;

	if (host == NULL || port <= 0 || port > 65535 || cb == NULL)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	n = cb->struct_size < sizeof(t->cb) ? cb->struct_size : sizeof(t->cb);
	memcpy(&t->cb, cb, n);
	t->arg = arg;
	t->bev = bufferevent_socket_new(d->base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (t->bev == NULL) {
		free(t);
		return NULL;
	}
	bufferevent_setcb(t->bev, tcp_read_cb, NULL, tcp_event_cb, t);
	if (timeout_ms <= 0)
		timeout_ms = inst->cfg->timeout_ms > 0 ? inst->cfg->timeout_ms : 10000;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	bufferevent_set_timeouts(t->bev, &tv, &tv);
	bufferevent_enable(t->bev, EV_READ | EV_WRITE);
	snprintf(hp, sizeof(hp), strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d", host, port);
	if (evutil_parse_sockaddr_port(hp, (struct sockaddr *)&ss, &sslen) == 0)
		rc = bufferevent_socket_connect(t->bev, (struct sockaddr *)&ss, sslen);
	else {
		if (d->dns == NULL)
			d->dns = evdns_base_new(d->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
		rc = d->dns == NULL ? -1 : bufferevent_socket_connect_hostname(t->bev, d->dns,
		    AF_UNSPEC, host, port);
	}
	if (rc < 0) {
		bufferevent_free(t->bev);
		free(t);
		return NULL;
	}
	t->inst = inst;
	t->next = inst->tcps;
	if (t->next != NULL)
		t->next->prev = t;
	inst->tcps = t;
	return (struct sb_tcp *)t;
}

int
sb_host_tcp_write(struct sb_tcp *c, const void *buf, size_t len)
{
	struct host_tcp *t = (struct host_tcp *)c;

	if (t == NULL || t->dead)
		return -1;
	return bufferevent_write(t->bev, buf, len) == 0 ? 0 : -1;
}

void
sb_host_tcp_close(struct sb_tcp *c)
{
	struct host_tcp *t = (struct host_tcp *)c;

	if (t == NULL || t->dead)
		return;
	tcp_flush_now(t);
	t->dead = 1;
	tcp_unlink(t);
	if (t->in_cb == 0)
		tcp_free(t);
	else
		bufferevent_disable(t->bev, EV_READ | EV_WRITE);
}

void
sb_host_tcp_instance_cleanup(struct sb_instance *inst)
{
	while (inst->tcps != NULL)
		sb_host_tcp_close((struct sb_tcp *)inst->tcps);
}

void
sb_host_tcp_shutdown(struct sb_daemon *d)
{
	if (d->dns != NULL)
		evdns_base_free(d->dns, 1);
	d->dns = NULL;
}
