/*
 * test_control_socket.c - core/control.c over a real Unix socket: the
 * socket file (mode, group, stale and live sockets, bad paths), framing
 * (pipelining, CRLF, blank lines, the 1 MiB limit, half-close), answers
 * that come later (ordering, a peer that left, the control freed first,
 * after-commit), the per-uid cap and the accept pause near the fd limit.
 *
 * The daemon's modules are replaced by this file's command table and two
 * stubs (store after-commit, dispatcher commit wake-up). Client and server
 * share one event loop; every wait is bounded by a deadline.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "dispatch_internal.h"
#include "log.h"
#include "store.h"

/* ---- stubs of the lead's modules ---- */

static sb_store_commit_fn commit_fn;
static void *commit_arg;

/* The real store arms its own group commit for every waiter. */
int
sb_store_after_commit(struct sb_store *st, sb_store_commit_fn fn, void *arg)
{
	commit_fn = fn;
	commit_arg = arg;
	return 0;
}

/* ---- the test's command table ---- */

#define MAX_LATER 256
static struct sb_ctl_req *later[MAX_LATER];
static int nlater;

static int
echo_exec(struct sb_ctl_req *req, struct sb_error *err)
{
	sb_ctl_reply(req, json_deep_copy(sb_ctl_args(req)));
	return 0;
}

static int
len_exec(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *t = json_object_get(sb_ctl_args(req), "t");

	sb_ctl_reply(req, json_pack("{s:I}", "len", (json_int_t)json_string_length(t)));
	return 0;
}

static int
later_exec(struct sb_ctl_req *req, struct sb_error *err)
{
	later[nlater++] = req;
	return 0;
}

static int
commit_exec(struct sb_ctl_req *req, struct sb_error *err)
{
	sb_ctl_reply_after_commit(req, json_pack("{s:b}", "done", 1));
	return 0;
}

static int
fail_exec(struct sb_ctl_req *req, struct sb_error *err)
{
	return sb_error_set(err, SB_E_NOT_FOUND, "no such thing");
}

static int
uid_exec(struct sb_ctl_req *req, struct sb_error *err)
{
	sb_ctl_reply(req, json_pack("{s:I}", "uid", (json_int_t)sb_ctl_uid(req)));
	return 0;
}

#define STR(k) { .option = "--" k, .key = (k), .type = SB_CTL_STRING }

/* The daemon's table is ctl_spec.c's; this test brings its own. */
const struct sb_ctl_spec sb_ctl_specs[] = {
	{ .words = "echo", .cmd = "echo", .exec = echo_exec, .args = { STR("a"), STR("b") } },
	{ .words = "len", .cmd = "len", .exec = len_exec, .args = { STR("t") } },
	{ .words = "later", .cmd = "later", .exec = later_exec },
	{ .words = "commit", .cmd = "commit", .flags = SB_CMD_MUTATES, .exec = commit_exec },
	{ .words = "fail", .cmd = "fail", .flags = SB_CMD_MUTATES, .exec = fail_exec },
	{ .words = "whoami", .cmd = "whoami", .exec = uid_exec },
	{ .words = "test only", .cmd = "test.only", .flags = SB_CMD_TEST, .exec = echo_exec },
	{ .words = NULL },
};

/* ---- fixture ---- */

static char dir[32], sock_path[64];
static struct sb_config cfg;
static struct sb_daemon d;

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/sbctl-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.daemon.control_socket = sock_path;
	cfg.daemon.control_mode = 0640;
	memset(&d, 0, sizeof(d));
	d.base = event_base_new();
	d.cfg = &cfg;
	nlater = 0;
	commit_fn = NULL;
	sb_log_set_level(SB_LOG_ERROR);
	return d.base != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	sb_control_free(d.control);
	d.control = NULL;
	event_base_free(d.base);
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

static void
start(void)
{
	struct sb_error err = { 0 };

	d.control = sb_control_new(&d, &err);
	if (d.control == NULL)
		fail_msg("sb_control_new: %s", err.message);
}

