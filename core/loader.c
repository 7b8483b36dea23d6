/*
 * loader.c - plugin modules (libltdl) and the instances built from config.
 *
 * A module is opened once and shared by every instance that names it. The
 * instances of one configuration form a generation, which also owns that
 * configuration: when a reload or `plugin reload` replaces an instance, the
 * old one keeps serving the sends already in flight and is finished only
 * when its in-flight count drops to zero, so no message is lost. A module
 * whose file is reloaded is opened from a private copy, because dlopen()
 * would hand back the old mapping for the same path.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <ltdl.h>

#include "config.h"
#include "daemon.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "plugin_abi.h"

#ifndef SB_PLUGINDIR
#define SB_PLUGINDIR "/usr/local/lib/switchboard/plugins"
#endif

/* The smallest plugin struct this host can use: ABI 1.0 ends with `check`. */
#define SB_PLUGIN_MIN_SIZE \
	(offsetof(struct sb_plugin, check) + sizeof(((struct sb_plugin *)0)->check))

struct sb_module {
	char *name;
	char *file;             /* the file it was loaded from, for people */
	lt_dlhandle handle;
	const struct sb_plugin *p;      /* &view.p: what instances call */
	struct sb_plugin_view view;     /* adapts the module's own ABI 1.x struct */
	unsigned refs;          /* instances using it */
	int current;            /* the module new instances of `name` get */
	struct sb_module *next;
};

struct generation {
	struct sb_config *cfg;
	size_t n;
	struct sb_instance **inst;
};

struct sb_loader {
	struct sb_daemon *d;
	struct sb_module *modules;
	struct generation gen;          /* live */
	struct sb_config **retired;     /* configs of replaced generations */
	size_t nretired;
	struct sb_instance *draining;
	struct event *reap;
};

static const char *const kind_names[] = {
	[SB_PLUGIN_CHANNEL] = "channel",
	[SB_PLUGIN_FILTER] = "filter",
};

static const char *
kind_name(enum sb_plugin_kind k)
{
	return (k == SB_PLUGIN_CHANNEL || k == SB_PLUGIN_FILTER) ? kind_names[k] : "unknown";
}

/* Check the head and mandatory entry points; refuse with both versions. */
static int
check_plugin(const char *file, const struct sb_plugin *p, struct sb_error *err)
{
	if (p == NULL)
		return sb_error_set(err, SB_E_PLUGIN,
		    "plugin %s refused: no sb_plugin symbol (expected <module>_LTX_sb_plugin)",
		    file);
	if (p->abi_major != SB_ABI_MAJOR)
		return sb_error_set(err, SB_E_PLUGIN,
		    "plugin %s refused: built for ABI %u.%u, host ABI is %u.%u (major differs)",
		    file, p->abi_major, p->abi_minor, SB_ABI_MAJOR, SB_ABI_MINOR);
	if (p->abi_minor > SB_ABI_MINOR)
		return sb_error_set(err, SB_E_PLUGIN,
		    "plugin %s refused: built for ABI %u.%u, host ABI is %u.%u (plugin is newer)",
		    file, p->abi_major, p->abi_minor, SB_ABI_MAJOR, SB_ABI_MINOR);
	if (p->struct_size < SB_PLUGIN_MIN_SIZE)
		return sb_error_set(err, SB_E_PLUGIN,
		    "plugin %s refused: ABI %u.%u struct is %u bytes, host ABI %u.%u needs %zu",
		    file, p->abi_major, p->abi_minor, (unsigned)p->struct_size,
		    SB_ABI_MAJOR, SB_ABI_MINOR, SB_PLUGIN_MIN_SIZE);
	if (p->kind != SB_PLUGIN_CHANNEL && p->kind != SB_PLUGIN_FILTER)
		return sb_error_set(err, SB_E_PLUGIN, "plugin %s refused: unknown kind %d",
		    file, (int)p->kind);
	if (p->name == NULL || p->init == NULL || p->fini == NULL ||
	    (p->kind == SB_PLUGIN_CHANNEL && p->send == NULL) ||
	    (p->kind == SB_PLUGIN_FILTER && p->check == NULL))
		return sb_error_set(err, SB_E_PLUGIN,
		    "plugin %s refused: ABI %u.%u, a mandatory field (name, init, fini, %s) is NULL",
		    file, p->abi_major, p->abi_minor,
		    p->kind == SB_PLUGIN_CHANNEL ? "send" : "check");
	return 0;
}

