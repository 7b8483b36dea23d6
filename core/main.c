/*
 * main.c - switchboardd: arguments, signals, the event loop; nothing else.
 */
#include <dirent.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "loader.h"
#include "log.h"
#include "sdnotify.h"
#include "tz.h"

static const char usage_text[] =
    "usage: switchboardd [-t] [-T] [-c CONFIG]\n"
    "  -c, --config CONFIG  configuration file (default: " SB_DEFAULT_CONFIG ")\n"
    "  -t, --check          check the configuration (and plugin settings), then exit 0 or 1\n"
    "  -T                   test mode: enables test-only control commands (clock.advance)\n"
    "  -V, --version        print the version\n"
    "  -h, --help           print this help\n";

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, 't' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#ifdef SB_ABS_BUILDDIR
/*
 * Started from the build tree (build/core/switchboardd), with no plugin
 * path given: search the plugins built beside it, so the README's commands
 * work before `make install`. An installed daemon is elsewhere and skips this.
 */
static void
use_build_tree_plugins(void)
{
	static const char top[] = SB_ABS_BUILDDIR;
	char exe[4096], dir[4200], path[16384] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct dirent *e;
	DIR *dh;

	if (n <= 0 || getenv("SWITCHBOARD_PLUGIN_PATH") != NULL)
		return;
	exe[n] = '\0';
	if (strncmp(exe, top, sizeof(top) - 1) != 0 ||
	    strncmp(exe + sizeof(top) - 1, "/core/", 6) != 0)
		return;
	snprintf(dir, sizeof(dir), "%s/plugins", top);
	if ((dh = opendir(dir)) == NULL)
		return;
	while ((e = readdir(dh)) != NULL) {
		size_t len = strlen(path);

		if (e->d_name[0] != '.' && e->d_type == DT_DIR)
			snprintf(path + len, sizeof(path) - len, "%s%s/%s", len ? ":" : "", dir,
			    e->d_name);
	}
	closedir(dh);
	if (path[0] != '\0')
		setenv("SWITCHBOARD_PLUGIN_PATH", path, 1);
}
#endif

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sb_daemon *d = arg;
	struct sb_error err = { 0 };

	if (sig == SIGHUP) {
		if (d->stopping)
			return;
		if (sb_daemon_reload_config(d, &err) < 0)
			sb_log(SB_LOG_ERROR, "config reload refused, keeping the old one:\n%s",
			    err.message);
		return;
	}
	sb_log(SB_LOG_INFO, "signal %d: %s", (int)sig, d->stopping ?
	    "stopping now, sends in flight are answered by the host" : "shutting down");
	event_base_loopbreak(d->base);
}

/*
 * -t: everything a start would check, without starting. Plugin keys are
 * checked even when the core sections have errors, and every error is
 * printed once, in one list (plugins' log lines are held back: what they
 * refuse is in the list).
 */
static int
check_config(const char *path)
{
	struct sb_daemon d = { 0 };
	struct sb_error err = { 0 };
	struct sb_config *cfg;
	char *msg = NULL;
	size_t n, keep = 0;
	int rc = 1, applied;

	cfg = sb_config_load_all(path, &msg);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", msg != NULL ? msg : "invalid configuration");
		free(msg);
		return 1;
	}
	/* Instances without a module cannot be built: leave them out (their
	 * error is listed), and put them back before the config is freed. */
	n = cfg->ninstances;
	for (size_t i = 0; i < n; i++) {
		struct sb_config_instance t = cfg->instances[keep];

		if (cfg->instances[i].module == NULL)
			continue;
		cfg->instances[keep++] = cfg->instances[i];
		cfg->instances[i] = t;
	}
	cfg->ninstances = keep;
	d.base = event_base_new();
	d.cfg = cfg;
	d.loader = sb_loader_new(&d);
	sb_log_quiet(1);
	applied = d.loader != NULL && sb_loader_apply(d.loader, cfg, 1, &err) == 0;
	sb_log_quiet(0);
	if (applied && sb_cfg_doc_nerrors(cfg->doc) == 0) {
		printf("switchboardd: configuration %s is valid\n", path);
		rc = 0;
	} else {
		/* Every error in full: err.message is bounded, the list is not. */
		char *all = sb_cfg_doc_nerrors(cfg->doc) > 0 ? sb_cfg_doc_errors(cfg->doc) : NULL;
		fprintf(stderr, "%s\n", all != NULL ? all : err.message);
		free(all);
	}
	sb_loader_free(d.loader);
	cfg->ninstances = n;
	sb_config_free(cfg);
	event_base_free(d.base);
	return rc;
}

