/*
 * submit.c - how a message enters: validation, content filters, storage,
 * and the acknowledgement after the group commit. Also cancel, resend and
 * the activation of scheduled messages whose time has come.
 *
 * Nothing here sends or changes a status: a message is stored with its
 * first status (sb_eng_created writes its history), its first step is
 * started by apply.c, and the pump sends it once its group is committed.
 * A multi-recipient submission is a batch: its messages are written under
 * one savepoint and stand or fall together. A single one has no savepoint:
 * if it fails half way, its group is rolled back (sb_dispatch_submit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chantype.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "phone.h"
#include "store.h"
#include "store_bcast.h"
#include "store_inbox.h"
#include "store_tpl.h"
#include "template.h"

struct sb_submit_ack {
	sb_submit_done_fn done;
	void *arg;
	int64_t id;
	int duplicate;
	enum sb_status status;
};

static void
submit_committed(void *arg, int ok)
{
	struct sb_submit_ack *ack = arg;
	struct sb_error err = { 0 };

	if (ok)
		ack->done(ack->arg, ack->id, ack->duplicate, ack->status, NULL);
	else {
		sb_error_set(&err, SB_E_INTERNAL, "the message could not be stored");
		ack->done(ack->arg, 0, 0, SB_ST_QUEUED, &err);
	}
	free(ack);
}

static int
ack_after_commit(struct sb_dispatch *dp, sb_submit_done_fn done, void *arg, int64_t id,
    int duplicate, enum sb_status status, struct sb_error *err)
{
	struct sb_submit_batch *b = &dp->batch;
	struct sb_submit_ack *ack;

	if (b->open) {
		/* Held until the batch is known to stand (sb_dispatch_batch_end). */
		if (b->nacks == b->capacks) {
			size_t cap = b->capacks ? b->capacks * 2 : 64;
			struct sb_submit_ack *a = realloc(b->acks, cap * sizeof(*a));

			if (a == NULL)
				return sb_error_set(err, SB_E_INTERNAL, "out of memory");
			b->acks = a;
			b->capacks = cap;
		}
		b->acks[b->nacks++] = (struct sb_submit_ack){ done, arg, id, duplicate, status };
		return 0;
	}
	ack = malloc(sizeof(*ack));
	if (ack == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	*ack = (struct sb_submit_ack){ done, arg, id, duplicate, status };
	if (sb_store_after_commit(dp->d->store, submit_committed, ack) < 0) {
		free(ack);
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	}
	return 0;
}

int
sb_dispatch_batch_begin(struct sb_dispatch *dp, struct sb_error *err)
{
	struct sb_submit_batch *b = &dp->batch;

	if (b->open || sb_store_savepoint(dp->d->store) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the submission could not be started: %s",
		    "the store refused a savepoint");
	b->open = 1;
	b->nacks = 0;
	memset(b->moves, 0, sizeof(b->moves));
	return 0;
}

void
sb_dispatch_batch_end(struct sb_dispatch *dp, int ok)
{
	struct sb_submit_batch *b = &dp->batch;
	struct sb_error err = { 0 };
	size_t n = b->nacks;

	if (!b->open)
		return;
	b->open = 0;
	if (sb_store_savepoint_end(dp->d->store, ok) < 0)
		ok = 0;
	for (int st = 0; ok && st < SB_ST_COUNT; st++) {
		for (int64_t k = b->moves[st]; k > 0; k--)
			sb_metrics_status_move(-1, st);
		for (int64_t k = b->moves[st]; k < 0; k++)
			sb_metrics_status_move(st, -1);
	}
	sb_error_set(&err, SB_E_INTERNAL, "not stored: another recipient of the same"
	    " request failed, and a request is stored whole or not at all");
	for (size_t i = 0; i < n; i++) {
		struct sb_submit_ack *a = &b->acks[i];
		struct sb_submit_ack *heap;

		if (!ok) {
			a->done(a->arg, 0, 0, SB_ST_QUEUED, &err);
			continue;
		}
		heap = malloc(sizeof(*heap));
		if (heap != NULL)
			*heap = *a;
		if (heap == NULL || sb_store_after_commit(dp->d->store, submit_committed, heap) < 0) {
			free(heap);
			a->done(a->arg, 0, 0, SB_ST_QUEUED, &err);
		}
	}
	b->nacks = 0;
}