/*
 * Copy a module file so that dlopen() maps the new build, not the old one.
 * The copy keeps its base name in a private directory, because libltdl
 * derives the symbol prefix (<module>_LTX_) from the file name.
 */
static char *
copy_module_file(const char *src)
{
	const char *tmp = getenv("TMPDIR"), *base = strrchr(src, '/');
	char buf[65536], dir[4096], *dst = NULL;
	ssize_t n = 0;
	int in, out;

	snprintf(dir, sizeof(dir), "%s/sb-plugin-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL ||
	    asprintf(&dst, "%s/%s", dir, base != NULL ? base + 1 : src) < 0)
		return NULL;
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = in >= 0 ? open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (out < 0 || n < 0) {
		unlink(dst);
		rmdir(dir);
		free(dst);
		return NULL;
	}
	return dst;
}

/* Remove a copy made by copy_module_file (the mapping stays valid). */
static void
remove_module_copy(char *copy)
{
	char *slash = strrchr(copy, '/');

	unlink(copy);
	if (slash != NULL) {
		*slash = '\0';
		rmdir(copy);
	}
	free(copy);
}

static void
module_free(struct sb_module *m)
{
	if (m->handle != NULL)
		lt_dlclose(m->handle);
	free(m->name);
	free(m->file);
	free(m);
}

/*
 * Map `path` with every symbol bound now. libltdl binds lazily: a module
 * with an undefined symbol would load, and kill the daemon at the first
 * call of that function ("symbol lookup error"). An RTLD_NOW open of the
 * same file first turns that into a refusal; libltdl's open then shares
 * the bound mapping. NULL with err on failure.
 */
static lt_dlhandle
open_bound(const char *path, const char *file, struct sb_error *err)
{
	void *probe = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	lt_dlhandle h;

	if (probe == NULL) {
		sb_error_set(err, SB_E_PLUGIN, "plugin %s refused: %s", file, dlerror());
		return NULL;
	}
	h = lt_dlopen(path);
	if (h == NULL)
		sb_error_set(err, SB_E_PLUGIN, "plugin %s: %s", file, lt_dlerror());
	dlclose(probe);
	return h;
}

/*
 * Open a module by name (searched on the plugin path) or by file, and check
 * its ABI. With `fresh_copy`, map a private copy of the file instead.
 */
static struct sb_module *
module_open(const char *name, int fresh_copy, struct sb_error *err)
{
	const lt_dlinfo *info;
	const struct sb_plugin *real;
	struct sb_module *m;
	char *copy = NULL;

	m = calloc(1, sizeof(*m));
	m->name = strdup(name);
	/* libltdl finds the file (.la or .so, along the search path)... */
	m->handle = lt_dlopenext(name);
	if (m->handle == NULL) {
		const char *path = lt_dlgetsearchpath();

		sb_error_set(err, SB_E_PLUGIN, "plugin module '%s': %s (searched %s)", name,
		    lt_dlerror(), path != NULL ? path : "nothing");
		goto fail;
	}
	info = lt_dlgetinfo(m->handle);
	m->file = strdup(info != NULL && info->filename != NULL ? info->filename : name);
	if (fresh_copy && (copy = copy_module_file(m->file)) == NULL) {
		sb_error_set(err, SB_E_PLUGIN, "plugin %s: cannot copy for reload: %s",
		    m->file, strerror(errno));
		goto fail;
	}
	/* ...and is reopened bound (its lazy mapping is gone once closed). */
	lt_dlclose(m->handle);
	m->handle = open_bound(copy != NULL ? copy : m->file, m->file, err);
	if (copy != NULL)
		remove_module_copy(copy);
	if (m->handle == NULL)
		goto fail;
	/* lt_dlsym tries "<module>_LTX_sb_plugin" first, then "sb_plugin". */
	real = lt_dlsym(m->handle, "sb_plugin");
	if (check_plugin(m->file, real, err) < 0 ||
	    sb_plugin_view_build(&m->view, m->file, real, err) < 0)
		goto fail;
	m->p = &m->view.p;
	return m;
fail:
	module_free(m);
	return NULL;
}

