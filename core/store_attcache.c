/*
 * store_attcache.c - the state of the newest attempts as the store last
 * wrote it, by id: their message, step, instance, status, tries and
 * provider id. With the message's own state from store_msgcache.c, a
 * receipt or a send's result finds its attempt as it stands without a
 * read (sb_store_attempt_state): each used to join the attempt's row to
 * its message's, about 12 000 instructions, twice per message when the
 * receipt beat the HTTP answer.
 *
 * Owns: a direct-mapped table of ATTCACHE_SIZE entries indexed by id
 * (ids are consecutive, so the newest never evict each other). Filled by
 * the insert of an attempt, kept by every change of one
 * (sb_store_attempt_update: the only other writer of these columns), and
 * emptied by any rollback, as the message cache is. An attempt whose
 * strings do not fit is not kept, and a miss is read from the rows.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define ATTCACHE_SIZE 4096        /* a power of two */

struct attcache_entry {
	int64_t id;               /* 0: empty */
	int64_t message_id;
	int step, tries;
	enum sb_status status;
	unsigned char has_provider_id;
	char instance[72];
	char provider_id[128];
};

struct store_attcache {
	struct attcache_entry e[ATTCACHE_SIZE];
};

static struct attcache_entry *
attcache_find(const struct sb_store *st, int64_t id)
{
	struct attcache_entry *c;

	if (st->attcache == NULL || id <= 0)
		return NULL;
	c = &st->attcache->e[(uint64_t)id & (ATTCACHE_SIZE - 1)];
	return c->id == id ? c : NULL;
}

void
sb_store_attcache_put(struct sb_store *st, int64_t id, int64_t message_id, int step,
    const char *instance, enum sb_status status, int tries)
{
	struct attcache_entry *c;
	size_t n = instance != NULL ? strlen(instance) : 0;

	if (st->attcache == NULL && (st->attcache = calloc(1, sizeof(*st->attcache))) == NULL)
		return;
	if (id <= 0)
		return;
	c = &st->attcache->e[(uint64_t)id & (ATTCACHE_SIZE - 1)];
	c->id = 0;
	if (instance == NULL || n >= sizeof(c->instance))
		return;
	*c = (struct attcache_entry){ .id = id, .message_id = message_id, .step = step,
	    .tries = tries, .status = status };
	memcpy(c->instance, instance, n + 1);
}

void
sb_store_attcache_update(struct sb_store *st, int64_t id, enum sb_status status, int tries,
    const char *provider_id)
{
	struct attcache_entry *c = attcache_find(st, id);

	if (c == NULL)
		return;
	if (provider_id != NULL) {
		size_t n = strlen(provider_id);

		if (n >= sizeof(c->provider_id)) {
			c->id = 0; /* too long to keep: read each time */
			return;
		}
		memcpy(c->provider_id, provider_id, n + 1);
		c->has_provider_id = 1;
	}
	c->status = status;
	if (tries >= 0)
		c->tries = tries;
}

int
sb_store_attcache_state(const struct sb_store *st, int64_t id, struct sb_attempt_row *r)
{
	const struct attcache_entry *c = attcache_find(st, id);

	if (c == NULL)
		return 0;
	*r = (struct sb_attempt_row){
		.id = c->id, .message_id = c->message_id, .step = c->step, .tries = c->tries,
		.status = c->status, .instance = c->instance,
		.provider_id = c->has_provider_id ? c->provider_id : NULL,
	};
	return sb_store_msgcache_state(st, c->message_id, r);
}

void
sb_store_attcache_clear(struct sb_store *st)
{
	if (st->attcache != NULL)
		memset(st->attcache, 0, sizeof(*st->attcache));
}

void
sb_store_attcache_free(struct sb_store *st)
{
	free(st->attcache);
	st->attcache = NULL;
}
