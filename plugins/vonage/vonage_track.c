/*
 * vonage_track.c - folds the receipts of a long text's parts into one
 * outcome per message (see vonage_util.h, vg_tracker_*).
 *
 * Vonage splits a long text into parts, each with its own message-id and
 * its own receipt. The message counts as delivered when every part is;
 * the first part that fails decides a failure, and later receipts of that
 * message change nothing. The tracker lives in memory only: it is bounded
 * in entries and age, and after a restart the receipts of messages sent
 * before it are reported one by one (see plugins/vonage/README.md).
 *
 * Owns its entries and hash index. Must never log or block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vonage_util.h"

enum part_state { PART_PENDING, PART_DELIVERED, PART_FAILED };

struct knode {                   /* one key (the ref, or a part id) -> its entry */
	const char *key;
	struct entry *e;
	struct knode *next;
};

struct entry {
	char ref[VG_REF_MAX + 1];
	int64_t at;
	size_t n, ndelivered;
	int done;                    /* a verdict for the whole message was given */
	char (*ids)[VG_ID_MAX];
	unsigned char *state;        /* enum part_state per part */
	struct knode *keys;          /* n + 1: the ref, then the parts */
	struct entry *older, *newer; /* age list, oldest first */
};

struct vg_tracker {
	struct knode **buckets;
	size_t nbuckets, count, max;
	int64_t ttl;
	struct entry *oldest, *newest;
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

struct vg_tracker *
vg_tracker_new(size_t max, int64_t ttl_ms)
{
	struct vg_tracker *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->nbuckets = 64;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	t->max = max > 0 ? max : 1;
	t->ttl = ttl_ms;
	return t;
}

static void
key_unlink(struct vg_tracker *t, struct knode *k)
{
	struct knode **pp = &t->buckets[hash(k->key) & (t->nbuckets - 1)];

	while (*pp != NULL && *pp != k)
		pp = &(*pp)->next;
	if (*pp != NULL)
		*pp = k->next;
}

static void
key_link(struct vg_tracker *t, struct knode *k)
{
	struct knode **b = &t->buckets[hash(k->key) & (t->nbuckets - 1)];

	k->next = *b;
	*b = k;
}

static void
entry_remove(struct vg_tracker *t, struct entry *e)
{
	size_t i;

	for (i = 0; i <= e->n; i++)
		key_unlink(t, &e->keys[i]);
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	t->count--;
	free(e->ids);
	free(e->state);
	free(e->keys);
	free(e);
}

void
vg_tracker_free(struct vg_tracker *t)
{
	if (t == NULL)
		return;
	while (t->oldest != NULL)
		entry_remove(t, t->oldest);
	free(t->buckets);
	free(t);
}

size_t
vg_tracker_count(const struct vg_tracker *t)
{
	return t->count;
}

static struct entry *
find(const struct vg_tracker *t, const char *key)
{
	struct knode *k;

	for (k = t->buckets[hash(key) & (t->nbuckets - 1)]; k != NULL; k = k->next)
		if (strcmp(k->key, key) == 0)
			return k->e;
	return NULL;
}

static void
expire(struct vg_tracker *t, int64_t now)
{
	while (t->oldest != NULL && now - t->oldest->at > t->ttl)
		entry_remove(t, t->oldest);
}

/* Keep chains short: double the buckets when entries outnumber them. */
static void
grow(struct vg_tracker *t)
{
	struct knode **nb;
	struct entry *e;
	size_t i;

	if (t->count < t->nbuckets || t->nbuckets >= ((size_t)1 << 24))
		return;
	if ((nb = calloc(t->nbuckets * 2, sizeof(*nb))) == NULL)
		return; /* still correct, only slower */
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets *= 2;
	for (e = t->oldest; e != NULL; e = e->newer)
		for (i = 0; i <= e->n; i++)
			key_link(t, &e->keys[i]);
}

int
vg_tracker_add(struct vg_tracker *t, const char *ref, const char *const *ids, size_t n,
    int64_t now)
{
	struct entry *e, *old;
	size_t i;

	if (n < 2 || strlen(ref) > VG_REF_MAX)
		return 0; /* one part needs no folding; a longer ref is never ours */
	if (n > VG_MAX_PARTS)
		n = VG_MAX_PARTS;
	/* A re-send of the same attempt (same client-ref) replaces what it sent before. */
	if ((old = find(t, ref)) != NULL)
		entry_remove(t, old);
	expire(t, now);
	while (t->count >= t->max)
		entry_remove(t, t->oldest);
	if ((e = calloc(1, sizeof(*e))) == NULL || (e->ids = calloc(n, VG_ID_MAX)) == NULL ||
	    (e->state = calloc(n, 1)) == NULL || (e->keys = calloc(n + 1, sizeof(*e->keys))) == NULL) {
		if (e != NULL) {
			free(e->ids);
			free(e->state);
			free(e);
		}
		return -1;
	}
	strcpy(e->ref, ref);
	e->n = n;
	e->at = now;
	e->keys[0] = (struct knode){ .key = e->ref, .e = e };
	for (i = 0; i < n; i++) {
		/* An empty or duplicate id is unusable as a key; the ref still finds the entry. */
		if (ids[i] == NULL || strlen(ids[i]) >= VG_ID_MAX)
			e->ids[i][0] = '\0';
		else
			strcpy(e->ids[i], ids[i]);
		e->keys[i + 1] = (struct knode){ .key = e->ids[i], .e = e };
	}
	key_link(t, &e->keys[0]);
	for (i = 0; i < n; i++)
		if (e->ids[i][0] != '\0' && find(t, e->ids[i]) == NULL)
			key_link(t, &e->keys[i + 1]);
		else
			e->keys[i + 1].key = ""; /* unlinked: key_unlink finds nothing */
	e->older = t->newest;
	if (t->newest != NULL)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
	t->count++;
	grow(t);
	return 0;
}

enum vg_verdict
vg_tracker_receipt(struct vg_tracker *t, const char *ref, const char *msgid,
    enum sb_outcome part_outcome, int64_t now, enum sb_outcome *out, char *ref_out,
    size_t refcap, int *part, int *nparts)
{
	struct entry *e = NULL;
	size_t i, idx = 0;

	expire(t, now);
	if (ref != NULL && ref[0] != '\0')
		e = find(t, ref);
	else if (msgid != NULL && msgid[0] != '\0')
		e = find(t, msgid);
	if (e == NULL)
		return VG_UNTRACKED;
	snprintf(ref_out, refcap, "%s", e->ref);
	*nparts = (int)e->n;
	for (i = 0; msgid != NULL && msgid[0] != '\0' && i < e->n; i++)
		if (strcmp(e->ids[i], msgid) == 0) {
			idx = i + 1;
			break;
		}
	*part = (int)idx;
	if (e->done)
		return VG_DONE;
	switch (part_outcome) {
	case SB_OUT_DELIVERED:
	case SB_OUT_READ:
		if (idx == 0 || e->state[idx - 1] != PART_PENDING)
			return VG_PENDING; /* an unknown part, or a repeat: nothing to count */
		e->state[idx - 1] = PART_DELIVERED;
		if (++e->ndelivered < e->n)
			return VG_PENDING;
		*out = SB_OUT_DELIVERED;
		entry_remove(t, e); /* every part is in: nothing can change it now */
		return VG_REPORT;
	case SB_OUT_UNDELIVERABLE:
	case SB_OUT_FAILED:
	case SB_OUT_EXPIRED:
		/* One lost part loses the message; keep the entry so later parts change nothing. */
		if (idx != 0)
			e->state[idx - 1] = PART_FAILED;
		e->done = 1;
		*out = part_outcome;
		return VG_REPORT;
	default:
		return VG_PENDING;
	}
}
