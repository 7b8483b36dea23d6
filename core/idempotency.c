/*
 * idempotency.c - limits of client idempotency keys, and the comparison
 * of a repeated request with the message stored under its key.
 *
 * Reads the store; never writes it. The dispatcher still decides what a
 * duplicate is (sb_dispatch_submit); this only refuses a key reused for
 * something else, before anything of the request is stored.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dispatch.h"
#include "idempotency.h"
#include "store.h"

int
sb_idem_key_check(const char *key, const char *what, struct sb_error *err)
{
	size_t len = strlen(key);

	if (len == 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' must not be empty", what);
	if (len > SB_IDEM_KEY_MAX)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' is %zu bytes long; at most %d"
		    " are allowed", what, len, SB_IDEM_KEY_MAX);
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' must not contain control"
			    " characters", what);
	return 0;
}

void
sb_idem_recipient_key(const char *key, size_t index, size_t n, char out[SB_IDEM_KEY_BUF])
{
	if (n > 1)
		snprintf(out, SB_IDEM_KEY_BUF, "%s#%zu", key, index);
	else
		snprintf(out, SB_IDEM_KEY_BUF, "%s", key);
}

struct compare {
	const struct sb_submit *s;
	const char *to, *chain, *from;
	const char *differs;      /* the first field that differs, or NULL */
};

static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) != (b == NULL);
	return strcmp(a, b) != 0;
}

static int
vars_differ(const char *a, const char *b)
{
	json_t *ja, *jb;
	int differ;

	if (a == NULL || b == NULL)
		return (a == NULL) != (b == NULL);
	ja = json_loads(a, 0, NULL);
	jb = json_loads(b, 0, NULL);
	differ = ja == NULL || jb == NULL ? strcmp(a, b) != 0 : !json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return differ;
}

static int
compare_stored(void *arg, const struct sb_message *m)
{
	struct compare *c = arg;

	if (str_differs(m->to, c->to))
		c->differs = "to";
	else if (str_differs(m->chain, c->chain))
		c->differs = "chain";
	else if (str_differs(m->from, c->from))
		c->differs = "from";
	else if (str_differs(m->text, c->s->text))
		c->differs = "text";
	else if (str_differs(m->template_name, c->s->template_name) ||
	    str_differs(m->template_lang, c->s->template_lang) ||
	    vars_differ(m->template_vars, c->s->template_vars))
		c->differs = "template";
	return 0;
}

int
sb_idem_same_request(struct sb_store *st, const struct sb_submit *s, const char *to,
    const char *chain, const char *from, struct sb_error *err)
{
	struct compare c = { s, to, chain, from, NULL };
	int64_t prev;

	if (s->idempotency_key == NULL)
		return 0;
	prev = sb_store_message_by_idem(st, s->subaccount, s->idempotency_key);
	if (prev <= 0 || sb_store_message_get(st, prev, compare_stored, &c) != 0 ||
	    c.differs == NULL)
		return 0;
	return sb_error_set(err, SB_E_CONFLICT, "idempotency key '%.80s%s' was used for"
	    " message %lld with a different '%s'", s->idempotency_key,
	    strlen(s->idempotency_key) > 80 ? "..." : "", (long long)prev, c.differs);
}
