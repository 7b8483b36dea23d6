/*
 * watch.c - which messages changed while one of their attempts was out.
 *
 * Between marking an attempt `sending` and judging its result, the pump
 * keeps what that mark wrote (pump.c) instead of reading the attempt back
 * from the store. The copy can go stale only through another write to the
 * same message while the attempt was out: a receipt that beat the HTTP
 * answer, a cancel, a timer. Every such write touches its message here
 * (sb_eng_transition, and due.c's two direct updates), so a result whose
 * message was touched asks the store for the attempt as it stands
 * (sb_store_attempt_state: what the store last wrote, or a read), and the
 * others ask nothing.
 *
 * Owns: a table of message id -> (holds, changes), open addressing with
 * linear probing and backward-shift deletion, sized to the sends in
 * flight. A touch of a message nobody holds is one probe of an empty or
 * short run. Without memory for an entry a hold is simply not taken, and
 * that attempt is read back as before.
 */
#include <stdlib.h>

#include "engine.h"

struct sb_watch_entry {
	int64_t message_id;          /* 0: empty (ids start at 1) */
	uint32_t holds;
	uint32_t changes;
};

static size_t
watch_home(const struct sb_watch *w, int64_t id)
{
	/* Fibonacci hashing: consecutive ids spread over the table. */
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 32) & (w->cap - 1);
}

static struct sb_watch_entry *
watch_find(const struct sb_watch *w, int64_t id)
{
	if (w->n == 0)
		return NULL;
	for (size_t i = watch_home(w, id);; i = (i + 1) & (w->cap - 1)) {
		struct sb_watch_entry *e = &w->entries[i];

		if (e->message_id == id)
			return e;
		if (e->message_id == 0)
			return NULL;
	}
}

static struct sb_watch_entry *
watch_slot(struct sb_watch *w, int64_t id)
{
	size_t i = watch_home(w, id);

	while (w->entries[i].message_id != 0 && w->entries[i].message_id != id)
		i = (i + 1) & (w->cap - 1);
	return &w->entries[i];
}

/* Keep the load at most one half: probes stay short. */
static int
watch_grow(struct sb_watch *w)
{
	size_t cap = w->cap ? w->cap * 2 : 256;
	struct sb_watch_entry *old = w->entries;
	size_t oldcap = w->cap;

	w->entries = calloc(cap, sizeof(*w->entries));
	if (w->entries == NULL) {
		w->entries = old;
		return -1;
	}
	w->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].message_id != 0)
			*watch_slot(w, old[i].message_id) = old[i];
	free(old);
	return 0;
}

void
sb_watch_hold(struct sb_dispatch *dp, int64_t message_id, struct sb_watch_hold *h)
{
	struct sb_watch *w = &dp->watch;
	struct sb_watch_entry *e;

	*h = (struct sb_watch_hold){ 0 };
	if (message_id <= 0 || ((w->n + 1) * 2 > w->cap && watch_grow(w) < 0))
		return;
	e = watch_slot(w, message_id);
	if (e->message_id == 0) {
		*e = (struct sb_watch_entry){ .message_id = message_id };
		w->n++;
	}
	e->holds++;
	h->seen = e->changes;
	h->held = 1;
}

int
sb_watch_unchanged(const struct sb_dispatch *dp, int64_t message_id,
    const struct sb_watch_hold *h)
{
	const struct sb_watch_entry *e;

	if (!h->held || h->stale)
		return 0;
	e = watch_find(&dp->watch, message_id);
	return e != NULL && e->changes == h->seen;
}

void
sb_watch_release(struct sb_dispatch *dp, int64_t message_id, struct sb_watch_hold *h)
{
	struct sb_watch *w = &dp->watch;
	struct sb_watch_entry *e;
	size_t i, j;

	if (!h->held)
		return;
	h->held = 0;
	e = watch_find(w, message_id);
	if (e == NULL || --e->holds > 0)
		return;
	/* Backward-shift deletion: move later entries of the run into the
	 * hole while that brings them no further from home. */
	i = (size_t)(e - w->entries);
	for (j = (i + 1) & (w->cap - 1); w->entries[j].message_id != 0;
	    j = (j + 1) & (w->cap - 1)) {
		size_t home = watch_home(w, w->entries[j].message_id);

		/* j's home lies cyclically in (i, j]: it must stay where it is. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		w->entries[i] = w->entries[j];
		i = j;
	}
	w->entries[i] = (struct sb_watch_entry){ 0 };
	w->n--;
}

void
sb_watch_touch(struct sb_dispatch *dp, int64_t message_id)
{
	struct sb_watch_entry *e = watch_find(&dp->watch, message_id);

	if (e != NULL)
		e->changes++;
}

size_t
sb_watch_count(const struct sb_dispatch *dp)
{
	return dp->watch.n;
}

void
sb_watch_clear(struct sb_dispatch *dp)
{
	free(dp->watch.entries);
	dp->watch = (struct sb_watch){ 0 };
}
