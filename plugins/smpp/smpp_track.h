/*
 * smpp_track.h - the receipts of accepted messages, folded over their
 * parts: each part's SMSC message id (as submit_sm_resp gave it) points to
 * its message, whose provider id is its first part's. A message is
 * delivered when every part is, and failed (undeliverable, expired) as
 * soon as one part is. A receipt's id is looked up in every form an SMSC
 * writes ids in (smpp_id_forms: decimal vs hexadecimal).
 *
 * Memory only (a restart forgets it: a receipt for an unknown id is then
 * reported as it comes, which finds single-part messages and first parts),
 * bounded by `max` messages, the oldest forgotten first. Pure: no host.
 */
#ifndef SMPP_TRACK_H
#define SMPP_TRACK_H

#include <stddef.h>

#include <switchboard/types.h>

struct smpp_track;

struct smpp_track *smpp_track_new(size_t max);
void smpp_track_free(struct smpp_track *t);

/* Track a message accepted in `n` parts with these ids (ids[0]: its provider id). */
int smpp_track_add(struct smpp_track *t, const char *const *ids, size_t n);

/*
 * Fold a receipt for part id `id` with outcome `o`. Returns 1 and sets
 * *provider_id (valid until the next call) and *out when the message's
 * receipt is to be reported now; 0 when nothing is to be reported (a part
 * of a message still in progress, or already reported); -1 when the id is
 * not tracked.
 */
int smpp_track_fold(struct smpp_track *t, const char *id, enum sb_outcome o,
    const char **provider_id, enum sb_outcome *out);

size_t smpp_track_count(const struct smpp_track *t);

#endif