/* Close a module nobody uses and new instances will not get. */
static void
module_maybe_close(struct sb_loader *l, struct sb_module *m)
{
	struct sb_module **pp;

	if (m->refs > 0 || m->current)
		return;
	for (pp = &l->modules; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	module_free(m);
}

static void
module_release(struct sb_loader *l, struct sb_module *m)
{
	m->refs--;
	module_maybe_close(l, m);
}

/* The module new instances of `name` use, opening it on first use. */
static struct sb_module *
module_get(struct sb_loader *l, const char *name, struct sb_error *err)
{
	struct sb_module *m;

	for (m = l->modules; m != NULL; m = m->next)
		if (m->current && strcmp(m->name, name) == 0)
			return m;
	m = module_open(name, 0, err);
	if (m == NULL)
		return NULL;
	m->current = 1;
	m->next = l->modules;
	l->modules = m;
	return m;
}

int
sb_loader_check_module(struct sb_loader *l, const char *module, struct sb_error *err)
{
	struct sb_module *m = module_open(module, 0, err);

	(void)l;
	if (m == NULL)
		return -1;
	module_free(m);
	return 0;
}

static void
instance_destroy(struct sb_loader *l, struct sb_instance *inst)
{
	if (inst->initialised)
		inst->p->fini(inst->state);
	sb_host_instance_cleanup(inst);
	module_release(l, inst->mod);
	free(inst->webhook_url);
	free(inst->name);
	free(inst);
}

static struct sb_instance *
instance_create(struct sb_loader *l, const struct sb_config *cfg,
    const struct sb_config_instance *ci, struct sb_module *m, struct sb_error *err)
{
	struct sb_instance *inst;
	size_t errs_before = sb_cfg_doc_nerrors(cfg->doc);
	char where[256];

	if (m->p->kind != ci->kind) {
		sb_cfg_error(ci->node, "module '%s' is a %s plugin; it cannot be used under %s",
		    ci->module, kind_name(m->p->kind),
		    ci->kind == SB_PLUGIN_CHANNEL ? "plugins" : "filters");
		return NULL;
	}
	inst = calloc(1, sizeof(*inst));
	inst->name = strdup(ci->name);
	inst->d = l->d;
	inst->mod = m;
	inst->p = m->p;
	inst->view = &m->view;
	inst->cfg = ci;
	inst->rate = ci->rate > 0 ? ci->rate : m->p->capabilities->default_rate;
	inst->burst = ci->burst > 0 ? (double)ci->burst : 1.0;
	/* The plugin's default rate gets the config's default bucket: one second's worth. */
	if (ci->rate <= 0 && inst->rate > inst->burst)
		inst->burst = inst->rate;
	/* inst->bucket starts full at its first use (ratelimit.h). */
	m->refs++;
	if (asprintf(&inst->webhook_url, "%s/hooks/%s",
	    cfg->daemon.public_url != NULL ? cfg->daemon.public_url : "", ci->name) < 0)
		inst->webhook_url = NULL;
	/* Plugins read every key before they judge any (plugin.h), so unknown
	 * keys are worth reporting even when init failed. */
	snprintf(where, sizeof(where), "instance '%s' (module %s)", ci->name, ci->module);
	if (m->p->init(&sb_host_table, inst, &inst->state) != 0) {
		if (sb_cfg_doc_nerrors(cfg->doc) == errs_before)
			sb_cfg_error(ci->node, "instance '%s': plugin %s failed to initialise",
			    ci->name, m->file);
		sb_cfg_check_unused(ci->node, where);
		instance_destroy(l, inst);
		return NULL;
	}
	inst->initialised = 1;
	sb_cfg_check_unused(ci->node, where);
	if (sb_cfg_doc_nerrors(cfg->doc) != errs_before) {
		instance_destroy(l, inst);
		return NULL;
	}
	(void)err;
	return inst;
}

static void
generation_clear(struct generation *g)
{
	free(g->inst);
	*g = (struct generation){ 0 };
}

/*
 * Ask a channel with sends in flight to finish them (plugin.h, `drain`),
 * once. Returns 1 if it has tickets open after the call.
 */
static int
instance_drain(struct sb_instance *inst)
{
	if (inst->drain_called || !inst->initialised || inst->p->drain == NULL ||
	    inst->send_slots == 0)
		return 0;
	inst->drain_called = 1;
	if (inst->p->drain(inst->state) > 0 || inst->send_slots > 0) {
		sb_log(SB_LOG_INFO, "plugin instance %s: finishing %u sends in flight",
		    inst->name, inst->send_slots);
		return 1;
	}
	return 0;
}

/* Retire an instance: finish it now if idle, else once its work is done. */
static void
instance_retire(struct sb_loader *l, struct sb_instance *inst)
{
	if (inst->send_slots == 0 && inst->requests == 0) {
		instance_destroy(l, inst);
		return;
	}
	inst->draining = 1;
	inst->next_draining = l->draining;
	l->draining = inst;
	sb_log(SB_LOG_INFO, "plugin instance %s: draining %u requests in flight",
	    inst->name, inst->send_slots + inst->requests);
	/* Its drain (if it has one) runs from reap_cb, outside the swap: the
	 * tickets it answers at once must find the new generation in place. */
	event_active(l->reap, 0, 0);
}

/* Finish drained instances, outside any plugin callback. */
static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_loader *l = arg;
	struct sb_instance **pp = &l->draining;

	for (struct sb_instance *inst = l->draining; inst != NULL; inst = inst->next_draining)
		(void)instance_drain(inst);
	while (*pp != NULL) {
		struct sb_instance *inst = *pp;

		if (inst->send_slots == 0 && inst->requests == 0) {
			*pp = inst->next_draining;
			sb_log(SB_LOG_INFO, "plugin instance %s: drained, finished", inst->name);
			instance_destroy(l, inst);
		} else {
			pp = &inst->next_draining;
		}
	}
	/* Configs no instance refers to any more can go. */
	if (l->draining == NULL) {
		for (size_t i = 0; i < l->nretired; i++)
			sb_config_free(l->retired[i]);
		l->nretired = 0;
	}
}

