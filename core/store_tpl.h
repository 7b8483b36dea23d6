/*
 * store_tpl.h - templates in the store, versioned per (subaccount, name):
 * saving a spec that differs from the latest version makes the next
 * version; a version is never changed or removed, so a message that
 * records (name, version) renders the same text at every send. Deleting a
 * template marks its versions: new messages cannot use it, old ones still
 * render theirs.
 *
 * Writes join the open group (store.c): answer after the commit. Specs are
 * in template.h's normal form.
 */
#ifndef SB_STORE_TPL_H
#define SB_STORE_TPL_H

#include <stdint.h>

#include <jansson.h>

#include "errors.h"

struct sb_store;

/*
 * Save `spec` as template `name` of `subaccount`: a new version unless it
 * equals the latest live one. Returns {name, version, changed, created,
 * created_by, variables} (a new reference) or NULL with err.
 */
json_t *sb_store_template_put(struct sb_store *st, const char *subaccount, const char *name,
    const json_t *spec, const char *user, int64_t now_ms, struct sb_error *err);

/*
 * One version (0: the latest live one) as {name, version, versions,
 * created, created_by, deleted, variables, variants}; NULL with err
 * (not_found) if there is none.
 */
json_t *sb_store_template_show(struct sb_store *st, const char *subaccount, const char *name,
    int64_t version, struct sb_error *err);

/* {"templates": [...]}: the latest live version of each, by name. */
json_t *sb_store_template_list(struct sb_store *st, const char *subaccount,
    struct sb_error *err);

/* Mark every version deleted. 0, or -1 with err (not_found). */
int sb_store_template_delete(struct sb_store *st, const char *subaccount, const char *name,
    int64_t now_ms, struct sb_error *err);

/* 1 if the template existed and its latest version is deleted, else 0. */
int sb_store_template_deleted(struct sb_store *st, const char *subaccount, const char *name);

/*
 * The spec of one version, for rendering (version 0: the latest live one,
 * its number in *version_out). Borrowed from a cache of immutable
 * versions: valid until the next call. NULL if there is none.
 */
const json_t *sb_store_template_spec(struct sb_store *st, const char *subaccount,
    const char *name, int64_t version, int64_t *version_out);

#endif
