/*
 * sbp_chan.h - the small pieces every channel plugin repeats around the
 * host: reporting a send result without a provider answer, bounded
 * printable snippets of provider text, and switchboard's outcome words
 * (for config keys such as status maps).
 *
 * Part of plugins/common (libsbplugin.la); not part of the ABI.
 */
#ifndef SBP_CHAN_H
#define SBP_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/host.h>

/*
 * Report `o` for `ticket` with an error code and text (both may be NULL),
 * no provider id and no Retry-After: the result of a send that never
 * reached the provider, or a plain classification.
 */
void sbp_report(const struct sb_host *host, struct sb_instance *inst, uint64_t ticket,
    enum sb_outcome o, const char *code, const char *text);

/*
 * s[0..n) as printable ASCII into out (cap bytes, always NUL-terminated):
 * other bytes become spaces, trailing spaces go. Provider text goes into
 * results and logs only through this.
 */
void sbp_snippet(char *out, size_t cap, const char *s, size_t n);

/*
 * A receipt word ("accepted", "delivered", "read", "undeliverable",
 * "failed", "expired"; case-insensitive) -> *out. 0, or -1 for another
 * word. "temporary" is no receipt word: a receipt cannot ask for a retry.
 */
int sbp_outcome_parse(const char *word, enum sb_outcome *out);

/* The word of an outcome ("temporary" too), or "?". */
const char *sbp_outcome_name(enum sb_outcome o);

#endif
