/*
 * line_push.c - the `line_push` channel: LINE Messaging API push messages
 * (POST {base_url}/v2/bot/message/push) to the LINE user of the
 * recipient's contact (its "line" identity), or else the one the
 * operator's mapping table names for the number.
 *
 * Owns: the instance's mapping table (config `users:` and `users_file:`,
 * read once at init into a sorted array and imported into the contacts of
 * the instance's subaccount, host->contact_link), turning a send into one push with
 * the attempt key as X-Line-Retry-Key (LINE carries a request out at most
 * once per key, so re-sends after a timeout or a crash cannot duplicate),
 * and the answers through the push status table (lc_push_rules in
 * line_common.c, unit-tested there). LINE reports no delivery: accepted is as far
 * as it goes, so a 200 (or a 409, "already accepted") is reported delivered.
 * The shared send path is ../line_common/line_chan.c.
 *
 * Must never: send to a number with no LINE user (undeliverable at
 * once, no request), log the token, or block (the users file is read at
 * init, which the plugin rules allow).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line_common.h"

struct user {
	char number[LC_E164_MAX];
	char id[LC_USER_ID_LEN + 1];
};

struct push {
	struct lc_chan ch;
	struct user *users;
	size_t nusers, capusers;
};

static int
user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct user *)a)->number, ((const struct user *)b)->number);
}

static int
user_add(struct push *ps, const char *number, const char *id)
{
	if (ps->nusers == ps->capusers) {
		size_t cap = ps->capusers ? ps->capusers * 2 : 64;
		struct user *u = realloc(ps->users, cap * sizeof(*u));

		if (u == NULL)
			return -1;
		ps->users = u;
		ps->capusers = cap;
	}
	snprintf(ps->users[ps->nusers].number, LC_E164_MAX, "%s", number);
	snprintf(ps->users[ps->nusers].id, LC_USER_ID_LEN + 1, "%s", id);
	ps->nusers++;
	return 0;
}

/* users: { "+5511999990001": Uxxxx, ... } */
static int
read_users_map(struct push *ps, struct sb_cfg *node)
{
	const struct sb_host *h = ps->ch.host;
	size_t i, n = h->cfg_len(node);
	int rc = 0;

	if (node == NULL)
		return 0;
	if (h->cfg_scalar(node) != NULL) {
		h->cfg_error(node, "users must map E.164 numbers to LINE user ids");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *key = NULL;
		struct sb_cfg *item = h->cfg_item(node, i, &key);
		const char *id = h->cfg_scalar(item);
		char number[LC_E164_MAX];

		if (key == NULL) {
			h->cfg_error(item, "users must map E.164 numbers to LINE user ids");
			return -1;
		}
		if (lc_e164(key, number, sizeof(number)) < 0) {
			h->cfg_error(item, "users: '%.32s' is not an E.164 number (+ and 8 to 15"
			    " digits)", key);
			rc = -1;
		} else if (id == NULL || !lc_is_line_id(id)) {
			h->cfg_error(item, "users: the id of %s is not a LINE id (U, C or R and 32"
			    " lower-case hex)", number);
			rc = -1;
		} else if (user_add(ps, number, id) < 0) {
			return -1;
		}
	}
	return rc;
}