static const struct sb_config_subaccount *
find_subaccount(const struct sb_config *cfg, const char *name, struct sb_error *err)
{
	const struct sb_config_subaccount *sub;

	if (name == NULL) {
		if (cfg->nsubaccounts == 0)
			return sb_error_set(err, SB_E_CONFIG_INVALID,
			    "no subaccount is configured"), NULL;
		return &cfg->subaccounts[0];
	}
	sub = sb_config_subaccount(cfg, name);
	if (sub == NULL)
		sb_error_set(err, SB_E_NOT_FOUND, "no subaccount '%s'", name);
	return sub;
}

static const char *
pick_chain(const struct sb_config_subaccount *sub, const char *want, struct sb_error *err)
{
	char allowed[512] = "";

	if (want == NULL)
		return sub->default_chain;
	for (size_t i = 0; i < sub->nchains; i++) {
		if (strcmp(sub->chains[i], want) == 0)
			return sub->chains[i];
		snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
		    i ? ", " : "", sub->chains[i]);
	}
	sb_error_set(err, SB_E_BAD_ARGUMENT, "chain '%s' is not allowed for subaccount '%s'"
	    " (allowed: %s)", want, sub->name, allowed);
	return NULL;
}

int
sb_dispatch_filter_check(struct sb_dispatch *dp, const char *subaccount, const char *to,
    const char *text, int *blocked, char *reason, size_t reason_len, struct sb_error *err)
{
	struct sb_instance *const *insts;
	size_t n = sb_loader_instances(dp->d->loader, &insts);
	struct sb_check_request req = {
		.struct_size = sizeof(req), .subaccount = subaccount, .to = to, .text = text,
	};

	*blocked = 0;
	reason[0] = '\0';
	for (size_t i = 0; i < n && text != NULL; i++) {
		struct sb_verdict v = { .verdict = SB_VERDICT_ALLOW };

		if (insts[i]->p->kind != SB_PLUGIN_FILTER)
			continue;
		if (insts[i]->p->check(insts[i]->state, &req, &v) != 0)
			return sb_error_set(err, SB_E_INTERNAL, "filter '%s' failed",
			    insts[i]->name);
		if (v.verdict == SB_VERDICT_BLOCK) {
			v.reason[sizeof(v.reason) - 1] = '\0';
			snprintf(reason, reason_len, "filter '%s': %s", insts[i]->name, v.reason);
			*blocked = 1;
			return 0;
		}
	}
	return 0;
}

/* A message's stored template, resolved at submission. */
struct tpl_use {
	int64_t version;  /* 0: no stored template (a text, or WhatsApp's own) */
	char *body;       /* the text the first step sends, rendered, or NULL */
};

/* The channel type of a chain version's first step, as sb_eng_start_step() finds it. */
static const char *
first_step_type(struct sb_dispatch *dp, int64_t ver, const char *chain)
{
	const struct sb_chain_version *cv = sb_chains_get(dp->chains, ver, chain);
	struct sb_instance *inst = cv != NULL && cv->nsteps > 0 ?
	    sb_loader_instance(dp->d->loader, cv->steps[0].channel) : NULL;

	return sb_channel_type(inst != NULL ? inst->cfg->module : NULL);
}

/*
 * Render the template for every step of the chain, so a missing variable
 * or a channel without a variant refuses the message before anything is
 * queued, and every text it may send meets the content filters. The first
 * step's text is kept as the message's body (search, preview).
 */
static int
tpl_check_chain(struct sb_dispatch *dp, const json_t *spec, const json_t *vars,
    const char *what, const char *chain, const char *sub, const char *to,
    struct tpl_use *use, int *blocked, char *reason, size_t reason_len, struct sb_error *err)
{
	const struct sb_config *cfg = dp->d->cfg;
	const struct sb_config_chain *c = sb_config_chain(cfg, chain);

	for (size_t i = 0; c != NULL && i < c->nsteps && !*blocked; i++) {
		const char *type = sb_channel_type(cfg->instances[c->steps[i].instance].module);
		struct sb_template_out out;

		if (sb_template_render(spec, type, vars, what, &out, err) < 0)
			return -1;
		if (out.text != NULL && sb_dispatch_filter_check(dp, sub, to, out.text, blocked,
		    reason, reason_len, err) < 0) {
			sb_template_out_clear(&out);
			return -1;
		}
		if (use->body == NULL && out.text != NULL) {
			use->body = out.text;
			out.text = NULL;
		}
		sb_template_out_clear(&out);
	}
	return 0;
}

/*
 * A message by template: the subaccount's stored template of that name
 * (the latest version, or the one asked for); without one, a provider's
 * own template (a WhatsApp template with its language, a Twilio Content
 * SID) passed to the channel as named, which only such a channel sends.
 */