/*
 * The event loop. With epoll's change list, an event disabled and enabled
 * again in one turn of the loop (a keep-alive connection between two
 * requests, a curl socket between two transfers) costs no epoll_ctl: a
 * quarter of them per message (strace -c under scripts/bench). Its one
 * caveat, descriptors shared through dup(), does not arise here.
 */
static struct event_base *
loop_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (ec == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

int
main(int argc, char **argv)
{
	struct sb_daemon d = { .config_path = SB_DEFAULT_CONFIG };
	struct event *sigs[3];
	const int signums[3] = { SIGINT, SIGTERM, SIGHUP };
	struct sb_error err = { 0 };
	struct sb_config *cfg;
	char *msg = NULL;
	int opt, test_only = 0, rc = 0;

	while ((opt = getopt_long(argc, argv, "c:tTVh", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 't':
			test_only = 1;
			break;
		case 'T':
			d.test_mode = 1;
			break;
		case 'V':
			printf("switchboardd %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			    SB_ABI_MAJOR, SB_ABI_MINOR);
			return 0;
		default:
			fputs(usage_text, opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "switchboardd: unexpected argument '%s'\n%s", argv[optind],
		    usage_text);
		return 2;
	}
#ifdef SB_ABS_BUILDDIR
	use_build_tree_plugins();
#endif
	if (test_only)
		return check_config(d.config_path);

	cfg = sb_config_load(d.config_path, &msg);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", msg != NULL ? msg : "invalid configuration");
		free(msg);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid());
#ifdef __GLIBC__
	/* glibc hands the top of the heap back to the kernel as soon as 128 KB
	 * of it are free, so a steady load paid a brk, a TLB flush and fresh
	 * page faults for every burst (3-4% of the daemon's CPU, scripts/bench
	 * under perf). Keep up to 16 MB of free heap instead. */
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
	d.base = loop_new();
	if (d.base == NULL) {
		fprintf(stderr, "switchboardd: cannot create the event loop\n");
		sb_config_free(cfg);
		return 1;
	}
	d.owns_cfg = 1;
	if (sb_daemon_start(&d, cfg, &err) < 0) {
		sb_log(SB_LOG_ERROR, "cannot start: %s", err.message);
		rc = 1;
	} else {
		for (int i = 0; i < 3; i++) {
			sigs[i] = evsignal_new(d.base, signums[i], on_signal, &d);
			evsignal_add(sigs[i], NULL);
		}
		sb_log(SB_LOG_INFO, "switchboardd %s started (pid %d, config %s); control socket"
		    " %s; HTTP %s%s", PACKAGE_VERSION, (int)getpid(), d.config_path,
		    d.cfg->daemon.control_socket, d.cfg->daemon.http_listen != NULL ?
		    "on " : "off (no daemon.http_listen)", d.cfg->daemon.http_listen != NULL ?
		    d.cfg->daemon.http_listen : "");
		sb_sd_notify("READY=1");
		event_base_dispatch(d.base);
		sb_sd_notify("STOPPING=1");
		sb_daemon_drain(&d);
		for (int i = 0; i < 3; i++)
			event_free(sigs[i]);
	}
	sb_daemon_stop(&d);
	sb_tz_cache_clear(); /* no configuration refers to a zone any more */
	event_base_free(d.base);
	sb_log(SB_LOG_INFO, "switchboardd stopped");
	return rc;
}