/* users_file: one "+E164 Uxxxx" per line; "#" comments and blank lines. */
static int
read_users_file(struct push *ps, struct sb_cfg *node, const char *path)
{
	const struct sb_host *h = ps->ch.host;
	char line[512], number[LC_E164_MAX], id[LC_USER_ID_LEN + 1], err[160];
	FILE *f = fopen(path, "re");
	unsigned lineno = 0;
	int rc = 0;

	if (f == NULL) {
		h->cfg_error(node, "users_file: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		int got;

		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			h->cfg_error(node, "users_file %s:%u: line too long", path, lineno);
			rc = -1;
			break;
		}
		got = lc_users_line(line, number, id, err, sizeof(err));
		if (got < 0) {
			h->cfg_error(node, "users_file %s:%u: %s", path, lineno, err);
			rc = -1;
		} else if (got > 0 && user_add(ps, number, id) < 0) {
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* Sort, then refuse a number mapped to two different users. */
static int
users_index(struct push *ps, struct sb_cfg *root)
{
	const struct sb_host *h = ps->ch.host;
	size_t i, o = 0;
	int rc = 0;

	if (ps->nusers == 0)
		return 0;
	qsort(ps->users, ps->nusers, sizeof(*ps->users), user_cmp);
	for (i = 0; i < ps->nusers; i++) {
		if (o > 0 && strcmp(ps->users[o - 1].number, ps->users[i].number) == 0) {
			if (strcmp(ps->users[o - 1].id, ps->users[i].id) != 0) {
				h->cfg_error(root, "users: %s is mapped to two different LINE ids",
				    ps->users[i].number);
				rc = -1;
			}
			continue;
		}
		ps->users[o++] = ps->users[i];
	}
	ps->nusers = o;
	return rc;
}

static const char *
user_lookup(const struct push *ps, const char *to)
{
	struct user key;
	const struct user *u;

	if (ps->nusers == 0 || lc_e164(to, key.number, sizeof(key.number)) < 0)
		return NULL;
	u = bsearch(&key, ps->users, ps->nusers, sizeof(*ps->users), user_cmp);
	return u != NULL ? u->id : NULL;
}

static void
push_fini(void *state)
{
	struct push *ps = state;

	if (ps == NULL)
		return;
	lc_chan_fini(&ps->ch);
	free(ps->users);
	free(ps);
}

static int
push_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct push *ps = calloc(1, sizeof(*ps));
	struct sb_cfg *root;
	const char *file = NULL;
	int rc = 0;

	if (ps == NULL)
		return -1;
	ps->ch = (struct lc_chan){
		.host = host, .inst = inst, .module = "line_push", .rules = lc_push_rules,
		.nrules = lc_push_nrules,
	};
	root = host->cfg_root(inst);
	rc |= lc_chan_config(&ps->ch, "/v2/bot/message/push");
	rc |= read_users_map(ps, host->cfg_get(root, "users"));
	if (host->cfg_string(root, "users_file", NULL, &file) < 0)
		rc = -1;
	else if (file != NULL)
		rc |= read_users_file(ps, host->cfg_get(root, "users_file"), file);
	rc |= users_index(ps, root);
	if (rc != 0) {
		push_fini(ps);
		return -1;
	}
	/* The table is an import: each pair becomes one contact's identities. */
	for (size_t i = 0; SB_HOST_HAS(host, contact_link) && i < ps->nusers; i++)
		if (host->contact_link(inst, NULL, "phone", ps->users[i].number, "line",
		    ps->users[i].id) < 0)
			host->log(inst, SB_LOG_WARN, "could not link %s to its LINE user in the"
			    " contacts", ps->users[i].number);
	if (ps->nusers == 0)
		host->log(inst, SB_LOG_INFO, "no users in the table: numbers are looked up in"
		    " the contacts only");
	host->log(inst, SB_LOG_INFO, "%zu numbers mapped to LINE users", ps->nusers);
	*state = ps;
	return 0;
}

static int
push_send(void *state, const struct sb_send_request *req)
{
	struct push *ps = state;
	const char *user = NULL;
	char retry[64], linked[LC_USER_ID_LEN + 1];
	const char *headers[2] = { retry, NULL };
	int rc;

	if (req->text == NULL) {
		lc_chan_report(&ps->ch, req->ticket, SB_OUT_FAILED, "no_text",
		    "line_push sends text messages, not templates");
		return 0;
	}
	/* The recipient's contact first (its LINE identity), then the table. */
	if (req->to != NULL && SB_HOST_HAS(ps->ch.host, contact_find) &&
	    ps->ch.host->contact_find(ps->ch.inst, req->subaccount, "phone", req->to, "line",
	    linked, sizeof(linked)) == 1 && lc_is_line_id(linked))
		user = linked;
	else if (req->to != NULL)
		user = user_lookup(ps, req->to);
	if (user == NULL) {
		/* No request: the chain moves on to its next step at once. */
		ps->ch.host->counter_add(ps->ch.inst, "line_push_unmapped", 1);
		lc_chan_report(&ps->ch, req->ticket, SB_OUT_UNDELIVERABLE, "no_line_user",
		    "no LINE user is mapped to this number");
		return 0;
	}
	if (!lc_is_uuid(req->attempt_key)) {
		/* Without a valid retry key a re-send could duplicate: refuse to guess. */
		lc_chan_report(&ps->ch, req->ticket, SB_OUT_FAILED, "bad_attempt_key",
		    "the attempt key is not a UUID, so it cannot be an X-Line-Retry-Key");
		return 0;
	}
	snprintf(retry, sizeof(retry), "X-Line-Retry-Key: %s", req->attempt_key);
	rc = lc_chan_send(&ps->ch, req->ticket, req->attempt_key, user, req->text, headers);
	if (rc == -2) {
		lc_chan_report(&ps->ch, req->ticket, SB_OUT_FAILED, "bad_text",
		    "text is not valid UTF-8");
		return 0;
	}
	return rc;
}

SB_PLUGIN_DEFINE(line_push) = SB_PLUGIN_INIT(
	.name = "line_push",
	.version = "1.0.0",
	.description = "LINE Messaging API push messages to mapped LINE users",
	.kind = SB_PLUGIN_CHANNEL,
	.capabilities = SB_CAPABILITIES(
		.max_body_len = 0,              /* LINE answers 400 for a text too long */
		.receipts = SB_RECEIPT_NONE,    /* LINE reports no delivery: accepted = delivered */
		.read_receipts = 0,
		.idempotent = 1,                /* X-Line-Retry-Key = attempt_key */
		.default_rate = 2000,           /* "other endpoints": 2,000 requests/s per channel */
	),
	.init = push_init,
	.fini = push_fini,
	.send = push_send,
);
