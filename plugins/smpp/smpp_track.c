/*
 * smpp_track.c - receipts folded over message parts (see smpp_track.h).
 */
#include <stdlib.h>
#include <string.h>

#include "smpp_pdu.h"
#include "smpp_track.h"

#define NBUCKETS 4096

struct trk_msg {
	char *provider_id;
	size_t nparts, ndelivered, nfinal;
	unsigned char *final;        /* per part */
	int reported;
	struct trk_ent **ents;       /* per part, for removal */
	struct trk_msg *older, *newer;
};

struct trk_ent {
	char key[72];                /* the part's id, lower case */
	struct trk_msg *m;
	size_t part;
	struct trk_ent *next;
};

struct smpp_track {
	struct trk_ent *b[NBUCKETS];
	struct trk_msg *oldest, *newest;
	size_t count, max;
	char last[72];
};

static unsigned
trk_hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NBUCKETS;
}

struct smpp_track *
smpp_track_new(size_t max)
{
	struct smpp_track *t = calloc(1, sizeof(*t));

	if (t != NULL)
		t->max = max > 0 ? max : 1;
	return t;
}

static void
trk_remove(struct smpp_track *t, struct trk_msg *m)
{
	size_t i;

	for (i = 0; i < m->nparts; i++) {
		struct trk_ent **pp;

		if (m->ents[i] == NULL)
			continue;
		for (pp = &t->b[trk_hash(m->ents[i]->key)]; *pp != NULL; pp = &(*pp)->next)
			if (*pp == m->ents[i]) {
				*pp = m->ents[i]->next;
				break;
			}
		free(m->ents[i]);
	}
	if (m->older != NULL)
		m->older->newer = m->newer;
	else
		t->oldest = m->newer;
	if (m->newer != NULL)
		m->newer->older = m->older;
	else
		t->newest = m->older;
	t->count--;
	free(m->provider_id);
	free(m->final);
	free(m->ents);
	free(m);
}

void
smpp_track_free(struct smpp_track *t)
{
	if (t == NULL)
		return;
	while (t->oldest != NULL)
		trk_remove(t, t->oldest);
	free(t);
}

int
smpp_track_add(struct smpp_track *t, const char *const *ids, size_t n)
{
	struct trk_msg *m;
	size_t i;

	if (n == 0)
		return -1;
	while (t->count >= t->max)
		trk_remove(t, t->oldest);
	if ((m = calloc(1, sizeof(*m))) == NULL || (m->provider_id = strdup(ids[0])) == NULL ||
	    (m->final = calloc(n, 1)) == NULL || (m->ents = calloc(n, sizeof(*m->ents))) == NULL) {
		if (m != NULL) {
			free(m->provider_id);
			free(m->final);
		}
		free(m);
		return -1;
	}
	m->nparts = n;
	m->older = t->newest;
	if (t->newest != NULL)
		t->newest->newer = m;
	else
		t->oldest = m;
	t->newest = m;
	t->count++;
	for (i = 0; i < n; i++) {
		struct trk_ent *e = calloc(1, sizeof(*e));
		char forms[3][72];
		unsigned h;

		if (e == NULL)
			continue;
		smpp_id_forms(ids[i], forms);
		memcpy(e->key, forms[0], sizeof(e->key));
		e->m = m;
		e->part = i;
		h = trk_hash(e->key);
		e->next = t->b[h];
		t->b[h] = e;
		m->ents[i] = e;
	}
	return 0;
}

static struct trk_ent *
trk_find(struct smpp_track *t, const char *id)
{
	char forms[3][72];
	int k, nf = smpp_id_forms(id, forms);
	struct trk_ent *e;

	for (k = 0; k < nf; k++)
		for (e = t->b[trk_hash(forms[k])]; e != NULL; e = e->next)
			if (strcmp(e->key, forms[k]) == 0)
				return e;
	return NULL;
}

int
smpp_track_fold(struct smpp_track *t, const char *id, enum sb_outcome o,
    const char **provider_id, enum sb_outcome *out)
{
	struct trk_ent *e = trk_find(t, id);
	struct trk_msg *m;
	int report = 0;

	if (e == NULL)
		return -1;
	m = e->m;
	if (o == SB_OUT_ACCEPTED || m->final[e->part])
		return 0;
	m->final[e->part] = 1;
	m->nfinal++;
	if (o == SB_OUT_DELIVERED || o == SB_OUT_READ) {
		if (++m->ndelivered == m->nparts && !m->reported)
			report = 1;
	} else if (!m->reported) {
		report = 1;
	}
	if (report) {
		m->reported = 1;
		memcpy(t->last, m->provider_id, strnlen(m->provider_id, sizeof(t->last) - 1));
		t->last[strnlen(m->provider_id, sizeof(t->last) - 1)] = '\0';
		*provider_id = t->last;
		*out = o == SB_OUT_READ ? SB_OUT_DELIVERED : o;
	}
	if (m->nfinal == m->nparts)
		trk_remove(t, m);
	return report;
}

size_t
smpp_track_count(const struct smpp_track *t)
{
	return t->count;
}
