/*
 * control.c - the Unix control socket: listener, connections, framing.
 *
 * Owns the socket file (created at start with the configured mode and
 * group, removed at stop), each connection (peer uid/pid from SO_PEERCRED,
 * a cap per uid, accept paused near the fd limit), the line framing with
 * its size limit, and the life of a request from its line to its one
 * response line. What a request means is not decided here: parsing is
 * control_proto.c, the commands are control/cmd-*.c.
 *
 * It must never block the loop and never free a connection a pending
 * request still points to: a connection is reference-counted (one
 * reference while open, one per unanswered request), so an answer that
 * arrives after the peer left is simply dropped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct ucred */
#endif
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "dispatch_internal.h"
#include "log.h"
#include "store.h"

#define CTL_MAXCONN_PER_UID 32
/* Descriptors kept free for the store, plugins and their HTTP requests. */
#define CTL_FD_RESERVE 16
/* Past these, stop reading a connection until its answers drain. */
#define CTL_MAX_PENDING 64
#define CTL_MAX_OUTPUT (4 * 1024 * 1024)

struct ctl_conn {
	struct ctl_conn *prev, *next;
	struct sb_control *ctl;       /* NULL once closed */
	struct bufferevent *bev;      /* NULL once closed */
	uid_t uid;
	pid_t pid;
	unsigned refs;                /* 1 while open, + 1 per unanswered request */
	unsigned pending;             /* unanswered requests */
	size_t scanned;               /* input bytes known to hold no newline */
	int eof;                      /* peer shut its side: answer, then close */
	int closing;                  /* protocol error: flush, then close */
	int busy;                     /* in process_input: do not close under it */
};

struct sb_control {
	struct sb_daemon *d;
	struct evconnlistener *lev;
	struct event *resume_ev;      /* re-arms accept after a pause */
	char *path;                   /* set once bound: we unlink only our own */
	dev_t dev;
	ino_t ino;
	struct ctl_conn *conns;
	rlim_t fd_limit;
	int paused;
	int freeing;
};

struct sb_ctl_req {
	struct ctl_conn *conn;
	struct sb_daemon *d;
	const struct sb_ctl_spec *cmd; /* NULL until found */
	json_t *root;                 /* the request; owns id and args */
	json_t *id;
	json_t *args;
	json_t *deferred;             /* result held until the commit */
};

static void process_input(struct ctl_conn *conn);

/* ---- listener pause (fd limit) ---- */

static void
listener_pause(struct sb_control *ctl)
{
	static const struct timeval retry = { 1, 0 };

	if (ctl->paused)
		return;
	evconnlistener_disable(ctl->lev);
	ctl->paused = 1;
	/* A close re-arms sooner; the timer covers fds freed elsewhere. */
	evtimer_add(ctl->resume_ev, &retry);
}

static void
listener_resume(struct sb_control *ctl)
{
	if (!ctl->paused || ctl->freeing)
		return;
	evtimer_del(ctl->resume_ev);
	evconnlistener_enable(ctl->lev);
	ctl->paused = 0;
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	listener_resume(arg);
}

/* ---- connections ---- */

static void
conn_unref(struct ctl_conn *conn)
{
	if (--conn->refs == 0)
		free(conn);
}

static void
conn_close(struct ctl_conn *conn)
{
	struct sb_control *ctl = conn->ctl;

	if (ctl == NULL)
		return;
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		ctl->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	bufferevent_free(conn->bev);
	conn->bev = NULL;
	conn->ctl = NULL;
	listener_resume(ctl);
	conn_unref(conn);
}

/*
 * Decide what a connection does next after anything changed (an answer
 * written, output drained, the peer's EOF): read more, pause reading,
 * resume with lines already buffered, or close.
 */