static int
tpl_resolve(struct sb_dispatch *dp, const struct sb_submit *s, const char *sub,
    const char *chain, const char *to, struct tpl_use *use, int *blocked, char *reason,
    size_t reason_len, struct sb_error *err)
{
	const json_t *spec;
	json_t *vars = NULL;
	char what[96];
	int rc;

	if (s->template_name == NULL)
		return 0;
	if (sb_template_name_check(s->template_name, err) < 0)
		return -1;
	spec = sb_store_template_spec(dp->d->store, sub, s->template_name, s->template_version,
	    &use->version);
	if (spec == NULL) {
		use->version = 0;
		if (s->template_version > 0)
			return sb_error_set(err, SB_E_NOT_FOUND, "template '%s' has no version %lld",
			    s->template_name, (long long)s->template_version);
		if (sb_store_template_deleted(dp->d->store, sub, s->template_name))
			return sb_error_set(err, SB_E_NOT_FOUND, "template '%s' was deleted",
			    s->template_name);
		return 0;
	}
	snprintf(what, sizeof(what), "template '%s'", s->template_name);
	if (s->template_vars != NULL && ((vars = json_loads(s->template_vars, 0, NULL)) == NULL ||
	    !json_is_object(vars))) {
		json_decref(vars);
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "the variables of %s must be an object"
		    " of name: value", what);
	}
	rc = sb_template_check_vars(spec, vars, what, err);
	if (rc == 0)
		rc = tpl_check_chain(dp, spec, vars, what, chain, sub, to, use, blocked, reason,
		    reason_len, err);
	json_decref(vars);
	return rc;
}

/* The trigger's broadcast, made with its first stored message. */
static int
make_broadcast(struct sb_dispatch *dp, const struct sb_submit *s,
    const struct sb_config_subaccount *sub, const char *chain, int64_t now,
    struct sb_error *err)
{
	struct sb_broadcast_row b = {
		.subaccount = sub->name, .source = s->bcast->source, .user = s->bcast->user,
		.file_name = s->bcast->file_name, .chain = chain, .text = s->text,
		.template_name = s->template_name, .created_ms = now,
		.single_message = s->bcast->single,
	};

	if (s->bcast->id > 0)
		return 0;
	s->bcast->id = sb_store_broadcast_insert(dp->d->store, &b, err);
	if (s->bcast->id > 0)
		return 0;
	sb_log(SB_LOG_ERROR, "submit: %s", err->message);
	s->bcast->id = 0;
	return sb_error_set(err, SB_E_INTERNAL, "the broadcast could not be stored");
}