int
sb_loader_drain(struct sb_loader *l)
{
	int busy = 0;

	for (size_t i = 0; i < l->gen.n; i++)
		busy |= instance_drain(l->gen.inst[i]);
	for (struct sb_instance *inst = l->draining; inst != NULL; inst = inst->next_draining)
		busy |= instance_drain(inst);
	return busy || sb_loader_draining(l);
}

int
sb_loader_draining(struct sb_loader *l)
{
	for (size_t i = 0; i < l->gen.n; i++)
		if (l->gen.inst[i]->drain_called && l->gen.inst[i]->send_slots > 0)
			return 1;
	for (struct sb_instance *inst = l->draining; inst != NULL; inst = inst->next_draining)
		if (inst->drain_called && inst->send_slots > 0)
			return 1;
	return 0;
}

void
sb_loader_instance_idle(struct sb_instance *inst)
{
	struct sb_loader *l = inst->d->loader;

	if (inst->draining && inst->send_slots == 0 && inst->requests == 0 && l != NULL)
		event_active(l->reap, 0, 0);
}

static void
retire_config(struct sb_loader *l, struct sb_config *cfg)
{
	struct sb_config **r;

	if (cfg == NULL)
		return;
	r = realloc(l->retired, (l->nretired + 1) * sizeof(*r));
	if (r == NULL) {
		sb_log(SB_LOG_ERROR, "loader: out of memory retiring a config; leaking it");
		return;
	}
	l->retired = r;
	l->retired[l->nretired++] = cfg;
	event_active(l->reap, 0, 0);
}

