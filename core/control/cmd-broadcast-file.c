/*
 * cmd-broadcast-file.c - "broadcast.upload" and "broadcast.send": a
 * broadcast from a recipients file over the control socket.
 *
 * The daemon never opens a path the client names (it may run as another
 * user, on a socket the client reaches from elsewhere): the client sends
 * the file's bytes, base64, in pieces of at most SB_CTL_UPLOAD_PIECE bytes
 * (one request line stays under SB_CTL_MAX_LINE). The first piece starts
 * an upload and answers its id; the next pieces name it; broadcast.send
 * takes the whole upload and hands it to bcast_file.c, answering once the
 * accepted rows are committed. An upload belongs to the uid that started
 * it, holds at most daemon.broadcast_file_max bytes, and is dropped after
 * UPLOAD_IDLE_MS without a piece; a uid has at most UPLOADS_PER_UID open.
 * Owns the uploads, never the file's meaning.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <openssl/evp.h>

#include "args.h"
#include "bcast_file.h"
#include "clock.h"
#include "cmd-broadcast.h"
#include "config.h"
#include "ctl_bcast.h"
#include "daemon.h"
#include "timefmt.h"

#define UPLOAD_IDLE_MS (10 * 60 * 1000)
#define UPLOADS_PER_UID 4

struct upload {
	struct upload *next;
	char id[33];
	uid_t uid;
	int64_t touched_ms;   /* monotonic */
	struct evbuffer *data;
};

/* Open uploads: few and short-lived, so a list. */
static struct upload *uploads;

static void
upload_free(struct upload *u)
{
	evbuffer_free(u->data);
	free(u);
}

/* Drop uploads left idle (a client that died between pieces). */
static void
sweep(int64_t now)
{
	for (struct upload **p = &uploads; *p != NULL;) {
		struct upload *u = *p;

		if (now - u->touched_ms > UPLOAD_IDLE_MS) {
			*p = u->next;
			upload_free(u);
		} else {
			p = &u->next;
		}
	}
}

static struct upload *
find(const char *id, uid_t uid, int unlink_it)
{
	for (struct upload **p = &uploads; *p != NULL; p = &(*p)->next) {
		struct upload *u = *p;

		if (strcmp(u->id, id) == 0 && u->uid == uid) {
			if (unlink_it)
				*p = u->next;
			return u;
		}
	}
	return NULL;
}

static int
new_id(char *out)
{
	unsigned char raw[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int
sb_exec_broadcast_upload(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);
	json_t *args = sb_ctl_args(req);
	const char *b64, *id = NULL;
	int64_t now = sb_mono_ms();
	unsigned char *raw;
	struct upload *u;
	size_t len, pad = 0;
	int n, count = 0;

	/* "" is a piece too: an empty file is the daemon's to refuse, in its words. */
	b64 = json_string_value(json_object_get(args, "data"));
	if (b64 == NULL)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "missing 'data' (base64)");
	if (sb_arg_string(args, "upload", SB_ARG_OPTIONAL, &id, err) < 0)
		return -1;
	len = strlen(b64);
	if (len % 4 != 0 || len / 4 * 3 > SB_CTL_UPLOAD_PIECE)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'data' must be base64 of at most %d"
		    " bytes", SB_CTL_UPLOAD_PIECE);
	sweep(now);
	if (id != NULL) {
		u = find(id, sb_ctl_uid(req), 0);
		if (u == NULL)
			return sb_error_set(err, SB_E_NOT_FOUND, "no upload '%.40s' of yours (an"
			    " upload is dropped after 10 minutes without a piece)", id);
	} else {
		for (u = uploads; u != NULL; u = u->next)
			count += u->uid == sb_ctl_uid(req);
		if (count >= UPLOADS_PER_UID)
			return sb_error_set(err, SB_E_UNAVAILABLE, "uid %lu has %d uploads open"
			    " already; finish or abandon one", (unsigned long)sb_ctl_uid(req),
			    count);
		u = calloc(1, sizeof(*u));
		if (u == NULL || (u->data = evbuffer_new()) == NULL || new_id(u->id) < 0) {
			free(u);
			return sb_error_set(err, SB_E_INTERNAL, "cannot start an upload");
		}
		u->uid = sb_ctl_uid(req);
		u->next = uploads;
		uploads = u;
	}
	u->touched_ms = now;
	while (pad < 2 && len > pad && b64[len - 1 - pad] == '=')
		pad++;
	raw = malloc(len / 4 * 3 + 1);
	n = raw != NULL ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len) : -1;
	if (n < 0 || (size_t)n < pad) {
		free(raw);
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'data' is not valid base64");
	}
	n -= (int)pad;
	if ((int64_t)(evbuffer_get_length(u->data) + (size_t)n) > d->cfg->daemon.broadcast_file_max) {
		free(raw);
		find(u->id, u->uid, 1);
		upload_free(u);
		return sb_error_set(err, SB_E_TOO_LARGE, "the file is larger than %lld bytes"
		    " (daemon.broadcast_file_max); the upload is dropped",
		    (long long)d->cfg->daemon.broadcast_file_max);
	}
	evbuffer_add(u->data, raw, (size_t)n);
	free(raw);
	sb_ctl_reply(req, json_pack("{s:s, s:I}", "upload", u->id, "bytes",
	    (json_int_t)evbuffer_get_length(u->data)));
	return 0;
}