static int
submit_one(struct sb_dispatch *dp, const struct sb_submit *s, sb_submit_done_fn done,
    void *arg, struct sb_error *err)
{
	const struct sb_config *cfg = dp->d->cfg;
	const struct sb_config_subaccount *sub;
	struct sb_instance *direct = NULL;
	struct sb_message m = { 0 };
	char to[32], reason[300];
	const char *why;
	int64_t now = sb_now_ms(), validity;
	enum sb_status acked;
	int blocked = 0, rc;
	struct tpl_use tpl = { 0 };

	sub = find_subaccount(cfg, s->subaccount, err);
	if (sub == NULL)
		return -1;
	if (s->to == NULL || *s->to == '\0')
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "missing recipient 'to'");
	if (sb_phone_normalize(s->to, sub->default_country, to, sizeof(to), &why) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "invalid phone number '%.40s': %s",
		    s->to, why);
	if ((s->text == NULL || *s->text == '\0') && s->template_name == NULL)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "missing 'text' (or a template)");
	if (s->text != NULL && strlen(s->text) > SB_MAX_TEXT_BYTES)
		return sb_error_set(err, SB_E_TOO_LARGE, "text is longer than %d bytes",
		    SB_MAX_TEXT_BYTES);
	m.chain = pick_chain(sub, s->chain, err);
	if (m.chain == NULL)
		return -1;
	if (s->idempotency_key != NULL) {
		int64_t prev = sb_store_message_by_idem(dp->d->store, sub->name,
		    s->idempotency_key);

		if (prev > 0)
			return ack_after_commit(dp, done, arg, prev, 1,
			    (enum sb_status)sb_store_message_status(dp->d->store, prev), err);
	}
	if (sb_dispatch_filter_check(dp, sub->name, to, s->text, &blocked, reason,
	    sizeof(reason), err) < 0 ||
	    tpl_resolve(dp, s, sub->name, m.chain, to, &tpl, &blocked, reason, sizeof(reason),
	    err) < 0) {
		free(tpl.body);
		return -1;
	}

	validity = sub->validity_ms > 0 ? sub->validity_ms : cfg->validity_ms;
	m.subaccount = sub->name;
	m.to = to;
	m.from = s->from != NULL ? s->from : sub->sender;
	m.text = tpl.body != NULL ? tpl.body : s->text;
	m.template_name = s->template_name;
	m.template_ver = tpl.version;
	m.template_lang = s->template_lang;
	m.template_vars = s->template_vars;
	m.idem_key = s->idempotency_key;
	m.created_ms = now;
	m.send_at_ms = s->send_at_ms > now ? s->send_at_ms : now;
	m.expires_ms = m.send_at_ms + validity;
	m.broadcast_id = s->broadcast_id;
	if (s->bcast != NULL && s->broadcast_id == 0 && make_broadcast(dp, s, sub, m.chain, now,
	    err) < 0) {
		free(tpl.body);
		return -1;
	}
	if (s->bcast != NULL && s->broadcast_id == 0) {
		m.broadcast_id = s->bcast->id;
		m.broadcast_single = s->bcast->single;
	}
	m.resend_of = s->resend_of;
	m.status = blocked ? SB_ST_REJECTED : s->send_at_ms > now ? SB_ST_SCHEDULED :
	    SB_ST_QUEUED;
	m.reason = blocked ? reason : NULL;
	m.chain_ver = sb_chains_current(dp->chains, m.chain);
	/* Its first step starts at once (below): the search's channel type. */
	if (m.status == SB_ST_QUEUED)
		m.channel_type = first_step_type(dp, m.chain_ver, m.chain);
	/* A send of its own (its broadcast made here, no request of many) whose
	 * first step's instance can send now is stored `sending` (apply.c). */
	if (m.status == SB_ST_QUEUED && s->broadcast_id == 0 && s->bcast != NULL &&
	    (direct = sb_eng_direct_first(dp, sub, &m, now)) != NULL)
		m.status = SB_ST_SENDING;
	/* Every number sent to is a contact's identity (store_inbox.h). */
	m.contact_id = sb_store_contact_of(dp->d->store, sub->name, "phone", to, now);
	rc = sb_store_message_insert(dp->d->store, &m, err);
	if (rc < 0) {
		free(tpl.body);
		/* The database's words go to the log; the client gets ours. */
		sb_log(SB_LOG_ERROR, "submit: %s", err->message);
		return sb_error_set(err, SB_E_INTERNAL, "the message could not be stored");
	}
	sb_eng_created(dp, &m);
	acked = m.status;
	if (blocked)
		sb_log(SB_LOG_INFO, "message %lld rejected: %s", (long long)m.id, reason);
	else if (m.status == SB_ST_QUEUED) {
		int stepped;

		sb_eng_start_step(dp, m.id, SB_ST_QUEUED, m.chain_ver, m.chain, 0, NULL);
		/* Its first step may have moved it (allowed hours: scheduled or
		 * blocked_time); the store has just written it (store_msgcache.c). */
		stepped = sb_store_message_status(dp->d->store, m.id);
		if (stepped >= 0)
			acked = (enum sb_status)stepped;
	} else if (direct != NULL && sb_eng_direct_start(dp, sub, &m, direct) < 0)
		rc = -1; /* its attempt: the submission fails, its writes with it */
	free(tpl.body);
	if (rc < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the message could not be stored");
	return ack_after_commit(dp, done, arg, m.id, 0, acked, err);
}

/*
 * A submission writes several rows (its broadcast, contact, message,
 * history and first attempt). Under a batch its savepoint undoes them; on
 * its own (one recipient, a control command) it has none, which saves a
 * savepoint's page copies per message: if it fails after its first write,
 * its group is rolled back whole instead (every waiter of the group is
 * told, as when a COMMIT fails), so nothing half written is ever committed.
 */
int
sb_dispatch_submit(struct sb_dispatch *dp, const struct sb_submit *s, sb_submit_done_fn done,
    void *arg, struct sb_error *err)
{
	struct sb_store *st = dp->d->store;
	int64_t before = sb_store_total_changes(st);
	int rc = submit_one(dp, s, done, arg, err);

	if (rc < 0 && !dp->batch.open && sb_store_total_changes(st) != before) {
		sb_log(SB_LOG_ERROR, "submit: stopped half way (%s); its group is rolled back",
		    err->message);
		sb_store_group_fail(st);
	}
	return rc;
}