struct sb_loader *
sb_loader_new(struct sb_daemon *d)
{
	struct sb_loader *l = calloc(1, sizeof(*l));
	const char *env = getenv("SWITCHBOARD_PLUGIN_PATH");

	if (l == NULL || lt_dlinit() != 0) {
		free(l);
		return NULL;
	}
	l->d = d;
	l->reap = event_new(d->base, -1, 0, reap_cb, l);
	if (d->cfg != NULL && d->cfg->daemon.plugin_dir != NULL)
		lt_dladdsearchdir(d->cfg->daemon.plugin_dir);
	if (env != NULL && *env != '\0')
		lt_dladdsearchdir(env);
	lt_dladdsearchdir(SB_PLUGINDIR);
	return l;
}

void
sb_loader_free(struct sb_loader *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->gen.n; i++)
		instance_destroy(l, l->gen.inst[i]);
	while (l->draining != NULL) {
		struct sb_instance *inst = l->draining;

		l->draining = inst->next_draining;
		instance_destroy(l, inst);
	}
	sb_config_free(l->gen.cfg);
	generation_clear(&l->gen);
	for (size_t i = 0; i < l->nretired; i++)
		sb_config_free(l->retired[i]);
	free(l->retired);
	while (l->modules != NULL) {
		struct sb_module *m = l->modules;

		l->modules = m->next;
		module_free(m);
	}
	event_free(l->reap);
	free(l);
	lt_dlexit();
}

/* Build every instance of `cfg`; on failure destroy what was built. */
static int
build_generation(struct sb_loader *l, struct sb_config *cfg, struct generation *g,
    struct sb_error *err)
{
	char *msgs;

	g->cfg = cfg;
	g->inst = calloc(cfg->ninstances + 1, sizeof(*g->inst));
	for (size_t i = 0; i < cfg->ninstances; i++) {
		const struct sb_config_instance *ci = &cfg->instances[i];
		struct sb_error merr = { 0 };
		struct sb_module *m = module_get(l, ci->module, &merr);
		struct sb_instance *inst;

		if (m == NULL) {
			sb_cfg_error(ci->node, "instance '%s': %s", ci->name, merr.message);
			continue;
		}
		inst = instance_create(l, cfg, ci, m, err);
		if (inst != NULL)
			g->inst[g->n++] = inst;
	}
	if (sb_cfg_doc_nerrors(cfg->doc) == 0)
		return 0;
	msgs = sb_cfg_doc_errors(cfg->doc);
	sb_error_set(err, SB_E_CONFIG_INVALID, "%s", msgs != NULL ? msgs : "invalid");
	free(msgs);
	for (size_t i = 0; i < g->n; i++)
		instance_destroy(l, g->inst[i]);
	generation_clear(g);
	return -1;
}

int
sb_loader_apply(struct sb_loader *l, struct sb_config *cfg, int dry_run, struct sb_error *err)
{
	struct generation g = { 0 }, old;

	if (build_generation(l, cfg, &g, err) < 0)
		return -1;
	if (dry_run) {
		for (size_t i = 0; i < g.n; i++)
			instance_destroy(l, g.inst[i]);
		generation_clear(&g);
		return 0;
	}
	old = l->gen;
	l->gen = g;
	for (size_t i = 0; i < old.n; i++)
		instance_retire(l, old.inst[i]);
	retire_config(l, old.cfg);
	free(old.inst);
	return 0;
}

