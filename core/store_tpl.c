/*
 * store_tpl.c - versioned templates in the store (store_tpl.h), and a small
 * cache of parsed versions for the sending path: a version never changes,
 * so a cached one is never stale, and a send by template costs no query
 * while its version is among the last few used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "store_tpl.h"
#include "template.h"
#include "timefmt.h"

#define TPL_CACHE_SLOTS 16

struct store_tpl_slot {
	char *subaccount, *name;
	int64_t version;
	json_t *spec;
};

struct store_tpl_cache {
	struct store_tpl_slot slot[TPL_CACHE_SLOTS];
	unsigned next; /* the slot the next miss replaces */
};

static json_t *
tpl_time(int64_t ms)
{
	char buf[40];

	return ms > 0 ? json_string(sb_format_iso8601_ms(ms, buf, sizeof(buf))) : json_null();
}

static json_t *
tpl_text_or_null(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v != NULL ? json_string(v) : json_null();
}

/* The latest version of a template, live or deleted: 1 found, 0 none, -1 error. */
static int
tpl_latest(struct sb_store *st, const char *subaccount, const char *name, int64_t *version,
    char **spec, int *deleted, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT version, spec, deleted_ms FROM templates"
	    " WHERE subaccount = ?1 AND name = ?2 ORDER BY version DESC LIMIT 1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int64(s, 0);
		if (spec != NULL)
			*spec = strdup((const char *)sqlite3_column_text(s, 1));
		*deleted = sqlite3_column_type(s, 2) != SQLITE_NULL;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sb_error_set(err, SB_E_INTERNAL, "database %s: %s", st->path,
	    sqlite3_errmsg(st->db));
}

json_t *
sb_store_template_put(struct sb_store *st, const char *subaccount, const char *name,
    const json_t *spec, const char *user, int64_t now_ms, struct sb_error *err)
{
	char *text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS), *latest = NULL;
	int64_t version = 0;
	int deleted = 0, found, changed = 1;
	sqlite3_stmt *s;

	if (text == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory");
		return NULL;
	}
	found = tpl_latest(st, subaccount, name, &version, &latest, &deleted, err);
	if (found < 0) {
		free(text);
		return NULL;
	}
	if (found && !deleted && latest != NULL && strcmp(latest, text) == 0)
		changed = 0;
	free(latest);
	if (changed) {
		s = sb_store_prepare(st, "INSERT INTO templates (subaccount, name, version, spec,"
		    " created_ms, created_by) VALUES (?,?,?,?,?,?)", err);
		if (s == NULL) {
			free(text);
			return NULL;
		}
		version++;
		sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, version);
		sqlite3_bind_text(s, 4, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, now_ms);
		if (user != NULL)
			sqlite3_bind_text(s, 6, user, -1, SQLITE_STATIC);
		found = sb_store_exec_write(st, s);
		sqlite3_finalize(s);
		if (found < 0) {
			free(text);
			sb_error_set(err, SB_E_INTERNAL, "the template could not be stored"
			    " (database %s: %s)", st->path, sqlite3_errmsg(st->db));
			return NULL;
		}
	}
	free(text);
	return json_pack("{s:s, s:I, s:b}", "name", name, "version", (json_int_t)version,
	    "changed", changed);
}

json_t *
sb_store_template_show(struct sb_store *st, const char *subaccount, const char *name,
    int64_t version, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT version, spec, created_ms, created_by,"
	    " deleted_ms, (SELECT max(version) FROM templates x WHERE x.subaccount = t.subaccount"
	    " AND x.name = t.name) FROM templates t WHERE subaccount = ?1 AND name = ?2"
	    " AND (?3 > 0 AND version = ?3 OR ?3 = 0 AND deleted_ms IS NULL)"
	    " ORDER BY version DESC LIMIT 1", err);
	json_t *res = NULL, *spec;

	if (s == NULL)
		return NULL;
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, version);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (spec = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL)) != NULL) {
		res = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "name", name,
		    "version", (json_int_t)sqlite3_column_int64(s, 0),
		    "versions", (json_int_t)sqlite3_column_int64(s, 5),
		    "created", tpl_time(sqlite3_column_int64(s, 2)),
		    "created_by", tpl_text_or_null(s, 3),
		    "deleted", tpl_time(sqlite3_column_int64(s, 4)),
		    "variables", sb_template_variables(spec), "variants", spec);
	}
	sqlite3_finalize(s);
	if (res == NULL) {
		if (version > 0)
			sb_error_set(err, SB_E_NOT_FOUND, "template '%.64s' has no version %lld",
			    name, (long long)version);
		else
			sb_error_set(err, SB_E_NOT_FOUND, "no template '%.64s' in subaccount '%.64s'",
			    name, subaccount);
	}
	return res;
}

