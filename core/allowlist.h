/*
 * allowlist.h - terms and link domains that support has opened, per
 * subaccount or globally (content filter, DESIGN.md).
 *
 * allowlist.c owns the in-memory set (answers filter plugins without
 * touching the disk) and keeps it in step with the filter_allow table of
 * the store: loaded at start, changed only through add/revoke, which
 * write through in the open group. It survives restarts and config reloads
 * because it is not configuration.
 */
#ifndef SB_ALLOWLIST_H
#define SB_ALLOWLIST_H

#include <sys/types.h>

#include <jansson.h>

#include "errors.h"

struct sb_store;
struct sb_allowlist;

/* Kinds are "term" and "domain". */
struct sb_allowlist *sb_allowlist_new(struct sb_store *st, struct sb_error *err);
void sb_allowlist_free(struct sb_allowlist *al);

/*
 * The form a value is stored and compared in, into `out`: terms folded as
 * the content filter folds text; domains in the filter's canonical host
 * form (punycode decoded, NFKC and case folded, no trailing dot, a leading
 * "*." or "." dropped). 0, or -1 with a bad_argument error naming what is
 * wrong (empty, a URL or pattern, bad punycode, a bare TLD).
 */
int sb_allowlist_normalise(const char *kind, const char *value, char *out, size_t len,
    struct sb_error *err);
/* `subaccount` NULL means global. `value` is normalised first (above). */
int sb_allowlist_add(struct sb_allowlist *al, const char *subaccount, const char *kind,
    const char *value, uid_t uid, struct sb_error *err);
/* not_found if there was no such entry. */
int sb_allowlist_revoke(struct sb_allowlist *al, const char *subaccount, const char *kind,
    const char *value, struct sb_error *err);
/* 1 if allowed for that subaccount or globally; domains also by parent domain. */
int sb_allowlist_allowed(const struct sb_allowlist *al, const char *subaccount,
    const char *kind, const char *value);
/* {"entries": [{subaccount|null, kind, value, uid, at}]}; `subaccount` filters (NULL: all). */
json_t *sb_allowlist_json(const struct sb_allowlist *al, const char *subaccount);

#endif