/* ---- a client on the same loop ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
spin(void)
{
	event_base_loop(d.base, EVLOOP_NONBLOCK);
	usleep(200);
}

static int
client(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void
send_all(int fd, const char *buf, size_t len)
{
	int64_t deadline = now_ms() + 5000;

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (errno == EAGAIN) {
			assert_true(now_ms() < deadline);
			spin();
		} else {
			fail_msg("send: %s", strerror(errno));
		}
	}
}

/* The next line (without '\n'), or NULL at EOF or after `ms`. */
static char *
read_line_within(int fd, int ms)
{
	int64_t deadline = now_ms() + ms;
	size_t cap = 1 << 16;
	char *buf = malloc(cap);

	while (now_ms() < deadline) {
		ssize_t n = recv(fd, buf, cap, MSG_PEEK);
		char *nl;

		if (n == 0)
			break;
		if (n > 0 && (nl = memchr(buf, '\n', (size_t)n)) != NULL) {
			size_t len = (size_t)(nl - buf) + 1;

			assert_int_equal(recv(fd, buf, len, 0), (ssize_t)len);
			buf[len - 1] = '\0';
			return buf;
		}
		if (n == (ssize_t)cap)
			buf = realloc(buf, cap *= 2);
		spin();
	}
	free(buf);
	return NULL;
}

static char *
read_line(int fd)
{
	char *line = read_line_within(fd, 5000);

	if (line == NULL)
		fail_msg("no response line");
	return line;
}

static json_t *
read_json(int fd)
{
	char *line = read_line(fd);
	json_t *v = json_loads(line, 0, NULL);

	if (v == NULL)
		fail_msg("not JSON: %s", line);
	free(line);
	return v;
}

/* 1 if the server closed the connection within 5 s. */
static int
wait_eof(int fd)
{
	int64_t deadline = now_ms() + 5000;
	char c;

	while (now_ms() < deadline) {
		ssize_t n = recv(fd, &c, 1, 0);

		if (n == 0)
			return 1;
		if (n > 0)
			return 0;
		spin();
	}
	return 0;
}

static void
request(int fd, const char *line)
{
	send_all(fd, line, strlen(line));
}

static const char *
error_code(json_t *resp)
{
	return json_string_value(json_object_get(json_object_get(resp, "error"), "code"));
}

static const char *
error_message(json_t *resp)
{
	return json_string_value(json_object_get(json_object_get(resp, "error"), "message"));
}

static void
expect_error(int fd, const char *line, const char *code, const char *fragment)
{
	json_t *r;

	request(fd, line);
	r = read_json(fd);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(error_code(r), code);
	if (strstr(error_message(r), fragment) == NULL)
		fail_msg("'%s' lacks '%s'", error_message(r), fragment);
	json_decref(r);
}

/* ---- the socket file ---- */

static void
test_socket_file(void **state)
{
	struct stat st;

	start();
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	sb_control_free(d.control);
	d.control = NULL;
	/* Removed at stop. */
	assert_int_equal(lstat(sock_path, &st), -1);
}

static void
test_group(void **state)
{
	struct group *gr = getgrgid(getegid());
	struct stat st;

	assert_non_null(gr);
	cfg.daemon.control_group = gr->gr_name;
	start();
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_gid, getegid());
}

static void
expect_start_error(enum sb_err code, const char *fragment)
{
	struct sb_error err = { 0 };

	assert_null(sb_control_new(&d, &err));
	assert_int_equal(err.code, code);
	if (strstr(err.message, fragment) == NULL)
		fail_msg("'%s' lacks '%s'", err.message, fragment);
}

static void
test_start_errors(void **state)
{
	char longpath[200];
	struct stat st;
	FILE *f;

	cfg.daemon.control_group = "no-such-group-sbtest";
	expect_start_error(SB_E_CONFIG_INVALID, "unknown group 'no-such-group-sbtest'");
	cfg.daemon.control_group = NULL;

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	cfg.daemon.control_socket = longpath;
	expect_start_error(SB_E_CONFIG_INVALID, "File name too long");
	cfg.daemon.control_socket = sock_path;

	/* A regular file is never removed. */
	f = fopen(sock_path, "w");
	fclose(f);
	expect_start_error(SB_E_CONFIG_INVALID, "not a socket");
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(sock_path);
}