json_t *
sb_store_template_list(struct sb_store *st, const char *subaccount, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT name, version, spec, created_ms, created_by"
	    " FROM templates t WHERE subaccount = ?1 AND deleted_ms IS NULL"
	    " AND version = (SELECT max(version) FROM templates x"
	    "  WHERE x.subaccount = t.subaccount AND x.name = t.name) ORDER BY name", err);
	json_t *list = json_array();

	if (s == NULL) {
		json_decref(list);
		return NULL;
	}
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *spec = json_loads((const char *)sqlite3_column_text(s, 2), 0, NULL);
		json_t *channels = json_array();
		const char *key;
		json_t *v;

		json_object_foreach(spec, key, v)
			json_array_append_new(channels, json_string(key));
		json_array_append_new(list, json_pack("{s:o, s:I, s:o, s:o, s:o, s:o}",
		    "name", tpl_text_or_null(s, 0), "version", (json_int_t)sqlite3_column_int64(s, 1),
		    "created", tpl_time(sqlite3_column_int64(s, 3)), "created_by",
		    tpl_text_or_null(s, 4), "variables", sb_template_variables(spec),
		    "variants", channels));
		json_decref(spec);
	}
	sqlite3_finalize(s);
	return json_pack("{s:o}", "templates", list);
}

int
sb_store_template_delete(struct sb_store *st, const char *subaccount, const char *name,
    int64_t now_ms, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, "UPDATE templates SET deleted_ms = ?3"
	    " WHERE subaccount = ?1 AND name = ?2 AND deleted_ms IS NULL", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now_ms);
	rc = sb_store_exec_write(st, s);
	sqlite3_finalize(s);
	if (rc < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the template could not be deleted"
		    " (database %s: %s)", st->path, sqlite3_errmsg(st->db));
	if (sqlite3_changes(st->db) == 0)
		return sb_error_set(err, SB_E_NOT_FOUND, "no template '%.64s' in subaccount"
		    " '%.64s'", name, subaccount);
	return 0;
}

int
sb_store_template_deleted(struct sb_store *st, const char *subaccount, const char *name)
{
	struct sb_error err = { 0 };
	int64_t version = 0;
	int deleted = 0;

	return tpl_latest(st, subaccount, name, &version, NULL, &deleted, &err) == 1 && deleted;
}

static struct store_tpl_slot *
tpl_cache_find(struct store_tpl_cache *c, const char *subaccount, const char *name,
    int64_t version)
{
	for (unsigned i = 0; i < TPL_CACHE_SLOTS; i++) {
		struct store_tpl_slot *e = &c->slot[i];

		if (e->spec != NULL && e->version == version && strcmp(e->name, name) == 0 &&
		    strcmp(e->subaccount, subaccount) == 0)
			return e;
	}
	return NULL;
}

static void
tpl_slot_clear(struct store_tpl_slot *e)
{
	free(e->subaccount);
	free(e->name);
	json_decref(e->spec);
	memset(e, 0, sizeof(*e));
}

const json_t *
sb_store_template_spec(struct sb_store *st, const char *subaccount, const char *name,
    int64_t version, int64_t *version_out)
{
	struct sb_error err = { 0 };
	struct store_tpl_slot *e;
	char *text = NULL;
	json_t *spec;
	int deleted = 0;

	if (version == 0) {
		/* The latest changes; only versions are cached. */
		if (tpl_latest(st, subaccount, name, &version, NULL, &deleted, &err) <= 0 ||
		    deleted)
			return NULL;
	}
	if (version_out != NULL)
		*version_out = version;
	if (st->tpl_cache == NULL && (st->tpl_cache = calloc(1, sizeof(*st->tpl_cache))) == NULL)
		return NULL;
	e = tpl_cache_find(st->tpl_cache, subaccount, name, version);
	if (e != NULL)
		return e->spec;
	{
		sqlite3_stmt *s = sb_store_prepare(st, "SELECT spec FROM templates WHERE subaccount = ?1"
		    " AND name = ?2 AND version = ?3", &err);

		if (s == NULL)
			return NULL;
		sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, version);
		if (sqlite3_step(s) == SQLITE_ROW)
			text = strdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	spec = text != NULL ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (spec == NULL)
		return NULL;
	e = &st->tpl_cache->slot[st->tpl_cache->next++ % TPL_CACHE_SLOTS];
	tpl_slot_clear(e);
	e->subaccount = strdup(subaccount);
	e->name = strdup(name);
	e->version = version;
	e->spec = spec;
	if (e->subaccount == NULL || e->name == NULL) {
		tpl_slot_clear(e);
		return NULL;
	}
	return e->spec;
}

void
sb_store_tpl_cache_free(struct sb_store *st)
{
	if (st->tpl_cache == NULL)
		return;
	for (unsigned i = 0; i < TPL_CACHE_SLOTS; i++)
		tpl_slot_clear(&st->tpl_cache->slot[i]);
	free(st->tpl_cache);
	st->tpl_cache = NULL;
}