static void
conn_update(struct ctl_conn *conn)
{
	struct evbuffer *in, *out;
	int can_take, reading;

	if (conn->bev == NULL || conn->busy)
		return;
	in = bufferevent_get_input(conn->bev);
	out = bufferevent_get_output(conn->bev);
	if (conn->closing) {
		if (evbuffer_get_length(out) == 0)
			conn_close(conn);
		return;
	}
	can_take = conn->pending < CTL_MAX_PENDING &&
	    evbuffer_get_length(out) < CTL_MAX_OUTPUT;
	if (conn->eof) {
		if (evbuffer_get_length(in) > 0 && can_take)
			bufferevent_trigger(conn->bev, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
		else if (evbuffer_get_length(in) == 0 && conn->pending == 0 &&
		    evbuffer_get_length(out) == 0)
			conn_close(conn);
		return;
	}
	reading = (bufferevent_get_enabled(conn->bev) & EV_READ) != 0;
	if (can_take && !reading) {
		bufferevent_enable(conn->bev, EV_READ);
		/* Lines that arrived before the pause get no new read event. */
		if (evbuffer_get_length(in) > 0)
			bufferevent_trigger(conn->bev, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	} else if (!can_take && reading) {
		bufferevent_disable(conn->bev, EV_READ);
	}
}

/* ---- requests and answers ---- */

static struct sb_ctl_req *
req_new(struct ctl_conn *conn)
{
	struct sb_ctl_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->conn = conn;
	req->d = conn->ctl->d;
	conn->refs++;
	conn->pending++;
	return req;
}

static void
req_free(struct sb_ctl_req *req)
{
	struct ctl_conn *conn = req->conn;

	json_decref(req->root);
	json_decref(req->deferred);
	free(req);
	conn->pending--;
	conn_update(conn);
	conn_unref(conn);
}

/* Write the answer if the peer can still get it; always frees the request. */
static void
respond(struct sb_ctl_req *req, json_t *result, const struct sb_error *err)
{
	struct ctl_conn *conn = req->conn;
	size_t len;
	char *line = sb_ctl_response_line(req->id, result, err, &len);

	if (line != NULL && conn->bev != NULL && !conn->closing)
		bufferevent_write(conn->bev, line, len);
	free(line);
	req_free(req);
}

struct sb_daemon *
sb_ctl_daemon(struct sb_ctl_req *req)
{
	return req->d;
}

json_t *
sb_ctl_args(struct sb_ctl_req *req)
{
	return req->args;
}

uid_t
sb_ctl_uid(struct sb_ctl_req *req)
{
	return req->conn->uid;
}

void
sb_ctl_reply(struct sb_ctl_req *req, json_t *result)
{
	respond(req, result, NULL);
}

void
sb_ctl_fail(struct sb_ctl_req *req, const struct sb_error *err)
{
	/* The audit trail of a mutating command includes its refusal. */
	if (req->cmd != NULL && (req->cmd->flags & SB_CMD_MUTATES))
		sb_log(SB_LOG_WARN, "control: uid=%lu pid=%ld cmd=%s failed: %s: %s",
		    (unsigned long)req->conn->uid, (long)req->conn->pid, req->cmd->cmd,
		    sb_err_word(err->code), err->message);
	respond(req, NULL, err);
}

static void
committed_cb(void *arg, int ok)
{
	struct sb_ctl_req *req = arg;
	json_t *result = req->deferred;
	struct sb_error err;

	req->deferred = NULL;
	if (ok) {
		sb_ctl_reply(req, result);
		return;
	}
	json_decref(result);
	sb_error_set(&err, SB_E_INTERNAL, "the change could not be committed to the store");
	sb_ctl_fail(req, &err);
}

void
sb_ctl_reply_after_commit(struct sb_ctl_req *req, json_t *result)
{
	struct sb_error err;

	req->deferred = result != NULL ? result : json_object();
	if (sb_store_after_commit(req->d->store, committed_cb, req) < 0) {
		sb_error_set(&err, SB_E_INTERNAL, "out of memory waiting for the commit");
		sb_ctl_fail(req, &err);
		return;
	}
	/* The store arms a group commit for a waiter even if nothing is written. */
}

/* ---- framing ---- */

static void
run_request(struct sb_ctl_req *req, const char *name)
{
	struct sb_error err = { 0 };
	const struct sb_ctl_spec *cmd;

	cmd = sb_ctl_find(sb_ctl_specs, name, req->d->test_mode, &err);
	if (cmd == NULL) {
		sb_ctl_fail(req, &err);
		return;
	}
	req->cmd = cmd;
	if (cmd->flags & SB_CMD_MUTATES)
		sb_log(SB_LOG_INFO, "control: uid=%lu pid=%ld cmd=%s",
		    (unsigned long)req->conn->uid, (long)req->conn->pid, cmd->cmd);
	if (cmd->exec == NULL) {
		sb_error_set(&err, SB_E_INTERNAL, "%s has no handler in this build", cmd->cmd);
		sb_ctl_fail(req, &err);
		return;
	}
	if (sb_ctl_check_arg_keys(cmd, req->args, &err) < 0 || cmd->exec(req, &err) < 0)
		sb_ctl_fail(req, &err);
}

/* One line of `len` bytes (plus `eol` newline bytes) at the front of `in`. */
static void
handle_line(struct ctl_conn *conn, struct evbuffer *in, size_t len, size_t eol)
{
	struct sb_error err = { 0 };
	struct sb_ctl_req *req;
	const char *line = len > 0 ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "";
	const char *name;
	size_t n = len;
	int rc;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n == 0) {
		/* Blank lines are harmless keep-alives. */
		evbuffer_drain(in, len + eol);
		return;
	}
	req = req_new(conn);
	if (req == NULL) {
		evbuffer_drain(in, len + eol);
		sb_log(SB_LOG_ERROR, "control: out of memory; request dropped");
		return;
	}
	rc = sb_ctl_parse_line(line, n, &req->root, &req->id, &name, &req->args, &err);
	evbuffer_drain(in, len + eol);
	if (rc < 0)
		sb_ctl_fail(req, &err);
	else
		run_request(req, name);
}

static void
line_too_long(struct ctl_conn *conn)
{
	struct sb_error err;
	size_t len;
	char *line;

	sb_error_set(&err, SB_E_BAD_REQUEST, "line too long (the limit is %d bytes)",
	    SB_CTL_MAX_LINE);
	sb_log(SB_LOG_WARN, "control: uid=%lu pid=%ld sent a line over %d bytes; closing",
	    (unsigned long)conn->uid, (long)conn->pid, SB_CTL_MAX_LINE);
	line = sb_ctl_response_line(NULL, NULL, &err, &len);
	if (line != NULL)
		bufferevent_write(conn->bev, line, len);
	free(line);
	conn->closing = 1;
	bufferevent_disable(conn->bev, EV_READ);
}

static void
process_input(struct ctl_conn *conn)
{
	conn->busy = 1;
	while (conn->bev != NULL && !conn->closing && conn->pending < CTL_MAX_PENDING &&
	    evbuffer_get_length(bufferevent_get_output(conn->bev)) < CTL_MAX_OUTPUT) {
		struct evbuffer *in = bufferevent_get_input(conn->bev);
		size_t avail = evbuffer_get_length(in), eol_len = 0, len;
		struct evbuffer_ptr start, found;

		if (avail == 0)
			break;
		/* Resume the search where the last one stopped: a slow 1 MiB
		 * line must not be rescanned from its start on every read. */
		if (evbuffer_ptr_set(in, &start, conn->scanned, EVBUFFER_PTR_SET) < 0)
			evbuffer_ptr_set(in, &start, 0, EVBUFFER_PTR_SET);
		found = evbuffer_search_eol(in, &start, &eol_len, EVBUFFER_EOL_LF);
		if (found.pos < 0) {
			conn->scanned = avail;
			if (avail > SB_CTL_MAX_LINE) {
				line_too_long(conn);
				break;
			}
			if (!conn->eof)
				break;
			len = avail;  /* the peer's last line, without a newline */
		} else {
			len = (size_t)found.pos;
		}
		if (len > SB_CTL_MAX_LINE) {
			line_too_long(conn);
			break;
		}
		conn->scanned = 0;
		handle_line(conn, in, len, eol_len);
	}
	conn->busy = 0;
	conn_update(conn);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	process_input(arg);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	conn_update(arg);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn *conn = arg;

	if (what & BEV_EVENT_EOF) {
		/* Half-close (`echo ... | nc -U`): answer what was sent, then close. */
		conn->eof = 1;
		process_input(conn);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		sb_log(SB_LOG_DEBUG, "control: uid=%lu pid=%ld: %s", (unsigned long)conn->uid,
		    (long)conn->pid, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	conn_close(conn);
}

/* ---- accept ---- */

/* Refuse a client we will not serve, with a proper error line so it knows why. */
static void
refuse(evutil_socket_t fd, enum sb_err code, const char *why)
{
	struct sb_error err;
	size_t len;
	char *line;

	sb_error_set(&err, code, "%s", why);
	line = sb_ctl_response_line(NULL, NULL, &err, &len);
	if (line != NULL && send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		sb_log(SB_LOG_DEBUG, "control: refusing a client: %s", strerror(errno));
	free(line);
	evutil_closesocket(fd);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct sb_control *ctl = arg;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct ctl_conn *conn;
	unsigned same_uid = 0;
	char why[128];

	/* Descriptors are handed out lowest first, so a high one means few are left. */
	if ((rlim_t)fd + CTL_FD_RESERVE >= ctl->fd_limit) {
		sb_log(SB_LOG_WARN, "control: near the file descriptor limit (%lu); pausing"
		    " accept", (unsigned long)ctl->fd_limit);
		refuse(fd, SB_E_UNAVAILABLE, "the daemon is near its file descriptor limit;"
		    " try again");
		listener_pause(ctl);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		sb_log(SB_LOG_WARN, "control: SO_PEERCRED: %s; closing", strerror(errno));
		evutil_closesocket(fd);
		return;
	}
	for (conn = ctl->conns; conn != NULL; conn = conn->next)
		same_uid += conn->uid == cred.uid;
	if (same_uid >= CTL_MAXCONN_PER_UID) {
		sb_log(SB_LOG_WARN, "control: uid=%lu pid=%ld refused: %d connections already",
		    (unsigned long)cred.uid, (long)cred.pid, CTL_MAXCONN_PER_UID);
		snprintf(why, sizeof(why), "too many connections for uid %lu (the limit is %d)",
		    (unsigned long)cred.uid, CTL_MAXCONN_PER_UID);
		refuse(fd, SB_E_UNAVAILABLE, why);
		return;
	}
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL || (conn->bev = bufferevent_socket_new(ctl->d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		sb_log(SB_LOG_ERROR, "control: out of memory accepting a connection");
		free(conn);
		evutil_closesocket(fd);
		return;
	}
	conn->ctl = ctl;
	conn->uid = cred.uid;
	conn->pid = cred.pid;
	conn->refs = 1;
	conn->next = ctl->conns;
	if (ctl->conns != NULL)
		ctl->conns->prev = conn;
	ctl->conns = conn;
	bufferevent_setcb(conn->bev, read_cb, write_cb, event_cb, conn);
	/* Never buffer more than one maximal line (plus its newline). */
	bufferevent_setwatermark(conn->bev, EV_READ, 0, SB_CTL_MAX_LINE + 1);
	bufferevent_enable(conn->bev, EV_READ);
	sb_log(SB_LOG_DEBUG, "control: connection from uid=%lu pid=%ld",
	    (unsigned long)cred.uid, (long)cred.pid);
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();

	sb_log(SB_LOG_WARN, "control: accept: %s%s", evutil_socket_error_to_string(e),
	    e == EMFILE || e == ENFILE ? "; pausing accept" : "");
	if (e == EMFILE || e == ENFILE)
		listener_pause(arg);
}

/* ---- the socket file ---- */

/* Does a live daemon answer on this path? (A stale file refuses the connect.) */
static int
socket_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int used;

	if (fd < 0)
		return 0;
	/* EAGAIN: someone listens but its backlog is full; still in use. */
	used = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 || errno == EAGAIN;
	close(fd);
	return used;
}

static int
make_socket(struct sb_control *ctl, const struct sb_config_daemon *cd, struct sb_error *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = cd->control_socket;
	const struct group *gr = NULL;
	struct stat st;
	mode_t old;
	int fd, rc, e;

	if (path == NULL || *path == '\0')
		return sb_error_set(err, SB_E_CONFIG_INVALID, "daemon.control_socket is empty");
	if (strlen(path) >= sizeof(sun.sun_path))
		return sb_error_set(err, SB_E_CONFIG_INVALID, "control socket %s: %s (%zu bytes;"
		    " a Unix socket path holds at most %zu)", path, strerror(ENAMETOOLONG),
		    strlen(path), sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (cd->control_group != NULL && (gr = getgrnam(cd->control_group)) == NULL)
		return sb_error_set(err, SB_E_CONFIG_INVALID, "control socket %s: unknown group"
		    " '%s' (daemon.control_group)", path, cd->control_group);
	if (socket_in_use(&sun))
		return sb_error_set(err, SB_E_UNAVAILABLE, "control socket %s is in use: is"
		    " another switchboardd running?", path);
	/* Only ever remove a socket: a mistyped path must not delete a file. */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return sb_error_set(err, SB_E_CONFIG_INVALID, "control socket %s exists and is"
		    " not a socket; refusing to remove it", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return sb_error_set(err, SB_E_INTERNAL, "control socket %s: cannot remove the"
		    " stale socket: %s", path, strerror(errno));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sb_error_set(err, SB_E_INTERNAL, "control socket %s: socket: %s", path,
		    strerror(errno));
	/* Owner-only until group and mode are set, never wider than configured. */
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	rc = bind(fd, (const struct sockaddr *)&sun, sizeof(sun));
	e = errno;
	umask(old);
	if (rc < 0) {
		close(fd);
		return sb_error_set(err, SB_E_INTERNAL, "control socket %s: bind: %s", path,
		    strerror(e));
	}
	if (gr != NULL && chown(path, (uid_t)-1, gr->gr_gid) < 0)
		sb_error_set(err, SB_E_INTERNAL, "control socket %s: cannot give it to group"
		    " '%s': %s", path, gr->gr_name, strerror(errno));
	else if (chmod(path, (mode_t)cd->control_mode & 07777) < 0)
		sb_error_set(err, SB_E_INTERNAL, "control socket %s: chmod %04o: %s", path,
		    (unsigned)cd->control_mode, strerror(errno));
	else if (stat(path, &st) < 0)
		sb_error_set(err, SB_E_INTERNAL, "control socket %s: stat: %s", path,
		    strerror(errno));
	else if ((ctl->lev = evconnlistener_new(ctl->d->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd)) == NULL)
		sb_error_set(err, SB_E_INTERNAL, "control socket %s: listen: %s", path,
		    strerror(errno));
	if (ctl->lev == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	evconnlistener_set_error_cb(ctl->lev, accept_error_cb);
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	ctl->path = strdup(path);
	return 0;
}

struct sb_control *
sb_control_new(struct sb_daemon *d, struct sb_error *err)
{
	const struct sb_config_daemon *cd = &d->cfg->daemon;
	struct sb_control *ctl = calloc(1, sizeof(*ctl));
	struct rlimit rl;

	if (ctl == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory");
		return NULL;
	}
	ctl->d = d;
	ctl->fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
	ctl->resume_ev = evtimer_new(d->base, resume_cb, ctl);
	if (ctl->resume_ev == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory");
		sb_control_free(ctl);
		return NULL;
	}
	if (make_socket(ctl, cd, err) < 0) {
		sb_control_free(ctl);
		return NULL;
	}
	sb_log(SB_LOG_INFO, "control: listening on %s (mode %04o%s%s)", cd->control_socket,
	    (unsigned)cd->control_mode, cd->control_group ? ", group " : "",
	    cd->control_group ? cd->control_group : "");
	return ctl;
}

void
sb_control_free(struct sb_control *ctl)
{
	struct stat st;

	if (ctl == NULL)
		return;
	ctl->freeing = 1;
	while (ctl->conns != NULL)
		conn_close(ctl->conns);
	if (ctl->lev != NULL)
		evconnlistener_free(ctl->lev);
	if (ctl->resume_ev != NULL)
		event_free(ctl->resume_ev);
	/* A newer daemon may have replaced the file: leave its socket alone. */
	if (ctl->path != NULL && lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
