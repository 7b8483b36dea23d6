/*
 * loader.h - plugin modules and their instances.
 *
 * loader.c owns libltdl: opening module files, checking the ABI head,
 * creating instances from config (plugins: and filters:), swapping them on
 * config reload and `plugin reload`, and draining old instances until
 * their in-flight work is done before calling fini. A plugin that fails
 * any check is refused with one log line naming the file and the versions;
 * the daemon keeps running.
 */
#ifndef SB_LOADER_H
#define SB_LOADER_H

#include <stdint.h>

#include <jansson.h>
#include <switchboard/plugin.h>

#include "errors.h"

struct sb_daemon;
struct sb_config;
struct sb_loader;
struct sb_instance;

struct sb_loader *sb_loader_new(struct sb_daemon *d);
/* Finis every instance and closes every module. */
void sb_loader_free(struct sb_loader *l);

/*
 * Open a module file by name or path and check its ABI head. On refusal
 * returns -1 with `err` naming the file and both versions. Exposed for
 * tests; instances call it themselves.
 */
int sb_loader_check_module(struct sb_loader *l, const char *module, struct sb_error *err);

/*
 * Build instances for every plugins:/filters: entry of `cfg` (reusing
 * nothing), run each plugin's init and check unknown plugin keys. On
 * success the new set replaces the old one (old instances drain, then
 * fini); on failure nothing changes and `err` lists the problems.
 * With `dry_run`, instances are created and destroyed again (for -t).
 */
int sb_loader_apply(struct sb_loader *l, struct sb_config *cfg, int dry_run,
    struct sb_error *err);

/*
 * Reopen a module's file (a new build dropped in place) and recreate its
 * instances from the current config. In-flight sends of the old instances
 * finish on them; new sends go to the new ones.
 */
int sb_loader_reload_module(struct sb_loader *l, const char *module, struct sb_error *err);

/*
 * Shutdown: call `drain` of every channel instance with sends in flight
 * that has one (plugin.h). Returns 1 if one of them still finishes sends
 * (sb_loader_draining then says when they are done), 0 if none.
 */
int sb_loader_drain(struct sb_loader *l);
/* 1 while an instance that was asked to drain has tickets open. */
int sb_loader_draining(struct sb_loader *l);

/* The live instance of that name, or NULL. */
struct sb_instance *sb_loader_instance(struct sb_loader *l, const char *name);

/* {"modules": [{name, file, abi: "1.0", version, kind, instances: [...]}]} */
json_t *sb_loader_json(struct sb_loader *l);

#endif