int
sb_loader_reload_module(struct sb_loader *l, const char *module, struct sb_error *err)
{
	struct sb_module *m, *old = NULL;
	struct sb_instance **fresh;
	size_t n = 0;

	for (m = l->modules; m != NULL; m = m->next)
		if (m->current && strcmp(m->name, module) == 0)
			old = m;
	if (old == NULL)
		return sb_error_set(err, SB_E_NOT_FOUND, "no module '%s' is loaded", module);
	m = module_open(old->file, 1, err);
	if (m == NULL)
		return -1;
	m->name = (free(m->name), strdup(old->name));
	m->next = l->modules;
	l->modules = m;
	m->refs = 1; /* held by this function until the swap is decided */
	fresh = calloc(l->gen.n + 1, sizeof(*fresh));
	for (size_t i = 0; i < l->gen.n; i++) {
		struct sb_instance *cur = l->gen.inst[i];

		if (cur->mod != old)
			continue;
		fresh[n] = instance_create(l, l->gen.cfg, cur->cfg, m, err);
		if (fresh[n] == NULL) {
			char *msgs = sb_cfg_doc_errors(l->gen.cfg->doc);

			sb_error_set(err, SB_E_PLUGIN, "reload of %s: %s", module,
			    msgs != NULL ? msgs : "instance failed");
			free(msgs);
			while (n > 0)
				instance_destroy(l, fresh[--n]);
			free(fresh);
			module_release(l, m);
			return -1;
		}
		n++;
	}
	/* Swap: new sends go to the new instances, the old ones drain. The
	 * extra hold keeps `old` alive until the loop is done with it. */
	old->current = 0;
	old->refs++;
	m->current = 1;
	n = 0;
	for (size_t i = 0; i < l->gen.n; i++) {
		if (l->gen.inst[i]->mod != old)
			continue;
		instance_retire(l, l->gen.inst[i]);
		l->gen.inst[i] = fresh[n++];
	}
	free(fresh);
	module_release(l, m);
	module_release(l, old);
	sb_log(SB_LOG_INFO, "plugin module %s reloaded from %s (%zu instances)", module,
	    m->file, n);
	return 0;
}

struct sb_instance *
sb_loader_instance(struct sb_loader *l, const char *name)
{
	for (size_t i = 0; i < l->gen.n; i++)
		if (strcmp(l->gen.inst[i]->name, name) == 0)
			return l->gen.inst[i];
	return NULL;
}

size_t
sb_loader_instances(struct sb_loader *l, struct sb_instance *const **out)
{
	*out = l->gen.inst;
	return l->gen.n;
}

json_t *
sb_loader_json(struct sb_loader *l)
{
	json_t *mods = json_array(), *res = json_object();

	for (struct sb_module *m = l->modules; m != NULL; m = m->next) {
		json_t *jm = json_object(), *insts = json_array();
		char abi[32];

		snprintf(abi, sizeof(abi), "%u.%u", m->p->abi_major, m->p->abi_minor);
		json_object_set_new(jm, "name", json_string(m->name));
		json_object_set_new(jm, "file", json_string(m->file));
		json_object_set_new(jm, "abi", json_string(abi));
		json_object_set_new(jm, "version", json_string(m->p->version ? m->p->version : ""));
		json_object_set_new(jm, "kind", json_string(kind_name(m->p->kind)));
		json_object_set_new(jm, "current", json_boolean(m->current));
		for (size_t i = 0; i < l->gen.n; i++) {
			struct sb_instance *inst = l->gen.inst[i];
			json_t *ji;

			if (inst->mod != m)
				continue;
			ji = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:I}", "name", inst->name,
			    "inflight", (json_int_t)inst->send_slots, "sent", (json_int_t)inst->sent,
			    "accepted", (json_int_t)inst->accepted, "failed",
			    (json_int_t)inst->failed, "rate", inst->rate, "polled",
			    (json_int_t)inst->polled);
			json_array_append_new(insts, ji);
		}
		for (struct sb_instance *inst = l->draining; inst != NULL;
		    inst = inst->next_draining)
			if (inst->mod == m)
				json_array_append_new(insts, json_pack("{s:s, s:I, s:b}",
				    "name", inst->name, "inflight", (json_int_t)inst->send_slots,
				    "draining", 1));
		json_object_set_new(jm, "instances", insts);
		json_array_append_new(mods, jm);
	}
	json_object_set_new(res, "modules", mods);
	json_object_set_new(res, "host_abi", json_sprintf("%d.%d", SB_ABI_MAJOR, SB_ABI_MINOR));
	return res;
}