static void
file_sent(void *arg, json_t *res)
{
	struct sb_ctl_req *req = arg;

	if (res != NULL) {
		sb_ctl_reply(req, res);
	} else {
		struct sb_error err = { 0 };

		sb_error_set(&err, SB_E_INTERNAL, "out of memory");
		sb_ctl_fail(req, &err);
	}
}

int
sb_exec_broadcast_send(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);
	json_t *args = sb_ctl_args(req);
	struct sb_bcast_file_req r = { 0 };
	const char *id, *at = NULL, *path = NULL;
	struct upload *u;
	struct evbuffer *data;
	char user[128];

	if (sb_arg_string(args, "file", SB_ARG_OPTIONAL, &path, err) < 0)
		return -1;
	if (path != NULL)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "the daemon does not open files: upload"
		    " the file (switchboardctl broadcast send --file does) and give 'upload'");
	if (sb_arg_string(args, "upload", SB_ARG_REQUIRED, &id, err) < 0 ||
	    sb_arg_string(args, "file_name", SB_ARG_REQUIRED, &r.file_name, err) < 0 ||
	    sb_arg_string(args, "text", SB_ARG_OPTIONAL, &r.text, err) < 0 ||
	    sb_arg_string(args, "template", SB_ARG_OPTIONAL, &r.template_name, err) < 0 ||
	    sb_arg_string(args, "lang", SB_ARG_OPTIONAL, &r.template_lang, err) < 0 ||
	    sb_arg_string(args, "chain", SB_ARG_OPTIONAL, &r.chain, err) < 0 ||
	    sb_arg_string(args, "from", SB_ARG_OPTIONAL, &r.from, err) < 0 ||
	    sb_arg_string(args, "at", SB_ARG_OPTIONAL, &at, err) < 0 ||
	    sb_arg_subaccount(args, d->cfg, &r.subaccount, err) < 0)
		return -1;
	if (at != NULL && sb_parse_iso8601_ms(at, &r.send_at_ms) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'at' must be an ISO 8601 time with"
		    " an offset, e.g. 2026-11-23T18:00:00-03:00 (got '%.40s')", at);
	sweep(sb_mono_ms());
	u = find(id, sb_ctl_uid(req), 1);
	if (u == NULL)
		return sb_error_set(err, SB_E_NOT_FOUND, "no upload '%.40s' of yours (an upload"
		    " is dropped after 10 minutes without a piece)", id);
	data = u->data;
	u->data = NULL;
	free(u);
	r.user = sb_ctl_peer_user(req, user, sizeof(user));
	return sb_bcast_file_start(d, &r, data, file_sent, req, err);
}