static void
test_stale_and_live(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct stat st;

	/* A socket file nobody listens on (a crashed daemon's) is replaced. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	start();
	/* A live one is not: the second daemon refuses to start... */
	expect_start_error(SB_E_UNAVAILABLE, "in use");
	/* ...and the first keeps its socket. */
	assert_int_equal(lstat(sock_path, &st), 0);
	fd = client();
	request(fd, "{\"id\":1,\"cmd\":\"echo\"}\n");
	free(read_line(fd));
	close(fd);
}

/* ---- requests ---- */

static void
test_roundtrip(void **state)
{
	json_t *r, *want;
	int fd;

	start();
	fd = client();
	request(fd, "{\"id\":7,\"cmd\":\"echo\",\"args\":{\"a\":\"x\"}}\n");
	r = read_json(fd);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "result"),
	    "a")), "x");
	json_decref(r);

	/* The id comes back as given, whatever its type. */
	request(fd, "{\"id\":{\"k\":[1,\"two\"]},\"cmd\":\"echo\"}\n");
	r = read_json(fd);
	want = json_pack("{s:[i,s]}", "k", 1, "two");
	assert_true(json_equal(json_object_get(r, "id"), want));
	json_decref(want);
	json_decref(r);

	/* The peer's uid, from SO_PEERCRED. */
	request(fd, "{\"cmd\":\"whoami\"}\n");
	r = read_json(fd);
	assert_true(json_is_null(json_object_get(r, "id")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"),
	    "uid")), getuid());
	json_decref(r);
	close(fd);
}

static void
test_errors(void **state)
{
	json_t *r;
	int fd;

	start();
	fd = client();
	expect_error(fd, "not json\n", "bad_request", "invalid JSON");
	expect_error(fd, "[1]\n", "bad_request", "not an array");
	expect_error(fd, "{\"id\":3}\n", "bad_request", "missing 'cmd'");
	expect_error(fd, "{\"cmd\":\"echo\",\"args\":[]}\n", "bad_request", "'args'");
	expect_error(fd, "{\"cmd\":\"ecoh\"}\n", "unknown_command", "did you mean: echo?");
	expect_error(fd, "{\"cmd\":\"test.only\"}\n", "unknown_command", "unknown command");
	expect_error(fd, "{\"cmd\":\"echo\",\"args\":{\"c\":1}}\n", "bad_argument",
	    "echo: unknown argument 'c' (expected: a b)");
	expect_error(fd, "{\"cmd\":\"fail\"}\n", "not_found", "no such thing");

	/* The id of a request that parsed but failed is echoed. */
	request(fd, "{\"id\":\"q\",\"cmd\":\"nope\"}\n");
	r = read_json(fd);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "q");
	json_decref(r);
	/* The connection survives all of that. */
	request(fd, "{\"id\":1,\"cmd\":\"echo\"}\n");
	r = read_json(fd);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd);
}

static void
test_test_mode(void **state)
{
	json_t *r;
	int fd;

	d.test_mode = 1;
	start();
	fd = client();
	request(fd, "{\"cmd\":\"test.only\"}\n");
	r = read_json(fd);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd);
}

static void
test_framing(void **state)
{
	json_t *r;
	int fd;

	start();
	fd = client();
	/* Pipelined, with a blank line, CRLF, and a line split across writes. */
	request(fd, "{\"id\":1,\"cmd\":\"echo\"}\n\n\r\n{\"id\":2,\"cmd\":\"echo\"}\r\n{\"id\":3,");
	for (int i = 1; i <= 2; i++) {
		r = read_json(fd);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
	}
	assert_null(read_line_within(fd, 100));
	request(fd, "\"cmd\":\"echo\"}\n");
	r = read_json(fd);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
	json_decref(r);
	close(fd);
}

static void
test_half_close(void **state)
{
	json_t *r;
	int fd;

	start();
	fd = client();
	/* `printf '...' | nc -U`: the last line has no newline, then EOF. */
	request(fd, "{\"id\":1,\"cmd\":\"later\"}\n{\"id\":2,\"cmd\":\"echo\"}");
	shutdown(fd, SHUT_WR);
	r = read_json(fd);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	/* Still open while an answer is owed. */
	assert_null(read_line_within(fd, 100));
	assert_int_equal(nlater, 1);
	sb_ctl_reply(later[0], NULL);
	r = read_json(fd);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	assert_int_equal(json_object_size(json_object_get(r, "result")), 0);
	json_decref(r);
	assert_true(wait_eof(fd));
	close(fd);
}

