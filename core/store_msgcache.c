/*
 * store_msgcache.c - what the store last wrote or read of the newest
 * messages, by id: the statistics key (store_tally.c), the status, the
 * validity end, and, for a message this store inserted, its chain, chain
 * version and current step. The delivery path writes a message two or
 * three times within milliseconds of its insert; each write needs some of
 * these facts, and each used to read the row for them (a status move its
 * statistics key, a chain step its message's subaccount and validity end,
 * the submission's answer the status it was stored with, a receipt or a
 * result its attempt's state: store_attcache.c).
 *
 * Owns: a direct-mapped table of CACHE_SIZE entries indexed by id. Ids are
 * consecutive, so the newest CACHE_SIZE messages never evict each other;
 * an older one misses and its reader fills the entry from the row. Filled
 * by the insert and by those reads (which do not know the chain and step:
 * an entry they fill has none); every write of a cached fact in
 * store_msg.c updates it (a status, the step, the channel type, the
 * validity end; the chain and its version are never written again);
 * any rollback empties it, since SQLite gives a rolled-back insert's id
 * to the next message. A message whose strings do not fit is not kept.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define CACHE_SIZE 1024         /* a power of two */

struct msgcache_entry {
	int64_t id;               /* 0: empty */
	int64_t created_ms;
	int64_t broadcast_id;     /* as struct sb_tally_key's */
	int64_t expires_ms;       /* -1: not known */
	enum sb_status status;
	unsigned char has_tpl, has_ctype;
	unsigned char has_state;  /* step, chain and chain_ver are known */
	int step;
	int64_t chain_ver;
	char sub[72], tpl[136], ctype[24], chain[72];
};

struct store_msgcache {
	struct msgcache_entry e[CACHE_SIZE];
};

static struct msgcache_entry *
msgcache_slot(const struct sb_store *st, int64_t id)
{
	return st->msgcache != NULL && id > 0 ?
	    &st->msgcache->e[(uint64_t)id & (CACHE_SIZE - 1)] : NULL;
}

static struct msgcache_entry *
msgcache_find(const struct sb_store *st, int64_t id)
{
	struct msgcache_entry *c = msgcache_slot(st, id);

	return c != NULL && c->id == id ? c : NULL;
}

static int
msgcache_copy(char *dst, size_t len, const char *src, unsigned char *has)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= len)
		return -1;
	if (has != NULL)
		*has = src != NULL;
	/* memmove: a key read from this entry may be put back into it. */
	memmove(dst, src != NULL ? src : "", n + 1);
	return 0;
}

void
sb_store_msgcache_put(struct sb_store *st, int64_t id, const struct sb_tally_key *k,
    enum sb_status status, int64_t expires_ms)
{
	struct msgcache_entry *c;

	if (st->msgcache == NULL && (st->msgcache = calloc(1, sizeof(*st->msgcache))) == NULL)
		return;
	if ((c = msgcache_slot(st, id)) == NULL)
		return;
	if (expires_ms < 0)
		expires_ms = c->id == id ? c->expires_ms : -1; /* keep what a re-put does not say */
	if (c->id != id)
		c->has_state = 0;
	c->id = 0;
	if (msgcache_copy(c->sub, sizeof(c->sub), k->subaccount, NULL) < 0 ||
	    msgcache_copy(c->tpl, sizeof(c->tpl), k->template_name, &c->has_tpl) < 0 ||
	    msgcache_copy(c->ctype, sizeof(c->ctype), k->channel_type, &c->has_ctype) < 0)
		return; /* too long to keep: that message is read each time */
	c->created_ms = k->created_ms;
	c->broadcast_id = k->broadcast_id;
	c->status = status;
	c->expires_ms = expires_ms;
	c->id = id;
}

int
sb_store_msgcache_key(const struct sb_store *st, int64_t id, struct sb_tally_key *k,
    enum sb_status *status)
{
	const struct msgcache_entry *c = msgcache_find(st, id);

	if (c == NULL)
		return 0;
	*k = (struct sb_tally_key){
		.subaccount = c->sub, .template_name = c->has_tpl ? c->tpl : NULL,
		.channel_type = c->has_ctype ? c->ctype : NULL, .created_ms = c->created_ms,
		.broadcast_id = c->broadcast_id,
	};
	if (status != NULL)
		*status = c->status;
	return 1;
}

int
sb_store_msgcache_status(const struct sb_store *st, int64_t id, enum sb_status *status)
{
	const struct msgcache_entry *c = msgcache_find(st, id);

	if (c == NULL)
		return 0;
	*status = c->status;
	return 1;
}

int
sb_store_msgcache_validity(const struct sb_store *st, int64_t id, const char **subaccount,
    int64_t *expires_ms)
{
	const struct msgcache_entry *c = msgcache_find(st, id);

	if (c == NULL || c->expires_ms < 0)
		return 0;
	*subaccount = c->sub;
	*expires_ms = c->expires_ms;
	return 1;
}

void
sb_store_msgcache_set_status(struct sb_store *st, int64_t id, enum sb_status status)
{
	struct msgcache_entry *c = msgcache_find(st, id);

	if (c != NULL)
		c->status = status;
}

void
sb_store_msgcache_set_state(struct sb_store *st, int64_t id, const char *chain,
    int64_t chain_ver, int step)
{
	struct msgcache_entry *c = msgcache_find(st, id);

	if (c == NULL)
		return;
	c->has_state = 0;
	if (msgcache_copy(c->chain, sizeof(c->chain), chain, NULL) < 0)
		return; /* too long to keep: read each time */
	c->chain_ver = chain_ver;
	c->step = step;
	c->has_state = 1;
}

void
sb_store_msgcache_set_step(struct sb_store *st, int64_t id, int step)
{
	struct msgcache_entry *c = msgcache_find(st, id);

	if (c != NULL)
		c->step = step;
}

int
sb_store_msgcache_state(const struct sb_store *st, int64_t id, struct sb_attempt_row *r)
{
	const struct msgcache_entry *c = msgcache_find(st, id);

	if (c == NULL || !c->has_state || c->expires_ms < 0)
		return 0;
	r->message_status = c->status;
	r->message_step = c->step;
	r->chain = c->chain;
	r->chain_ver = c->chain_ver;
	r->expires_ms = c->expires_ms;
	return 1;
}

void
sb_store_msgcache_set_expires(struct sb_store *st, int64_t id, int64_t expires_ms)
{
	struct msgcache_entry *c = msgcache_find(st, id);

	if (c != NULL)
		c->expires_ms = expires_ms;
}

void
sb_store_msgcache_forget(struct sb_store *st, int64_t id)
{
	struct msgcache_entry *c = msgcache_find(st, id);

	if (c != NULL)
		c->id = 0;
}

void
sb_store_msgcache_clear(struct sb_store *st)
{
	if (st->msgcache != NULL)
		memset(st->msgcache, 0, sizeof(*st->msgcache));
}

void
sb_store_msgcache_free(struct sb_store *st)
{
	free(st->msgcache);
	st->msgcache = NULL;
}
