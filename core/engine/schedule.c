/*
 * schedule.c - when a message may start: the allowed-hours gate in front
 * of every chain step, and rescheduling a message that still waits.
 *
 * The gate only decides; sb_eng_start_step() in apply.c applies its
 * verdict through sb_eng_transition(), so every status change still
 * happens there. A deferred step waits as its message's `scheduled` status
 * with send_at at the next allowed minute; the due timer (due.c) activates
 * it then, and sb_eng_activate() resumes the message at that step. Zone files are
 * never read here: the configuration loaded them.
 *
 * A reload that changes a subaccount's hours does not touch messages
 * already waiting: at their stored send time the gate runs again under
 * the hours then in force and defers them further or blocks them, so none
 * is stranded; a window that now opens earlier does not pull them forward
 * (reschedule does).
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "hours.h"
#include "log.h"
#include "store.h"
#include "timefmt.h"

/* What the gate and reschedule need of a stored message. */
struct msg_info {
	int found;
	enum sb_status status;
	int step, has_template;
	int64_t send_at_ms, expires_ms;
	char subaccount[128], to[32];
};

static int
read_info(void *arg, const struct sb_message *m)
{
	struct msg_info *i = arg;

	i->found = 1;
	i->status = m->status;
	i->step = m->step;
	i->has_template = m->template_name != NULL;
	i->send_at_ms = m->send_at_ms;
	i->expires_ms = m->expires_ms;
	snprintf(i->subaccount, sizeof(i->subaccount), "%s", m->subaccount);
	snprintf(i->to, sizeof(i->to), "%s", m->to);
	return 0;
}

static int
any_hours(const struct sb_config *cfg)
{
	for (size_t i = 0; i < cfg->nsubaccounts; i++)
		if (cfg->subaccounts[i].hours.set)
			return 1;
	return 0;
}

/*
 * The validity period runs from the send time: a first step that waits
 * keeps the whole of it. A later step's wait does not extend it (the
 * message has been under way), so it may expire while waiting.
 */
static int64_t
moved_expiry(const struct msg_info *m, int step, int64_t send_at_ms)
{
	int64_t span = m->expires_ms - m->send_at_ms;

	return step == 0 ? send_at_ms + (span > 0 ? span : 0) : 0;
}

int
sb_hours_gate(struct sb_dispatch *dp, int64_t message_id, int step, int64_t now_ms,
    struct sb_transition *t, char *why, size_t why_len)
{
	const struct sb_config *cfg = dp->d->cfg;
	const struct sb_config_subaccount *sub;
	struct msg_info m = { 0 };
	char window[300], when[40];
	int64_t next;

	/* Most configurations have no hours: no row read per step for them. */
	if (!any_hours(cfg))
		return 0;
	sb_store_message_get(dp->d->store, message_id, read_info, &m);
	/* A subaccount gone from the configuration has no hours any more. */
	if (!m.found || (sub = sb_config_subaccount(cfg, m.subaccount)) == NULL ||
	    sb_hours_check(&sub->hours, sub->tz, now_ms, &next) == 1)
		return 0;
	sb_hours_format(&sub->hours, sub->timezone, window, sizeof(window));
	t->reason = why;
	t->message_status = SB_ST_BLOCKED_TIME;
	if (next < 0) {
		snprintf(why, why_len, "no allowed time within %d days: %s",
		    SB_HOURS_HORIZON_S / 86400, window);
	} else if (sub->outside == SB_OUTSIDE_BLOCK) {
		snprintf(why, why_len, "outside allowed hours: %s", window);
	} else if (moved_expiry(&m, step, next) == 0 && next >= m.expires_ms) {
		/* Waiting would only end in `expired`: say so now, and why. */
		t->message_status = SB_ST_EXPIRED;
		snprintf(why, why_len, "validity ends before the next allowed time %s: %s",
		    sb_format_iso8601_ms(next, when, sizeof(when)), window);
	} else {
		t->message_status = SB_ST_SCHEDULED;
		t->send_at_ms = next;
		t->expires_ms = moved_expiry(&m, step, next);
		snprintf(why, why_len, "waiting for allowed hours: %s", window);
		sb_log(SB_LOG_DEBUG, "message %lld step %d waits %llds: %s",
		    (long long)message_id, step, (long long)(next - now_ms) / 1000, why);
		return 1;
	}
	sb_log(SB_LOG_INFO, "message %lld %s: %s", (long long)message_id,
	    sb_status_name(t->message_status), why);
	return 1;
}

int
sb_dispatch_reschedule(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    int64_t *at_ms, const char *text, struct sb_error *err)
{
	struct msg_info m = { 0 };
	int64_t now = sb_now_ms();
	char when[40], why[120];
	int blocked = 0;

	sb_store_message_get(dp->d->store, id, read_info, &m);
	if (!m.found || (subaccount != NULL && strcmp(subaccount, m.subaccount) != 0))
		return sb_error_set(err, SB_E_NOT_FOUND, "no message %lld", (long long)id);
	if (m.status != SB_ST_SCHEDULED)
		return sb_error_set(err, SB_E_INVALID_STATE,
		    "message %lld is %s; only a scheduled message can be rescheduled",
		    (long long)id, sb_status_name(m.status));
	if (text != NULL) {
		char verdict[300];

		if (*text == '\0')
			return sb_error_set(err, SB_E_BAD_ARGUMENT, "'text' must not be empty");
		if (m.has_template)
			return sb_error_set(err, SB_E_BAD_ARGUMENT,
			    "message %lld is sent with a template; it has no text to change",
			    (long long)id);
		if (strlen(text) > SB_MAX_TEXT_BYTES)
			return sb_error_set(err, SB_E_TOO_LARGE, "text is longer than %d bytes",
			    SB_MAX_TEXT_BYTES);
		if (sb_dispatch_filter_check(dp, m.subaccount, m.to, text, &blocked, verdict,
		    sizeof(verdict), err) < 0)
			return -1;
		if (blocked)
			return sb_error_set(err, SB_E_FORBIDDEN,
			    "the new text is not allowed (%s); message %lld keeps its text and"
			    " send time", verdict, (long long)id);
		if (sb_store_message_set_text(dp->d->store, id, text) < 0)
			return sb_error_set(err, SB_E_INTERNAL, "storing the new text: %s",
			    sb_store_errmsg(dp->d->store));
	}
	if (*at_ms < now)
		*at_ms = now;
	snprintf(why, sizeof(why), "rescheduled to %s%s",
	    sb_format_iso8601_ms(*at_ms, when, sizeof(when)), text != NULL ? " with a new text" : "");
	if (sb_eng_transition(dp, &(struct sb_transition){
	    .message_id = id, .old_message_status = SB_ST_SCHEDULED,
	    .message_status = SB_ST_SCHEDULED, .step = -1, .reason = why,
	    .send_at_ms = *at_ms, .expires_ms = moved_expiry(&m, m.step, *at_ms),
	}) < 0)
		return sb_error_set(err, SB_E_INVALID_STATE, "message %lld changed meanwhile;"
		    " try again", (long long)id);
	return 0;
}
