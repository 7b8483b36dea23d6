/*
 * store_inbox.c - contacts, inbound messages, call records and the
 * folders (store_inbox.h).
 *
 * The folders are one table: each names where its items live (messages by
 * their status, inbound messages by their folder, calls) and the
 * statuses it holds, so listing, counting and the help texts agree. The
 * message counts come from the msg_stats aggregates (never a scan).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "status.h"
#include "store_inbox.h"
#include "store_internal.h"

enum inbox_source { INBOX_MESSAGES, INBOX_INBOUND, INBOX_CALLS };

static const struct inbox_folder {
	const char *name;
	enum inbox_source source;
	const char *statuses[7]; /* messages: the statuses it holds */
} inbox_folders[] = {
	{ "inbox", INBOX_INBOUND, { NULL } },
	{ "flows", INBOX_INBOUND, { NULL } },
	{ "archived", INBOX_INBOUND, { NULL } },
	{ "outbox", INBOX_MESSAGES, { "queued", "sending", "accepted" } },
	{ "sent", INBOX_MESSAGES, { "delivered", "read" } },
	{ "schedules", INBOX_MESSAGES, { "scheduled" } },
	{ "failed", INBOX_MESSAGES,
	  { "undeliverable", "failed", "expired", "rejected", "cancelled", "blocked_time" } },
	{ "calls", INBOX_CALLS, { NULL } },
};
#define INBOX_NFOLDERS (sizeof(inbox_folders) / sizeof(inbox_folders[0]))

static const struct inbox_folder *
inbox_folder(const char *name)
{
	for (size_t i = 0; name != NULL && i < INBOX_NFOLDERS; i++)
		if (strcmp(inbox_folders[i].name, name) == 0)
			return &inbox_folders[i];
	return NULL;
}

/* A messages folder's statuses as an SQL list: ('queued', 'sending'). */
static void
folder_statuses_sql(const struct inbox_folder *f, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "(");

	for (size_t k = 0; f->statuses[k] != NULL && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, "%s'%s'", k > 0 ? ", " : "",
		    f->statuses[k]);
	if (used < len)
		snprintf(buf + used, len - used, ")");
}

const char *
sb_store_folder_names(void)
{
	return "inbox, flows, archived, outbox, sent, schedules, failed, calls";
}

int64_t
sb_store_contact_of(struct sb_store *st, const char *subaccount, const char *kind,
    const char *value, int64_t now_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_CONTACT_FIND);
	int64_t id = 0;

	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (id > 0)
		return id;
	s = sb_store_stmt(st, ST_CONTACT_ADD);
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now_ms);
	if (sb_store_exec_write(st, s) < 0)
		return -1;
	id = sqlite3_last_insert_rowid(st->db);
	s = sb_store_stmt(st, ST_CONTACT_ID_ADD);
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, id);
	return sb_store_exec_write(st, s) < 0 ? -1 : id;
}

int
sb_store_contact_kind_valid(const char *kind)
{
	static const char *const kinds[] = { "phone", "line", "whatsapp", "id" };

	for (size_t i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return 1;
	return 0;
}

/* The contact holding (kind, value): its id, 0 (none) or -1. */
static int64_t
inbox_contact_find(struct sb_store *st, const char *subaccount, const char *kind,
    const char *value)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_CONTACT_FIND);
	int64_t id = 0;
	int rc;

	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : -1;
}

/* Everything of contact `from` becomes contact `into`'s; `from` goes. */
static const char *const inbox_merge_sql[] = {
	"UPDATE contact_ids SET contact_id = ?1 WHERE contact_id = ?2",
	"UPDATE messages SET contact_id = ?1 WHERE contact_id = ?2",
	"UPDATE inbound SET contact_id = ?1 WHERE contact_id = ?2",
	"UPDATE calls SET contact_id = ?1 WHERE contact_id = ?2",
	"UPDATE flows SET contact_id = ?1 WHERE contact_id = ?2",
	"DELETE FROM contacts WHERE id = ?2",
};

static int
inbox_contact_merge(struct sb_store *st, int64_t into, int64_t from, struct sb_error *err)
{
	for (size_t i = 0; i < sizeof(inbox_merge_sql) / sizeof(inbox_merge_sql[0]); i++) {
		sqlite3_stmt *s = sb_store_prepare(st, inbox_merge_sql[i], err);
		int rc;

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, into);
		sqlite3_bind_int64(s, 2, from);
		rc = sb_store_exec_write(st, s);
		sqlite3_finalize(s);
		if (rc < 0)
			return sb_error_set(err, SB_E_INTERNAL, "contacts %lld and %lld could not be"
			    " merged (database %s: %s)", (long long)into, (long long)from, st->path,
			    sqlite3_errmsg(st->db));
	}
	return 0;
}