static void
test_line_limit(void **state)
{
	size_t n = SB_CTL_MAX_LINE;
	char *line = malloc(n + 16);
	const char *head = "{\"cmd\":\"len\",\"args\":{\"t\":\"";
	json_t *r;
	int fd;

	start();
	fd = client();
	/* Exactly the limit (without the newline) is fine. */
	strcpy(line, head);
	memset(line + strlen(head), 'a', n - strlen(head) - 3);
	strcpy(line + n - 3, "\"}}\n");
	assert_int_equal(strlen(line), n + 1);
	request(fd, line);
	r = read_json(fd);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"),
	    "len")), n - strlen(head) - 3);
	json_decref(r);

	/* One byte more, never terminated: an error, then the connection closes. */
	memset(line, 'b', n + 1);
	send_all(fd, line, n + 1);
	r = read_json(fd);
	assert_string_equal(error_code(r), "bad_request");
	assert_non_null(strstr(error_message(r), "line too long"));
	assert_true(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	assert_true(wait_eof(fd));
	close(fd);
	free(line);
}

/* ---- answers that come later ---- */

static void
test_later_ordering(void **state)
{
	json_t *r;
	int fd;

	start();
	fd = client();
	request(fd, "{\"id\":1,\"cmd\":\"later\"}\n{\"id\":2,\"cmd\":\"echo\"}\n");
	/* Responses go out as answers complete, each line whole. */
	r = read_json(fd);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	assert_int_equal(nlater, 1);
	sb_ctl_reply(later[0], json_pack("{s:s}", "late", "yes"));
	r = read_json(fd);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
	close(fd);
}

static void
test_peer_gone(void **state)
{
	struct sb_error err;
	int fd;

	start();
	fd = client();
	request(fd, "{\"id\":1,\"cmd\":\"later\"}\n{\"id\":2,\"cmd\":\"later\"}\n");
	while (nlater < 2)
		spin();
	close(fd);
	for (int i = 0; i < 50; i++)
		spin();
	/* The connection is gone; the requests are still valid to answer. */
	sb_ctl_reply(later[0], json_object());
	sb_error_set(&err, SB_E_INTERNAL, "x");
	sb_ctl_fail(later[1], &err);
	/* The daemon still serves others. */
	fd = client();
	request(fd, "{\"id\":3,\"cmd\":\"echo\"}\n");
	free(read_line(fd));
	close(fd);
}

static void
test_control_freed_first(void **state)
{
	int fd;

	start();
	fd = client();
	request(fd, "{\"id\":1,\"cmd\":\"later\"}\n");
	while (nlater < 1)
		spin();
	/* Shutdown order: control first, the store's last commit answers after. */
	sb_control_free(d.control);
	d.control = NULL;
	assert_true(wait_eof(fd));
	sb_ctl_reply(later[0], NULL);
	close(fd);
}

static void
test_after_commit(void **state)
{
	json_t *r;
	int fd;

	start();
	fd = client();
	request(fd, "{\"id\":1,\"cmd\":\"commit\"}\n");
	while (commit_fn == NULL)
		spin();
	/* Nothing before the commit. */
	assert_null(read_line_within(fd, 50));
	commit_fn(commit_arg, 1);
	r = read_json(fd);
	assert_true(json_is_true(json_object_get(json_object_get(r, "result"), "done")));
	json_decref(r);

	commit_fn = NULL;
	request(fd, "{\"id\":2,\"cmd\":\"commit\"}\n");
	while (commit_fn == NULL)
		spin();
	commit_fn(commit_arg, 0);
	r = read_json(fd);
	assert_string_equal(error_code(r), "internal");
	json_decref(r);
	close(fd);
}

