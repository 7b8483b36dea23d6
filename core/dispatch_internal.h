/*
 * dispatch_internal.h - the dispatcher's entry points for the host table
 * and the daemon's other modules (not for plugins).
 */
#ifndef SB_DISPATCH_INTERNAL_H
#define SB_DISPATCH_INTERNAL_H

#include <stdint.h>

#include <switchboard/host.h>

#include "dispatch.h"

struct sb_instance;

void sb_dispatch_send_result(struct sb_dispatch *dp, struct sb_instance *inst,
    uint64_t ticket, const struct sb_send_result *res);
void sb_dispatch_receipt(struct sb_dispatch *dp, struct sb_instance *inst,
    const struct sb_receipt *rc);
void sb_dispatch_counter_add(struct sb_dispatch *dp, const char *instance,
    const char *name, uint64_t n);
/* After a restart: resolve attempts a crash left `sending`. */
void sb_dispatch_recover(struct sb_dispatch *dp);

#endif