/* Make (kind, value) an identity of contact `id` (merging its old contact into it). */
static int64_t
inbox_add_identity(struct sb_store *st, const char *subaccount, int64_t id, const char *kind,
    const char *value, struct sb_error *err)
{
	int64_t other = inbox_contact_find(st, subaccount, kind, value);
	sqlite3_stmt *s;

	if (other < 0) {
		sb_error_set(err, SB_E_INTERNAL, "the contact could not be read (database %s: %s)",
		    st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	if (other == id)
		return id;
	if (other > 0)
		return inbox_contact_merge(st, id, other, err) < 0 ? -1 : id;
	s = sb_store_stmt(st, ST_CONTACT_ID_ADD);
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, id);
	if (sb_store_exec_write(st, s) < 0) {
		sb_error_set(err, SB_E_INTERNAL, "the identity could not be stored (database %s:"
		    " %s)", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return id;
}

int64_t
sb_store_contact_link(struct sb_store *st, const char *subaccount, const char *kind_a,
    const char *a, const char *kind_b, const char *b, int64_t now_ms, struct sb_error *err)
{
	int64_t ca = sb_store_contact_of(st, subaccount, kind_a, a, now_ms);

	if (ca < 0) {
		sb_error_set(err, SB_E_INTERNAL, "the contact could not be stored (database %s: %s)",
		    st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return inbox_add_identity(st, subaccount, ca, kind_b, b, err);
}

json_t *
sb_store_contact_identity_add(struct sb_store *st, const char *subaccount, int64_t id,
    const char *kind, const char *value, struct sb_error *err)
{
	json_t *c = sb_store_contact_json(st, subaccount, id, err);

	if (c == NULL)
		return NULL;
	json_decref(c);
	if (inbox_add_identity(st, subaccount, id, kind, value, err) < 0)
		return NULL;
	return sb_store_contact_json(st, subaccount, id, err);
}

int
sb_store_contact_other(struct sb_store *st, const char *subaccount, const char *kind_from,
    const char *from, const char *kind_to, char *out, size_t len)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_CONTACT_OTHER);
	int rc, found = 0;

	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, kind_to, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(s, 0) < len) {
		memcpy(out, sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0) + 1);
		found = 1;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

/* The folders' count of a subaccount's folder moves by delta (store_gauges.c). */
static void
inbox_count(struct sb_store *st, const char *subaccount, const char *folder, int delta)
{
	char key[SB_NAME_MAX + 40];

	snprintf(key, sizeof(key), "%s\x1f%s", subaccount, folder);
	sb_store_gauge_add(st, SB_GAUGE_INBOUND, key, delta);
}

int64_t
sb_store_inbound_file(struct sb_store *st, const struct sb_inbound_row *in, int *duplicate,
    struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_INBOUND_FILE);
	int64_t id;

	*duplicate = 0;
	sqlite3_bind_text(s, 1, in->instance, -1, SQLITE_STATIC);
	sb_store_bind_text(s, 2, in->from);
	sb_store_bind_text(s, 3, in->to);
	sb_store_bind_text(s, 4, in->text);
	sqlite3_bind_int64(s, 5, in->at_ms);
	sqlite3_bind_text(s, 6, in->subaccount, -1, SQLITE_STATIC);
	if (in->contact_id > 0)
		sqlite3_bind_int64(s, 7, in->contact_id);
	sb_store_bind_text(s, 8, in->channel_type);
	sb_store_bind_text(s, 9, in->provider_id);
	sb_store_bind_text(s, 10, in->media);
	sqlite3_bind_int64(s, 11, in->received_ms > 0 ? in->received_ms : in->at_ms);
	sqlite3_bind_text(s, 12, in->flow_id > 0 ? "flows" : "inbox", -1, SQLITE_STATIC);
	if (in->flow_id > 0)
		sqlite3_bind_int64(s, 13, in->flow_id);
	if (sb_store_exec_write(st, s) < 0) {
		sb_error_set(err, SB_E_INTERNAL, "the inbound message could not be stored"
		    " (database %s: %s)", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	if (sqlite3_changes(st->db) > 0) {
		inbox_count(st, in->subaccount, in->flow_id > 0 ? "flows" : "inbox", 1);
		return sqlite3_last_insert_rowid(st->db);
	}
	/* The provider's retry of one it gave before: that one's id. */
	*duplicate = 1;
	s = sb_store_stmt(st, ST_INBOUND_BY_PROVIDER);
	sqlite3_bind_text(s, 1, in->instance, -1, SQLITE_STATIC);
	sb_store_bind_text(s, 2, in->provider_id);
	id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return id;
}

int64_t
sb_store_call_file(struct sb_store *st, const struct sb_call_row *c, int *duplicate,
    struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_CALL_FILE);

	*duplicate = 0;
	sqlite3_bind_text(s, 1, c->subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->instance, -1, SQLITE_STATIC);
	if (c->contact_id > 0)
		sqlite3_bind_int64(s, 3, c->contact_id);
	sqlite3_bind_text(s, 4, c->direction, -1, SQLITE_STATIC);
	sb_store_bind_text(s, 5, c->from);
	sb_store_bind_text(s, 6, c->to);
	sb_store_bind_text(s, 7, c->provider_id);
	sqlite3_bind_int64(s, 8, c->started_ms > 0 ? c->started_ms : c->at_ms);
	if (c->duration_s >= 0)
		sqlite3_bind_int64(s, 9, c->duration_s);
	if (sb_store_exec_write(st, s) < 0) {
		sb_error_set(err, SB_E_INTERNAL, "the call could not be stored (database %s: %s)",
		    st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	*duplicate = sqlite3_changes(st->db) == 0;
	if (*duplicate)
		return 0;
	sb_store_gauge_add(st, SB_GAUGE_CALLS, c->subaccount, 1);
	return sqlite3_last_insert_rowid(st->db);
}

/* Add `n` to the count of folder `name`, if it is one of the folders. */
static void
inbox_count_add(json_t *counts, const char *name, int64_t n)
{
	json_t *v = json_object_get(counts, name);

	if (v != NULL)
		json_integer_set(v, json_integer_value(v) + n);
}

/* Add `n` to the count of the folder holding message status `status`. */
static void
inbox_count_status(json_t *counts, const char *status, json_int_t n)
{
	for (size_t i = 0; i < INBOX_NFOLDERS; i++)
		for (size_t k = 0; inbox_folders[i].statuses[k] != NULL; k++)
			if (strcmp(inbox_folders[i].statuses[k], status) == 0) {
				inbox_count_add(counts, inbox_folders[i].name, n);
				return;
			}
}

/* A subaccount's inbound counts, from the store's (store_gauges.c). */
struct inbox_sub_counts {
	json_t *counts;
	const char *subaccount;
	size_t len;
};

static void
inbox_take_count(void *arg, const char *key, int64_t n)
{
	struct inbox_sub_counts *c = arg;

	if (strncmp(key, c->subaccount, c->len) == 0 && key[c->len] == '\x1f')
		inbox_count_add(c->counts, key + c->len + 1, n);
}

/*
 * The outbound folders count messages by status from the statistics
 * aggregates; the inbound folders and calls come from the counts the store
 * keeps as it files them: no count of rows, however full a folder is.
 */
json_t *
sb_store_folder_counts(struct sb_store *st, const char *subaccount, struct sb_error *err)
{
	json_t *counts = json_object(), *v;
	struct inbox_sub_counts c = { counts, subaccount, strlen(subaccount) };
	json_int_t total = 0;
	const char *key;
	sqlite3_stmt *s;

	for (size_t i = 0; i < INBOX_NFOLDERS; i++)
		json_object_set_new(counts, inbox_folders[i].name, json_integer(0));
	sb_store_tally_flush(st); /* the open group's moves, too */
	s = sb_store_prepare(st, "SELECT status, sum(n) FROM msg_stats WHERE subaccount = ?1"
	    " GROUP BY status", err);
	if (s == NULL) {
		json_decref(counts);
		return NULL;
	}
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		inbox_count_status(counts, (const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	sb_store_gauge_each(st, SB_GAUGE_INBOUND, inbox_take_count, &c);
	inbox_count_add(counts, "calls", sb_store_gauge_get(st, SB_GAUGE_CALLS, subaccount));
	json_object_foreach(counts, key, v)
		total += json_integer_value(v);
	return json_pack("{s:o, s:I}", "folders", counts, "total", total);
}

static const struct sb_col_spec inbox_message_cols[] = {
	{ "id", SB_COL_INT }, { "contact", SB_COL_INT }, { "to", SB_COL_TEXT },
	{ "status", SB_COL_TEXT }, { "text", SB_COL_TEXT }, { "template", SB_COL_TEXT },
	{ "channel_type", SB_COL_TEXT }, { "broadcast", SB_COL_INT }, { "time", SB_COL_TIME },
};
static const struct sb_col_spec inbox_inbound_cols[] = {
	{ "id", SB_COL_INT }, { "contact", SB_COL_INT }, { "from", SB_COL_TEXT },
	{ "to", SB_COL_TEXT }, { "text", SB_COL_TEXT }, { "media", SB_COL_TEXT },
	{ "channel", SB_COL_TEXT }, { "channel_type", SB_COL_TEXT },
	{ "archived_from", SB_COL_TEXT }, { "time", SB_COL_TIME },
};
static const struct sb_col_spec inbox_call_cols[] = {
	{ "id", SB_COL_INT }, { "contact", SB_COL_INT }, { "direction", SB_COL_TEXT },
	{ "from", SB_COL_TEXT }, { "to", SB_COL_TEXT }, { "channel", SB_COL_TEXT },
	{ "duration_s", SB_COL_INT }, { "time", SB_COL_TIME },
};

static const struct {
	const char *select;        /* columns, FROM and the folder condition */
	const char *time;          /* the column a time range filters */
	const char *kind;
	const struct sb_col_spec *cols;
	size_t ncols;
} inbox_sources[] = {
	[INBOX_MESSAGES] = {
		"SELECT id, contact_id, to_addr, status, body, template_name, channel_type,"
		" broadcast_id, created_ms FROM messages WHERE subaccount = ?1 AND status IN %s",
		"created_ms", "message", inbox_message_cols,
		sizeof(inbox_message_cols) / sizeof(inbox_message_cols[0]) },
	[INBOX_INBOUND] = {
		"SELECT id, contact_id, from_addr, to_addr, body, media, instance, channel_type,"
		" archived_from, received_ms FROM inbound WHERE subaccount = ?1 AND folder = ?7%s",
		"received_ms", "inbound", inbox_inbound_cols,
		sizeof(inbox_inbound_cols) / sizeof(inbox_inbound_cols[0]) },
	[INBOX_CALLS] = {
		"SELECT id, contact_id, direction, from_addr, to_addr, instance, duration_s,"
		" started_ms FROM calls WHERE subaccount = ?1%s",
		"started_ms", "call", inbox_call_cols,
		sizeof(inbox_call_cols) / sizeof(inbox_call_cols[0]) },
};

json_t *
sb_store_folder_list(struct sb_store *st, const struct sb_folder_query *q, struct sb_error *err)
{
	const struct inbox_folder *f = inbox_folder(q->folder);
	char sql[1024], head[512], in[160] = "";
	json_t *items, *last = NULL;
	sqlite3_stmt *s;
	int n = 0;

	if (f == NULL) {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown folder '%.40s' (expected %s)",
		    q->folder != NULL ? q->folder : "", sb_store_folder_names());
		return NULL;
	}
	if (f->source == INBOX_MESSAGES)
		folder_statuses_sql(f, in, sizeof(in));
	snprintf(head, sizeof(head), inbox_sources[f->source].select, in);
	/* Only the filters given, so each query can use its index. */
	snprintf(sql, sizeof(sql), "%s%s%s%s%s%s%s%s%s ORDER BY id DESC LIMIT ?6", head,
	    q->contact_id > 0 ? " AND contact_id = ?2" : "",
	    q->from_ms > 0 ? " AND " : "", q->from_ms > 0 ? inbox_sources[f->source].time : "",
	    q->from_ms > 0 ? " >= ?3" : "",
	    q->until_ms > 0 ? " AND " : "", q->until_ms > 0 ? inbox_sources[f->source].time : "",
	    q->until_ms > 0 ? " < ?4" : "", q->before_id > 0 ? " AND id < ?5" : "");
	s = sb_store_prepare(st, sql, err);
	if (s == NULL)
		return NULL;
	sqlite3_bind_text(s, 1, q->subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, q->contact_id);
	sqlite3_bind_int64(s, 3, q->from_ms);
	sqlite3_bind_int64(s, 4, q->until_ms);
	sqlite3_bind_int64(s, 5, q->before_id);
	sqlite3_bind_int(s, 6, q->limit + 1);
	if (f->source == INBOX_INBOUND)
		sqlite3_bind_text(s, 7, f->name, -1, SQLITE_STATIC);
	items = json_array();
	while (sqlite3_step(s) == SQLITE_ROW && n++ < q->limit) {
		last = sb_store_row_json(s, inbox_sources[f->source].cols,
		    inbox_sources[f->source].ncols);
		json_object_set_new(last, "kind", json_string(inbox_sources[f->source].kind));
		json_array_append_new(items, last);
	}
	sqlite3_finalize(s);
	return json_pack("{s:s, s:o, s:O}", "folder", f->name, "items", items, "next_before",
	    n > q->limit && last != NULL ? json_object_get(last, "id") : json_null());
}

/*
 * The folder of an inbound message of `subaccount` into `folder`, and the
 * one an unarchive puts it back in into `back`; 0, 1 (none) or -1.
 */
static int
inbox_where(struct sb_store *st, const char *subaccount, int64_t id, char *folder,
    char *back, size_t len, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT folder, coalesce(archived_from, 'inbox')"
	    " FROM inbound WHERE id = ?1 AND subaccount = ?2", err);
	int rc = 1;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, subaccount, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(folder, len, "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(back, len, "%s", (const char *)sqlite3_column_text(s, 1));
		rc = 0;
	}
	sqlite3_finalize(s);
	if (rc == 1)
		sb_error_set(err, SB_E_NOT_FOUND, "no inbound message %lld", (long long)id);
	return rc;
}

int
sb_store_inbound_archive(struct sb_store *st, const char *subaccount, int64_t id, int archive,
    int64_t now_ms, struct sb_error *err)
{
	char folder[32], back[32];
	int rc;

	if (inbox_where(st, subaccount, id, folder, back, sizeof(folder), err) != 0)
		return -1;
	if (archive && strcmp(folder, "archived") == 0)
		return sb_error_set(err, SB_E_INVALID_STATE, "inbound message %lld is archived"
		    " already", (long long)id);
	if (!archive && strcmp(folder, "archived") != 0)
		return sb_error_set(err, SB_E_INVALID_STATE, "inbound message %lld is in %s, not"
		    " archived", (long long)id, folder);
	rc = sb_store_write_id(st, archive ?
	    "UPDATE inbound SET archived_from = folder, folder = 'archived', archived_ms = ?2"
	    " WHERE id = ?1" :
	    "UPDATE inbound SET folder = coalesce(archived_from, 'inbox'), archived_from = NULL,"
	    " archived_ms = NULL WHERE id = ?1", id, now_ms,
	    "the inbound message", err);
	if (rc == 0) {
		inbox_count(st, subaccount, folder, -1);
		inbox_count(st, subaccount, archive ? "archived" : back, 1);
	}
	return rc;
}

int
sb_store_inbound_delete(struct sb_store *st, const char *subaccount, int64_t id,
    struct sb_error *err)
{
	char folder[32], back[32];

	if (inbox_where(st, subaccount, id, folder, back, sizeof(folder), err) != 0)
		return -1;
	if (strcmp(folder, "archived") != 0)
		return sb_error_set(err, SB_E_INVALID_STATE, "inbound message %lld is in %s; only"
		    " archived messages can be deleted (archive it first)", (long long)id, folder);
	if (sb_store_write_id(st, "DELETE FROM inbound WHERE id = ?1", id,
	    0, "the inbound message", err) < 0)
		return -1;
	inbox_count(st, subaccount, folder, -1);
	return 0;
}

json_t *
sb_store_contact_json(struct sb_store *st, const char *subaccount, int64_t id,
    struct sb_error *err)
{
	static const struct sb_col_spec contact_cols[] = {
		{ "id", SB_COL_INT }, { "created", SB_COL_TIME },
	};
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT id, created_ms FROM contacts WHERE id = ?1"
	    " AND subaccount = ?2", err);
	json_t *c = NULL, *ids;

	if (s == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, subaccount, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		c = sb_store_row_json(s, contact_cols, 2);
	sqlite3_finalize(s);
	if (c == NULL) {
		sb_error_set(err, SB_E_NOT_FOUND, "no contact %lld", (long long)id);
		return NULL;
	}
	ids = json_array();
	s = sb_store_prepare(st, "SELECT kind, value FROM contact_ids WHERE contact_id = ?1"
	    " ORDER BY kind, value", err);
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, id);
		while (sqlite3_step(s) == SQLITE_ROW)
			json_array_append_new(ids, json_pack("{s:s, s:s}", "kind",
			    (const char *)sqlite3_column_text(s, 0), "value",
			    (const char *)sqlite3_column_text(s, 1)));
		sqlite3_finalize(s);
	}
	json_object_set_new(c, "identities", ids);
	return c;
}

/* ---- flows ---- */

static const struct sb_col_spec flow_cols[] = {
	{ "id", SB_COL_INT }, { "contact", SB_COL_INT }, { "callback_url", SB_COL_TEXT },
	{ "created", SB_COL_TIME }, { "expires", SB_COL_TIME }, { "closed", SB_COL_TIME },
};
#define FLOW_SELECT "SELECT id, contact_id, callback_url, created_ms, expires_ms, closed_ms" \
	" FROM flows"

/* The row of a flow query as JSON, with whether it is open at now_ms. */
static json_t *
flow_row(sqlite3_stmt *s, int64_t now_ms)
{
	json_t *f = sb_store_row_json(s, flow_cols, sizeof(flow_cols) / sizeof(flow_cols[0]));

	json_object_set_new(f, "open", json_boolean(sqlite3_column_type(s, 5) == SQLITE_NULL &&
	    sqlite3_column_int64(s, 4) > now_ms));
	return f;
}

json_t *
sb_store_flow_open(struct sb_store *st, const char *subaccount, int64_t contact_id,
    const char *callback_url, int64_t ttl_ms, int64_t now_ms, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, "INSERT INTO flows (subaccount, contact_id,"
	    " callback_url, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)", err);
	int rc;

	if (s == NULL)
		return NULL;
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, contact_id);
	sqlite3_bind_text(s, 3, callback_url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now_ms);
	sqlite3_bind_int64(s, 5, now_ms + ttl_ms);
	rc = sb_store_exec_write(st, s);
	sqlite3_finalize(s);
	if (rc < 0) {
		sb_error_set(err, SB_E_INTERNAL, "the flow could not be stored (database %s: %s)",
		    st->path, sqlite3_errmsg(st->db));
		return NULL;
	}
	return sb_store_flow_json(st, subaccount, sqlite3_last_insert_rowid(st->db), now_ms, err);
}

json_t *
sb_store_flow_json(struct sb_store *st, const char *subaccount, int64_t id, int64_t now_ms,
    struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, FLOW_SELECT " WHERE id = ?1 AND subaccount = ?2",
	    err);
	json_t *f = NULL;

	if (s == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, subaccount, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		f = flow_row(s, now_ms);
	sqlite3_finalize(s);
	if (f == NULL)
		sb_error_set(err, SB_E_NOT_FOUND, "no flow %lld", (long long)id);
	return f;
}

json_t *
sb_store_flow_list(struct sb_store *st, const char *subaccount, int64_t now_ms,
    struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, FLOW_SELECT " WHERE subaccount = ?1"
	    " AND closed_ms IS NULL AND expires_ms > ?2 ORDER BY id DESC LIMIT 1000", err);
	json_t *list = json_array();

	if (s == NULL) {
		json_decref(list);
		return NULL;
	}
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now_ms);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(list, flow_row(s, now_ms));
	sqlite3_finalize(s);
	return json_pack("{s:o}", "flows", list);
}

int
sb_store_flow_close(struct sb_store *st, const char *subaccount, int64_t id, int64_t now_ms,
    struct sb_error *err)
{
	json_t *f = sb_store_flow_json(st, subaccount, id, now_ms, err);
	int open;

	if (f == NULL)
		return -1;
	open = json_is_true(json_object_get(f, "open"));
	json_decref(f);
	if (!open)
		return sb_error_set(err, SB_E_INVALID_STATE, "flow %lld is closed or expired",
		    (long long)id);
	return sb_store_write_id(st, "UPDATE flows SET closed_ms = ?2 WHERE id = ?1", id, now_ms,
	    "the flow", err);
}

int64_t
sb_store_flow_for(struct sb_store *st, const char *subaccount, int64_t contact_id,
    int64_t now_ms, char *url, size_t len)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_FLOW_FOR);
	int64_t id = 0;
	int rc;

	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, contact_id);
	sqlite3_bind_int64(s, 3, now_ms);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		snprintf(url, len, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? id : rc == SQLITE_DONE ? 0 : -1;
}