/* What activation and resend need of a stored message. */
struct message_copy {
	int found;
	enum sb_status status;
	int step;
	int64_t chain_ver;
	char subaccount[128], chain[128], to[32];
	char *text, *from, *template_name, *template_lang, *template_vars;
	int64_t template_ver;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
copy_message(void *arg, const struct sb_message *m)
{
	struct message_copy *c = arg;

	c->found = 1;
	c->status = m->status;
	c->step = m->step;
	c->chain_ver = m->chain_ver;
	snprintf(c->subaccount, sizeof(c->subaccount), "%s", m->subaccount);
	snprintf(c->chain, sizeof(c->chain), "%s", m->chain);
	snprintf(c->to, sizeof(c->to), "%s", m->to);
	c->text = dup_or_null(m->text);
	c->from = dup_or_null(m->from);
	c->template_name = dup_or_null(m->template_name);
	c->template_lang = dup_or_null(m->template_lang);
	c->template_vars = dup_or_null(m->template_vars);
	c->template_ver = m->template_ver;
	/* A stored template renders again; its body was only a rendering. */
	if (m->template_ver > 0) {
		free(c->text);
		c->text = NULL;
	}
	return 0;
}

static void
message_copy_clear(struct message_copy *c)
{
	free(c->text);
	free(c->from);
	free(c->template_name);
	free(c->template_lang);
	free(c->template_vars);
}

/*
 * A message may start: queue the first step of its chain. A scheduled
 * message resumes at its current step (a fallback step that waited for
 * allowed hours); the reason it waited no longer holds and is cleared.
 */
void
sb_eng_activate(struct sb_dispatch *dp, int64_t id)
{
	struct message_copy c = { 0 };

	sb_store_message_get(dp->d->store, id, copy_message, &c);
	if (c.found && c.status == SB_ST_SCHEDULED)
		sb_eng_start_step(dp, id, c.status, c.chain_ver, c.chain, c.step, "");
	message_copy_clear(&c);
}

int
sb_dispatch_cancel(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    struct sb_error *err)
{
	struct message_copy c = { 0 };
	struct sb_attempt_change ch = {
		.status = SB_ST_CANCELLED, .tries = -1, .next_ms = -1, .fallback_ms = 0,
		.final_ms = sb_now_ms(),
	};
	int64_t att;

	sb_store_message_get(dp->d->store, id, copy_message, &c);
	message_copy_clear(&c);
	if (!c.found || (subaccount != NULL && strcmp(subaccount, c.subaccount) != 0))
		return sb_error_set(err, SB_E_NOT_FOUND, "no message %lld", (long long)id);
	if (c.status != SB_ST_SCHEDULED && c.status != SB_ST_QUEUED)
		return sb_error_set(err, SB_E_INVALID_STATE,
		    "message %lld is %s; only scheduled or queued messages can be cancelled",
		    (long long)id, sb_status_name(c.status));
	/* A queued message has exactly one live attempt: the queued one. */
	att = sb_store_attempt_queued_of(dp->d->store, id);
	if (sb_eng_transition(dp, &(struct sb_transition){
	    .message_id = id, .attempt_id = att > 0 ? att : 0,
	    .old_attempt_status = SB_ST_QUEUED, .change = att > 0 ? &ch : NULL,
	    .old_message_status = c.status, .message_status = SB_ST_CANCELLED, .step = -1,
	    .reason = "cancelled by request",
	}) < 0)
		return sb_error_set(err, SB_E_INVALID_STATE, "message %lld changed meanwhile;"
		    " try again", (long long)id);
	return 0;
}

int
sb_dispatch_resend(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    sb_submit_done_fn done, void *arg, struct sb_error *err)
{
	struct message_copy c = { 0 };
	struct sb_submit s;
	int rc;

	sb_store_message_get(dp->d->store, id, copy_message, &c);
	if (!c.found || (subaccount != NULL && strcmp(subaccount, c.subaccount) != 0)) {
		message_copy_clear(&c);
		return sb_error_set(err, SB_E_NOT_FOUND, "no message %lld", (long long)id);
	}
	if (!sb_status_final(c.status)) {
		message_copy_clear(&c);
		return sb_error_set(err, SB_E_INVALID_STATE,
		    "message %lld is %s; only a message with a final status can be resent",
		    (long long)id, sb_status_name(c.status));
	}
	s = (struct sb_submit){
		.subaccount = c.subaccount, .chain = c.chain, .to = c.to, .from = c.from,
		.text = c.text, .template_name = c.template_name,
		.template_lang = c.template_lang, .template_vars = c.template_vars,
		.template_version = c.template_ver,
		.resend_of = id,
	};
	rc = sb_dispatch_submit(dp, &s, done, arg, err);
	message_copy_clear(&c);
	return rc;
}
