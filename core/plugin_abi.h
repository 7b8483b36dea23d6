/*
 * plugin_abi.h - the daemon's view of a plugin module, whatever 1.x minor
 * it was built for.
 *
 * The loader checks a module's head, then builds a `struct sb_plugin_view`:
 * a host-owned struct sb_plugin in the current layout, whose entry points
 * are adapters. The rest of the daemon calls only the view
 * (`inst->p->send(inst->state, ...)`), so it never meets an old layout, and
 * the adapters are the one place that knows them: they pass the plugin its
 * own state, hand a 1.0 plugin the 1.0 layouts of sb_webhook_response and
 * sb_verdict, and keep the instance's open send tickets so that the host
 * can answer what is still open after `fini` (plugin.h rule 7).
 * Never does: load files or judge configuration (loader.c).
 */
#ifndef SB_PLUGIN_ABI_H
#define SB_PLUGIN_ABI_H

#include <stdint.h>

#include <switchboard/plugin.h>

#include "errors.h"

struct sb_instance;

struct sb_plugin_view {
	struct sb_plugin p;          /* what the daemon calls: adapters, current layout */
	struct sb_capabilities caps; /* the module's capabilities; p.capabilities and
	                                p.caps both carry them */
	struct sb_plugin real;       /* the module's struct, copied up to its
	                                struct_size and zero beyond */
};

/*
 * Build the view of `real`, whose head (major, minor, size, mandatory
 * entry points) the loader has checked. Returns 0, or -1 with `err` naming
 * `file` when the module's capabilities are malformed. `v` must stay at
 * its address while instances use it.
 */
int sb_plugin_view_build(struct sb_plugin_view *v, const char *file,
    const struct sb_plugin *real, struct sb_error *err);

/* A result for `ticket` was reported (host->send_result): it is closed. */
void sb_plugin_ticket_close(struct sb_instance *inst, uint64_t ticket);

/* Tickets of `inst` sent and not yet answered. */
size_t sb_plugin_tickets_open(const struct sb_instance *inst);

#endif