static void
test_pending_cap(void **state)
{
	enum { N = 100 };
	char *burst = malloc(N * 40);
	size_t len = 0;
	int fd, seen[N] = { 0 };

	start();
	fd = client();
	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(burst + len, "{\"id\":%d,\"cmd\":\"later\"}\n", i);
	send_all(fd, burst, len);
	for (int i = 0; i < 100; i++)
		spin();
	/* Reading stops while 64 answers are owed... */
	assert_int_equal(nlater, 64);
	/* ...and resumes on the lines already buffered once they are given. */
	for (int i = 0; i < 64; i++)
		sb_ctl_reply(later[i], NULL);
	for (int i = 0; i < 100 && nlater < N; i++)
		spin();
	assert_int_equal(nlater, N);
	for (int i = 64; i < N; i++)
		sb_ctl_reply(later[i], NULL);
	for (int i = 0; i < N; i++) {
		json_t *r = read_json(fd);

		seen[json_integer_value(json_object_get(r, "id"))]++;
		json_decref(r);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	close(fd);
	free(burst);
}

/* ---- connection limits ---- */

static void
test_per_uid_cap(void **state)
{
	int fds[33];
	json_t *r;

	start();
	for (int i = 0; i < 32; i++) {
		fds[i] = client();
		request(fds[i], "{\"cmd\":\"echo\"}\n");
		free(read_line(fds[i]));
	}
	fds[32] = client();
	r = read_json(fds[32]);
	assert_string_equal(error_code(r), "unavailable");
	assert_non_null(strstr(error_message(r), "too many connections"));
	json_decref(r);
	assert_true(wait_eof(fds[32]));
	close(fds[32]);
	/* One leaves, the next is served. */
	close(fds[0]);
	for (int i = 0; i < 50; i++)
		spin();
	fds[0] = client();
	request(fds[0], "{\"cmd\":\"echo\"}\n");
	r = read_json(fds[0]);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	for (int i = 0; i < 32; i++)
		close(fds[i]);
}

static void
test_fd_reserve(void **state)
{
	struct rlimit old, low;
	int next = dup(0), a, b, c;
	json_t *r;

	/* Only fds below next + 2 may be accepted: 16 stay in reserve. */
	close(next);
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = (rlim_t)next + 2 + 16;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	start();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);

	a = client();                 /* fd next; the daemon's end is next + 1 */
	request(a, "{\"cmd\":\"echo\"}\n");
	free(read_line(a));
	b = client();                 /* its daemon end would be next + 3: refused */
	r = read_json(b);
	assert_string_equal(error_code(r), "unavailable");
	assert_non_null(strstr(error_message(r), "file descriptor limit"));
	json_decref(r);
	/* Accept is paused: the next client waits in the backlog. */
	c = client();
	request(c, "{\"cmd\":\"echo\"}\n");
	assert_null(read_line_within(c, 200));
	/* A close re-arms accept, with a low fd free again. */
	close(a);
	r = read_json(c);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(b);
	close(c);
}

static void
test_mutating_logged(void **state)
{
	char path[96], buf[4096] = "", want[128];
	int saved = dup(2), log_fd, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/log", dir);
	log_fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	start();
	sb_log_set_level(SB_LOG_INFO);
	dup2(log_fd, 2);
	fd = client();
	request(fd, "{\"cmd\":\"echo\"}\n{\"cmd\":\"fail\"}\n");
	free(read_line(fd));
	free(read_line(fd));
	dup2(saved, 2);
	close(saved);
	n = pread(log_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(log_fd);
	unlink(path);
	snprintf(want, sizeof(want), "control: uid=%lu pid=%ld cmd=fail\n",
	    (unsigned long)getuid(), (long)getpid());
	if (strstr(buf, want) == NULL)
		fail_msg("log lacks '%s':\n%s", want, buf);
	assert_non_null(strstr(buf, "cmd=fail failed: not_found: no such thing"));
	/* Read-only commands are not logged. */
	assert_null(strstr(buf, "cmd=echo"));
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_socket_file),
		T(test_group),
		T(test_start_errors),
		T(test_stale_and_live),
		T(test_roundtrip),
		T(test_errors),
		T(test_test_mode),
		T(test_framing),
		T(test_half_close),
		T(test_line_limit),
		T(test_later_ordering),
		T(test_peer_gone),
		T(test_control_freed_first),
		T(test_after_commit),
		T(test_pending_cap),
		T(test_per_uid_cap),
		T(test_fd_reserve),
		T(test_mutating_logged),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
