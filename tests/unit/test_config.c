/*
 * test_config.c - the configuration module: node tree, getters, schema.
 *
 * Every case parses inline YAML through sb_config_parse (or sb_cfg_doc_parse)
 * so the line:column in each expected message can be read off the source.
 * TZDIR points at a scratch zoneinfo tree so results do not depend on the
 * host's tzdata.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "tz.h"

static char tzdir[64];

static void
write_file(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(body, f);
	fclose(f);
}

/* The smallest valid zone: version 2, one type (UTC), footer "UTC0". */
static void
write_zone(const char *path)
{
	static const unsigned char head[44] = {
		'T', 'Z', 'i', 'f', '2', [39] = 1, [43] = 4,
	};
	static const unsigned char block[10] = { 0, 0, 0, 0, 0, 0, 'U', 'T', 'C', 0 };
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (int i = 0; i < 2; i++) {
		fwrite(head, 1, sizeof(head), f);
		fwrite(block, 1, sizeof(block), f);
	}
	fputs("\nUTC0\n", f);
	fclose(f);
}

static int
setup_tz(void **state)
{
	char p[128];

	strcpy(tzdir, "/tmp/sb_tz_XXXXXX");
	if (!mkdtemp(tzdir))
		return -1;
	snprintf(p, sizeof(p), "%s/America", tzdir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/America/Sao_Paulo", tzdir);
	write_zone(p);
	snprintf(p, sizeof(p), "%s/UTC", tzdir);
	write_zone(p);
	snprintf(p, sizeof(p), "%s/America/Broken", tzdir);
	write_file(p, "TZif2 but nothing after the magic");
	snprintf(p, sizeof(p), "%s/notazone", tzdir);
	write_file(p, "hello");
	setenv("TZDIR", tzdir, 1);
	return 0;
}

static int
teardown_tz(void **state)
{
	static const char *const files[] = {
		"America/Sao_Paulo", "America/Broken", "UTC", "notazone", "sb.yaml", "America",
	};
	char p[128];

	sb_tz_cache_clear();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tzdir, files[i]);
		if (unlink(p) < 0)
			rmdir(p);
	}
	return rmdir(tzdir);
}

static struct sb_config *
parse(const char *text, char **err)
{
	*err = NULL;
	return sb_config_parse("t.yaml", text, strlen(text), err);
}

/* The parse fails and the report contains `want`. */
static void
expect_error(const char *text, const char *want)
{
	char *err;
	struct sb_config *cfg = parse(text, &err);

	if (cfg)
		sb_config_free(cfg);
	assert_null(cfg);
	assert_non_null(err);
	if (!strstr(err, want)) {
		print_error("wanted: %s\ngot:\n%s\n", want, err);
		free(err);
		fail();
	}
	free(err);
}

/* The parse fails with exactly this report. */
static void
expect_exact(const char *text, const char *want)
{
	char *err;
	struct sb_config *cfg = parse(text, &err);

	if (cfg)
		sb_config_free(cfg);
	assert_null(cfg);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
}

static struct sb_config *
expect_ok(const char *text)
{
	char *err;
	struct sb_config *cfg = parse(text, &err);

	if (!cfg) {
		print_error("unexpected errors:\n%s\n", err);
		free(err);
		fail();
	}
	assert_null(err);
	return cfg;
}

#define KEY_A "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define KEY_B "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const char full_yaml[] =
    "daemon:\n"
    "  control_socket: run/ctl.sock\n"
    "  control_mode: 0640\n"
    "  control_group: switchboard\n"
    "  http_listen: 127.0.0.1:8025\n"
    "  http_max_body: 2048\n"
    "  database: run/sb.db\n"
    "  plugin_dir: /usr/lib/switchboard/plugins\n"
    "  log_level: debug\n"
    "  commit_interval: 5ms\n"
    "  commit_max: 100\n"
    "  sync: normal\n"
    "retry:\n"
    "  max_attempts: 7\n"
    "  initial: 30s\n"
    "  max: 15m\n"
    "  multiplier: 1.5\n"
    "  jitter: 0.1\n"
    "validity: 2d\n"
    "plugins:\n"
    "  sms_main:\n"
    "    module: http_sms\n"
    "    rate: 2.5\n"
    "    max_in_flight: 8\n"
    "    send_ahead: 4\n"
    "    timeout: 3s\n"
    "    url: https://sms.example/send\n"
    "  line:\n"
    "    module: line_push\n"
    "    burst: 20\n"
    "filters:\n"
    "  words:\n"
    "    module: content_filter\n"
    "chains:\n"
    "  default:\n"
    "    - channel: line\n"
    "      fallback_after: 2h\n"
    "      on_undeliverable: wait\n"
    "    - channel: sms_main\n"
    "  sms_only:\n"
    "    - channel: sms_main\n"
    "subaccounts:\n"
    "  acme:\n"
    "    timezone: America/Sao_Paulo\n"
    "    allowed_hours:\n"
    "      mon-fri: \"08:00-20:00\"\n"
    "      sat: [\"09:00-12:00\", \"14:00-18:00\"]\n"
    "      sun: closed\n"
    "    outside_hours: block\n"
    "    chains: [default, sms_only]\n"
    "    default_chain: sms_only\n"
    "    api_keys: [\"" KEY_A "\"]\n"
    "    rate: 10\n"
    "    default_country: \"55\"\n"
    "    sender: ACME\n"
    "    validity: 24h\n"
    "  beta:\n"
    "    timezone: UTC\n"
    "    chains: [sms_only]\n";

static void
test_full_config(void **state)
{
	struct sb_config *cfg = expect_ok(full_yaml);
	const struct sb_config_instance *sms, *line, *words;
	const struct sb_config_chain *ch;
	const struct sb_config_subaccount *acme, *beta;

	assert_string_equal(cfg->path, "t.yaml");
	assert_string_equal(cfg->daemon.control_socket, "run/ctl.sock");
	assert_int_equal(cfg->daemon.control_mode, 0640);
	assert_string_equal(cfg->daemon.control_group, "switchboard");
	assert_string_equal(cfg->daemon.http_listen, "127.0.0.1:8025");
	assert_string_equal(cfg->daemon.public_url, "http://127.0.0.1:8025");
	assert_int_equal(cfg->daemon.http_max_body, 2048);
	assert_string_equal(cfg->daemon.database, "run/sb.db");
	assert_string_equal(cfg->daemon.plugin_dir, "/usr/lib/switchboard/plugins");
	assert_int_equal(cfg->daemon.log_level, SB_LOG_DEBUG);
	assert_int_equal(cfg->daemon.commit_interval_ms, 5);
	assert_int_equal(cfg->daemon.commit_max, 100);
	assert_int_equal(cfg->daemon.sync_full, 0);

	assert_int_equal(cfg->retry.max_attempts, 7);
	assert_int_equal(cfg->retry.initial_ms, 30000);
	assert_int_equal(cfg->retry.max_ms, 900000);
	assert_true(cfg->retry.multiplier == 1.5);
	assert_true(cfg->retry.jitter == 0.1);
	assert_int_equal(cfg->validity_ms, 2 * 86400000LL);

	assert_int_equal(cfg->ninstances, 3);
	sms = sb_config_instance(cfg, "sms_main");
	line = sb_config_instance(cfg, "line");
	words = sb_config_instance(cfg, "words");
	assert_non_null(sms);
	assert_non_null(line);
	assert_non_null(words);
	assert_null(sb_config_instance(cfg, "nope"));
	assert_string_equal(sms->module, "http_sms");
	assert_int_equal(sms->kind, SB_PLUGIN_CHANNEL);
	assert_true(sms->rate == 2.5);
	assert_int_equal(sms->burst, 3); /* default: ceil(rate) */
	assert_int_equal(sms->max_in_flight, 8);
	assert_int_equal(sms->send_ahead, 4);
	assert_int_equal(sms->timeout_ms, 3000);
	assert_int_equal(line->burst, 20);
	assert_true(line->rate == 0);
	assert_int_equal(line->max_in_flight, 64);
	assert_int_equal(line->send_ahead, 0);
	assert_int_equal(line->timeout_ms, 10000);
	assert_int_equal(words->kind, SB_PLUGIN_FILTER);
	assert_int_equal(words->burst, 1);
	/* The plugin's own key is left for the plugin (and the loader). */
	assert_string_equal(sb_cfg_scalar(sb_cfg_get(sms->node, "url")),
	    "https://sms.example/send");
	assert_int_equal(sms->node->key_line, 21);
	assert_int_equal(sms->node->key_col, 3);

	assert_int_equal(cfg->nchains, 2);
	ch = sb_config_chain(cfg, "default");
	assert_non_null(ch);
	assert_null(sb_config_chain(cfg, "nope"));
	assert_int_equal(ch->nsteps, 2);
	assert_string_equal(ch->steps[0].channel, "line");
	assert_ptr_equal(&cfg->instances[ch->steps[0].instance], line);
	assert_int_equal(ch->steps[0].fallback_after_ms, 2 * 3600000LL);
	assert_int_equal(ch->steps[0].on_undeliverable, SB_UNDELIV_WAIT);
	assert_ptr_equal(&cfg->instances[ch->steps[1].instance], sms);
	assert_int_equal(ch->steps[1].fallback_after_ms, 0);
	assert_int_equal(ch->steps[1].on_undeliverable, SB_UNDELIV_NEXT);

	assert_int_equal(cfg->nsubaccounts, 2);
	acme = sb_config_subaccount(cfg, "acme");
	assert_non_null(acme);
	assert_null(sb_config_subaccount(cfg, "nope"));
	assert_string_equal(acme->timezone, "America/Sao_Paulo");
	assert_non_null(acme->tz); /* read at load: nothing reads zone files later */
	assert_string_equal(sb_tz_name(acme->tz), "America/Sao_Paulo");
	assert_int_equal(acme->hours.set, 1);
	for (int d = 1; d <= 5; d++) {
		assert_int_equal(acme->hours.n[d], 1);
		assert_int_equal(acme->hours.r[d][0].start_min, 8 * 60);
		assert_int_equal(acme->hours.r[d][0].end_min, 20 * 60);
	}
	assert_int_equal(acme->hours.n[6], 2);
	assert_int_equal(acme->hours.r[6][0].start_min, 9 * 60);
	assert_int_equal(acme->hours.r[6][0].end_min, 12 * 60);
	assert_int_equal(acme->hours.r[6][1].start_min, 14 * 60);
	assert_int_equal(acme->hours.r[6][1].end_min, 18 * 60);
	assert_int_equal(acme->hours.n[0], 0);
	assert_int_equal(acme->outside, SB_OUTSIDE_BLOCK);
	assert_int_equal(acme->nchains, 2);
	assert_string_equal(acme->chains[0], "default");
	assert_string_equal(acme->chains[1], "sms_only");
	assert_null(acme->chains[2]);
	assert_string_equal(acme->default_chain, "sms_only");
	assert_int_equal(acme->napi_keys, 1);
	assert_string_equal(acme->api_keys[0], KEY_A);
	assert_null(acme->api_keys[1]);
	assert_true(acme->rate == 10);
	assert_string_equal(acme->default_country, "55");
	assert_string_equal(acme->sender, "ACME");
	assert_int_equal(acme->validity_ms, 24 * 3600000LL);

	beta = sb_config_subaccount(cfg, "beta");
	assert_non_null(beta);
	assert_int_equal(beta->hours.set, 0);
	assert_int_equal(beta->outside, SB_OUTSIDE_DEFER);
	assert_string_equal(beta->default_chain, "sms_only");
	assert_int_equal(beta->napi_keys, 0);
	assert_non_null(beta->api_keys);
	assert_null(beta->api_keys[0]);
	assert_null(beta->default_country);
	assert_null(beta->sender);
	assert_int_equal(beta->validity_ms, 0);
	sb_config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct sb_config *cfg = expect_ok("daemon:\nretry: {}\n");

	assert_string_equal(cfg->daemon.control_socket, SB_RUNDIR "/control.sock");
	assert_int_equal(cfg->daemon.control_mode, 0660);
	assert_null(cfg->daemon.control_group);
	assert_null(cfg->daemon.http_listen);
	assert_null(cfg->daemon.public_url);
	assert_int_equal(cfg->daemon.http_max_body, 1048576);
	assert_string_equal(cfg->daemon.database, SB_STATEDIR "/switchboard.db");
	assert_null(cfg->daemon.plugin_dir);
	assert_int_equal(cfg->daemon.log_level, SB_LOG_INFO);
	assert_int_equal(cfg->daemon.commit_interval_ms, 0);
	assert_int_equal(cfg->daemon.commit_max, 4096);
	assert_int_equal(cfg->daemon.sync_full, 1);
	assert_int_equal(cfg->retry.max_attempts, 5);
	assert_int_equal(cfg->retry.initial_ms, 10000);
	assert_int_equal(cfg->retry.max_ms, 600000);
	assert_true(cfg->retry.multiplier == 2.0);
	assert_true(cfg->retry.jitter == 0.2);
	assert_int_equal(cfg->validity_ms, 48 * 3600000LL);
	assert_int_equal(cfg->ninstances + cfg->nchains + cfg->nsubaccounts, 0);
	sb_config_free(cfg);

	/* An explicit public_url wins; a v6 listen address is accepted. */
	cfg = expect_ok("daemon:\n  http_listen: \"[::1]:8080\"\n"
	    "  public_url: https://sb.example\n  control_mode: \"0o600\"\n");
	assert_string_equal(cfg->daemon.public_url, "https://sb.example");
	assert_int_equal(cfg->daemon.control_mode, 0600);
	sb_config_free(cfg);
}

static void
test_unknown_key(void **state)
{
	expect_exact("daemon:\n  log_level: info\n  databse: x.db\n",
	    "t.yaml:3:3: unknown key 'databse' in daemon (expected one of: "
	    "control_socket, control_mode, control_group, http_listen, public_url, "
	    "http_max_body, broadcast_file_max, http_max_connections, http_header_timeout, http_body_timeout, database, plugin_dir, log_level, commit_interval, "
	    "commit_max, sync)");
	expect_exact("validity: 1h\ndeamon: {}\n",
	    "t.yaml:2:1: unknown key 'deamon' in the top level (expected one of: "
	    "daemon, retry, validity, plugins, filters, chains, subaccounts, console)");
	expect_error("plugins:\n  a: {module: m}\nchains:\n  c:\n    - channel: a\n"
	    "      fallback: 1s\n",
	    "t.yaml:6:7: unknown key 'fallback' in chains.c[0] (expected one of: "
	    "channel, fallback_after, on_undeliverable)");
}

static void
test_bad_duration(void **state)
{
	expect_exact("plugins:\n  a: {module: m}\nchains:\n  c:\n    - channel: a\n"
	    "      fallback_after: ten\n",
	    "t.yaml:6:23: bad duration 'ten' for 'fallback_after' (expected e.g. 30s, 15m, 2h)");
	expect_error("validity: -5s\n", "t.yaml:1:11: bad duration '-5s' for 'validity'");
	expect_error("validity: 0\n", "t.yaml:1:11: bad duration '0' for 'validity' (expected more than 0");
	expect_error("daemon:\n  commit_interval: 2m\n",
	    "t.yaml:2:20: bad duration '2m' for 'commit_interval' (expected at most 60000ms");
}

#define SUB_PREFIX \
	"plugins:\n  a: {module: m}\nchains:\n  c: [{channel: a}]\n" \
	"subaccounts:\n  s:\n    timezone: UTC\n    chains: [c]\n"

static void
test_bad_hours(void **state)
{
	static const struct {
		const char *value;
		const char *why;
	} cases[] = {
		{ "\"25:00-26:00\"", "the start must be 00:00 to 23:59" },
		{ "\"08:00-08:00\"", "empty window: the start equals the end" },
		{ "\"8-20\"", "expected \"HH:MM-HH:MM\"" },
		{ "\"08:00-24:01\"", "the end must be 00:00 to 24:00" },
		{ "\"24:00-02:00\"", "the start must be 00:00 to 23:59" },
		{ "\"08:60-09:00\"", "expected \"HH:MM-HH:MM\"" },
		{ "\"08:00 - 20:00\"", "expected \"HH:MM-HH:MM\"" },
		{ "open", "expected \"HH:MM-HH:MM\"" },
	};
	char yaml[512], want[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(yaml, sizeof(yaml), SUB_PREFIX "    allowed_hours:\n      mon: %s\n",
		    cases[i].value);
		snprintf(want, sizeof(want), "t.yaml:10:12: bad hours '");
		expect_error(yaml, want);
		expect_error(yaml, cases[i].why);
	}
	expect_error(SUB_PREFIX "    allowed_hours:\n      mon: [\"01:00-02:00\", "
	    "\"03:00-04:00\", \"05:00-06:00\", \"07:00-08:00\", \"09:00-10:00\"]\n",
	    "t.yaml:10:12: too many windows for 'mon' (at most 4 a day)");
	expect_error(SUB_PREFIX "    allowed_hours:\n      mon: []\n",
	    "t.yaml:10:12: expected \"HH:MM-HH:MM\", a sequence of them, or closed for 'mon'");
	expect_error(SUB_PREFIX "    allowed_hours: \"08:00-20:00\"\n",
	    "t.yaml:9:20: expected a mapping for 'allowed_hours', got a string");
}

static void
test_hours_midnight_and_wrap(void **state)
{
	struct sb_config *cfg = expect_ok(SUB_PREFIX
	    "    allowed_hours:\n"
	    "      fri-mon: [\"22:00-06:00\", \"12:00-24:00\"]\n"
	    "      Tue, wed: \"00:00-24:00\"\n");
	const struct sb_allowed_hours *h = &cfg->subaccounts[0].hours;
	static const int open[SB_WEEKDAYS] = { 2, 2, 1, 1, 0, 2, 2 };

	for (int d = 0; d < SB_WEEKDAYS; d++)
		assert_int_equal(h->n[d], open[d]);
	assert_int_equal(h->r[5][0].start_min, 22 * 60);
	assert_int_equal(h->r[5][0].end_min, 6 * 60); /* crosses midnight */
	assert_int_equal(h->r[0][1].start_min, 12 * 60);
	assert_int_equal(h->r[0][1].end_min, 1440);
	assert_int_equal(h->r[3][0].start_min, 0);
	assert_int_equal(h->r[3][0].end_min, 1440);
	sb_config_free(cfg);

	expect_error(SUB_PREFIX "    allowed_hours:\n      mon-fri: closed\n"
	    "      sat,fri: closed\n",
	    "t.yaml:11:7: day 'fri' given twice (first at 10:7)");
	expect_error(SUB_PREFIX "    allowed_hours:\n      mon,mon: closed\n",
	    "t.yaml:10:7: day 'mon' given twice in 'mon,mon'");
	expect_error(SUB_PREFIX "    allowed_hours:\n      weekdays: closed\n",
	    "t.yaml:10:7: bad day spec 'weekdays' (expected mon..sun");
	expect_error(SUB_PREFIX "    allowed_hours:\n      \"sat,\": closed\n",
	    "t.yaml:10:7: bad day spec 'sat,'");
}

static void
test_unknown_timezone(void **state)
{
	expect_exact("subaccounts:\n  s:\n    timezone: Mars/Olympus\n    chains: []\n",
	    "t.yaml:3:15: unknown timezone 'Mars/Olympus' (expected an IANA name such as America/Sao_Paulo)\n"
	    "t.yaml:4:13: expected a non-empty sequence of strings for 'chains', got an empty one");
	expect_error("subaccounts:\n  s:\n    timezone: ../../etc/passwd\n    chains: [x]\n",
	    "t.yaml:3:15: unknown timezone '../../etc/passwd'");
	/* The file exists and says TZif, but the zone cannot be read. */
	expect_error("subaccounts:\n  s:\n    timezone: America/Broken\n    chains: [x]\n",
	    "t.yaml:3:15: timezone 'America/Broken' cannot be used: truncated TZif file");
}

static void
test_timezone_exists(void **state)
{
	assert_true(sb_timezone_exists("America/Sao_Paulo"));
	assert_true(sb_timezone_exists("UTC"));
	assert_false(sb_timezone_exists("notazone"));   /* no TZif magic */
	assert_false(sb_timezone_exists("America"));    /* a directory */
	assert_false(sb_timezone_exists("Nope/Nope"));
	assert_false(sb_timezone_exists("America/../UTC"));
	assert_false(sb_timezone_exists("/etc/passwd"));
	assert_false(sb_timezone_exists(""));
	assert_false(sb_timezone_exists(NULL));
}

static void
test_chain_unknown_instance(void **state)
{
	expect_exact("plugins:\n  a: {module: m}\n  b: {module: m}\nchains:\n"
	    "  c:\n    - channel: a\n    - channel: sms_x\n",
	    "t.yaml:7:16: unknown channel instance 'sms_x' (known: a, b)");
	expect_error("chains:\n  c:\n    - channel: a\n",
	    "t.yaml:3:16: unknown channel instance 'a' (known: none)");
	expect_error("chains:\n  c: []\n", "t.yaml:2:3: chain 'c' has no steps");
	expect_error("chains:\n  c: {channel: a}\n",
	    "t.yaml:2:6: expected a sequence of steps for chain 'c', got a mapping");
}

static void
test_chain_names_filter(void **state)
{
	expect_exact("plugins:\n  a: {module: m}\nfilters:\n  words: {module: f}\n"
	    "chains:\n  c:\n    - channel: words\n",
	    "t.yaml:7:16: 'words' is a filter instance, not a channel (known channels: a)");
}

static void
test_instances(void **state)
{
	expect_exact("plugins:\n  sms:\n    rate: 5\n",
	    "t.yaml:2:3: missing required key 'module' in plugins.sms");
	expect_error("plugins:\n  sms:\n", "t.yaml:2:3: expected a mapping for instance 'sms'");
	expect_error("plugins:\n  a: {module: Bad-Name}\n",
	    "t.yaml:2:15: bad value 'Bad-Name' for 'module' (expected lowercase letters");
	expect_error("plugins:\n  a: {module: m}\nfilters:\n  a: {module: f}\n",
	    "t.yaml:4:3: instance name 'a' is already used in plugins (at 2:3)");
	expect_error("plugins:\n  a b: {module: m}\n", "t.yaml:2:3: bad instance name 'a b'");
	expect_error("plugins:\n  a: {module: m, rate: -1}\n",
	    "t.yaml:2:24: bad value -1 for 'rate' (expected a number from 0 to");
	expect_error("plugins:\n  a: {module: m, max_in_flight: 0}\n",
	    "t.yaml:2:33: bad value 0 for 'max_in_flight' (expected an integer from 1 to");
	expect_error("plugins:\n  a: {module: m, send_ahead: -1}\n",
	    "t.yaml:2:30: bad value -1 for 'send_ahead' (expected an integer from 0 to");
	expect_error("plugins:\n  a: {module: m, timeout: 0s}\n",
	    "t.yaml:2:27: bad duration '0s' for 'timeout' (expected more than 0");
}

static void
test_duplicate_key(void **state)
{
	expect_exact("daemon:\n  database: a.db\n  log_level: info\n  database: b.db\n",
	    "t.yaml:4:3: duplicate key 'database' (first given at 2:3)");
}

static void
test_yaml_errors(void **state)
{
	expect_exact("daemon:\n  database: [a\n  log_level: info\n",
	    "t.yaml:3:12: did not find expected ',' or ']' while parsing a flow sequence");
	expect_exact("daemon:\n  a: 1\n b: 2\n",
	    "t.yaml:3:2: did not find expected key while parsing a block mapping");
	expect_exact("validity: 1h\n---\nvalidity: 2h\n",
	    "t.yaml:2:1: a second YAML document (expected exactly one)");
	expect_exact("daemon: &d {}\nretry: *d\n",
	    "t.yaml:1:9: anchors are not supported (&d): write the value out\n"
	    "t.yaml:2:8: aliases are not supported (*d): write the value out");
	expect_exact("? [a]\n: 1\n", "t.yaml:1:3: map keys must be plain strings");
	expect_exact("", "t.yaml:1:1: empty configuration (expected a mapping with daemon, plugins, chains, subaccounts...)");
	expect_exact("# only a comment\n", "t.yaml:1:1: empty configuration (expected a mapping with daemon, plugins, chains, subaccounts...)");
	expect_exact("- a\n- b\n", "t.yaml:1:1: expected a mapping at the top level, got a sequence");
}

static void
test_wrong_types(void **state)
{
	expect_exact("daemon: 5\n", "t.yaml:1:9: expected a mapping for 'daemon', got a string");
	expect_exact("plugins: [a]\n", "t.yaml:1:10: expected a mapping for 'plugins', got a sequence");
	expect_exact("plugins:\n  a: {module: m, rate: fast}\n",
	    "t.yaml:2:24: bad value 'fast' for 'rate' (expected a number)");
	expect_exact("daemon:\n  commit_max: {a: 1}\n",
	    "t.yaml:2:15: expected an integer for 'commit_max', got a mapping");
	expect_exact("daemon:\n  commit_max: 1.5\n",
	    "t.yaml:2:15: bad value '1.5' for 'commit_max' (expected an integer)");
	expect_exact("daemon:\n  database: [a]\n",
	    "t.yaml:2:13: expected a string for 'database', got a sequence");
	expect_exact("daemon:\n  log_level: loud\n",
	    "t.yaml:2:14: bad value 'loud' for 'log_level' (expected one of: error, warn, info, debug)");
	expect_exact("daemon:\n  control_mode: \"0999\"\n",
	    "t.yaml:2:17: bad mode '0999' for 'control_mode' (expected an octal mode from 0000 to 0777, e.g. \"0660\")");
	expect_error("daemon:\n  control_mode: 1777\n", "bad mode '1777'");
	expect_error("retry:\n  jitter: 1.5\n",
	    "t.yaml:2:11: bad value 1.5 for 'jitter' (expected a number from 0 to 1)");
	expect_error("retry:\n  initial: 1h\n  max: 1m\n",
	    "t.yaml:3:8: retry 'max' is shorter than 'initial'");
	expect_error("daemon:\n  sync: nan\n", "bad value 'nan' for 'sync' (expected one of: full, normal)");
}

static void
test_listen_addresses(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "::1:80", "[::1]8025",
		":80", "[]:80", "[nothex]:80", "host:80x", "host:",
	};
	char yaml[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml), "daemon:\n  http_listen: \"%s\"\n", bad[i]);
		expect_error(yaml, "t.yaml:2:16: bad address");
	}
	sb_config_free(expect_ok("daemon:\n  http_listen: localhost:65535\n"));
	expect_error("daemon:\n  public_url: ftp://x\n", "t.yaml:2:15: bad URL 'ftp://x'");
}

static void
test_subaccount_rules(void **state)
{
	expect_exact(SUB_PREFIX "    api_keys: [\"sha256:ABCDEF\", secret]\n",
	    "t.yaml:9:16: malformed value for 'api_keys' (expected \"sha256:\" and 64 lowercase hex digits: the hash, not the key)\n"
	    "t.yaml:9:33: malformed value for 'api_keys' (expected \"sha256:\" and 64 lowercase hex digits: the hash, not the key)");
	expect_error(SUB_PREFIX "    api_keys: [\"" KEY_A "\"]\n"
	    "  t:\n    timezone: UTC\n    chains: [c]\n    api_keys: [\"" KEY_B "\", \"" KEY_A "\"]\n",
	    "t.yaml:13:91: api key already belongs to subaccount 's'");
	expect_error("plugins:\n  a: {module: m}\nchains:\n  c: [{channel: a}]\n"
	    "subaccounts:\n  s:\n    timezone: UTC\n",
	    "t.yaml:6:3: missing required key 'chains' in subaccounts.s");
	expect_error("subaccounts:\n  s:\n    chains: [c]\n",
	    "t.yaml:2:3: missing required key 'timezone' in subaccounts.s");
	expect_error(SUB_PREFIX "    default_chain: d\n",
	    "t.yaml:9:20: default_chain 'd' is not in this subaccount's chains (expected one of: c)");
	expect_error(SUB_PREFIX "    default_country: \"5555\"\n",
	    "t.yaml:9:22: bad value '5555' for 'default_country' (expected 1 to 3 digits");
	expect_error(SUB_PREFIX "    default_country: \"0\"\n",
	    "t.yaml:9:22: bad country calling code '0' for 'default_country'");
	expect_error(SUB_PREFIX "    outside_hours: drop\n",
	    "t.yaml:9:20: bad value 'drop' for 'outside_hours' (expected one of: defer, block)");
	expect_error("plugins:\n  a: {module: m}\nchains:\n  c: [{channel: a}]\n"
	    "subaccounts:\n  s:\n    timezone: UTC\n    chains: [c, x, c]\n",
	    "t.yaml:8:17: unknown chain 'x' (known: c)");
	expect_error("plugins:\n  a: {module: m}\nchains:\n  c: [{channel: a}]\n"
	    "subaccounts:\n  s:\n    timezone: UTC\n    chains: [c, x, c]\n",
	    "t.yaml:8:20: the same entry is listed twice in 'chains'");
	expect_error("plugins:\n  a: {module: m}\nchains:\n  c:\n    - channel: a\n"
	    "      on_undeliverable: wait\n",
	    "t.yaml:6:25: on_undeliverable: wait needs a fallback_after greater than 0");
}

static void
test_multiple_errors(void **state)
{
	char *err;
	struct sb_config *cfg = parse(
	    "daemon:\n"
	    "  databse: x\n"
	    "  log_level: loud\n"
	    "plugins:\n"
	    "  a:\n"
	    "    rate: 1\n"
	    "chains:\n"
	    "  c:\n"
	    "    - channel: b\n"
	    "      fallback_after: soon\n"
	    "colour: red\n", &err);

	assert_null(cfg);
	assert_string_equal(err,
	    "t.yaml:2:3: unknown key 'databse' in daemon (expected one of: control_socket, "
	    "control_mode, control_group, http_listen, public_url, http_max_body, broadcast_file_max, http_max_connections, http_header_timeout, http_body_timeout, database, "
	    "plugin_dir, log_level, commit_interval, commit_max, sync)\n"
	    "t.yaml:3:14: bad value 'loud' for 'log_level' (expected one of: error, warn, info, debug)\n"
	    "t.yaml:5:3: missing required key 'module' in plugins.a\n"
	    "t.yaml:9:16: unknown channel instance 'b' (known: a)\n"
	    "t.yaml:10:23: bad duration 'soon' for 'fallback_after' (expected e.g. 30s, 15m, 2h)\n"
	    "t.yaml:11:1: unknown key 'colour' in the top level (expected one of: daemon, retry, "
	    "validity, plugins, filters, chains, subaccounts, console)");
	free(err);
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char *text;
		int ok;
		int64_t ms;
	} cases[] = {
		{ "250ms", 1, 250 }, { "30s", 1, 30000 }, { "15m", 1, 900000 },
		{ "2h", 1, 7200000 }, { "1d", 1, 86400000 }, { "0", 1, 0 },
		{ "0s", 1, 0 }, { "007s", 1, 7000 },
		{ "106751991167d", 1, 106751991167LL * 86400000 },
		{ "106751991168d", 0, 0 }, { "9223372036854775807ms", 1, INT64_MAX },
		{ "9223372036854775808ms", 0, 0 }, { "99999999999999999999s", 0, 0 },
		{ "-5s", 0, 0 }, { "+5s", 0, 0 }, { "5", 0, 0 }, { "", 0, 0 },
		{ "s", 0, 0 }, { "ten", 0, 0 }, { "5 s", 0, 0 }, { " 5s", 0, 0 },
		{ "5s ", 0, 0 }, { "1.5h", 0, 0 }, { "5sec", 0, 0 }, { "5S", 0, 0 },
		{ "1h30m", 0, 0 }, { "5us", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -42;
		int r = sb_parse_duration_ms(cases[i].text, &v);

		if (r != (cases[i].ok ? 0 : -1) || (cases[i].ok && v != cases[i].ms)) {
			print_error("case '%s': r=%d v=%lld\n", cases[i].text, r, (long long)v);
			fail();
		}
		if (!cases[i].ok)
			assert_int_equal(v, -42); /* untouched on failure */
	}
	assert_int_equal(sb_parse_duration_ms(NULL, &(int64_t){ 0 }), -1);
}

static void
test_getters_and_unused(void **state)
{
	static const char text[] =
	    "name: x\n"
	    "count: 12\n"
	    "ratio: 0.5\n"
	    "on: yes\n"
	    "wait: 15m\n"
	    "list: [a, b]\n"
	    "map: {k: v}\n"
	    "empty:\n"
	    "extra: 1\n"
	    "other: 2\n"
	    "host_key: 3\n"
	    "quoted: \"\"\n";
	char *err = NULL, *all;
	struct sb_cfg_doc *doc = sb_cfg_doc_parse("p.yaml", text, strlen(text), &err);
	struct sb_cfg *root, *list, *map;
	const char *s, *k;
	int64_t i;
	double d;
	int b;

	assert_non_null(doc);
	assert_null(err);
	assert_string_equal(sb_cfg_doc_name(doc), "p.yaml");
	root = sb_cfg_doc_root(doc);
	assert_int_equal(root->type, SB_CFG_MAP);

	assert_int_equal(sb_cfg_string(root, "name", "d", &s), 0);
	assert_string_equal(s, "x");
	assert_int_equal(sb_cfg_string(root, "absent", "d", &s), 1);
	assert_string_equal(s, "d");
	assert_int_equal(sb_cfg_string(root, "empty", "d", &s), 1); /* null: default */
	assert_string_equal(s, "d");
	assert_int_equal(sb_cfg_string(root, "quoted", "d", &s), 0); /* "" is a value */
	assert_string_equal(s, "");
	assert_int_equal(sb_cfg_int(root, "count", 7, &i), 0);
	assert_int_equal(i, 12);
	assert_int_equal(sb_cfg_int(root, "nope", 7, &i), 1);
	assert_int_equal(i, 7);
	assert_int_equal(sb_cfg_double(root, "ratio", 1, &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(sb_cfg_double(root, "count", 1, &d), 0);
	assert_true(d == 12);
	assert_int_equal(sb_cfg_bool(root, "on", 0, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(sb_cfg_duration_ms(root, "wait", 0, &i), 0);
	assert_int_equal(i, 900000);
	assert_int_equal(sb_cfg_doc_nerrors(doc), 0);

	/* Wrong types: -1, the default stored, an error at the value. */
	assert_int_equal(sb_cfg_int(root, "name", 7, &i), -1);
	assert_int_equal(i, 7);
	assert_int_equal(sb_cfg_bool(root, "count", 0, &b), -1);
	assert_int_equal(sb_cfg_string(root, "list", "d", &s), -1);
	assert_string_equal(s, "d");
	assert_int_equal(sb_cfg_double(root, "name", 1, &d), -1);
	assert_int_equal(sb_cfg_duration_ms(root, "count", 5, &i), -1);
	assert_int_equal(i, 5);
	assert_int_equal(sb_cfg_doc_nerrors(doc), 5);

	list = sb_cfg_get(root, "list");
	assert_int_equal(list->type, SB_CFG_SEQ);
	assert_int_equal(sb_cfg_len(list), 2);
	assert_string_equal(sb_cfg_scalar(sb_cfg_item(list, 1, &k)), "b");
	assert_null(k);
	assert_null(sb_cfg_item(list, 2, NULL));
	assert_int_equal(list->line, 6);
	assert_int_equal(list->col, 7);
	assert_int_equal(list->key_line, 6);
	assert_int_equal(list->key_col, 1);
	map = sb_cfg_get(root, "map");
	assert_string_equal(sb_cfg_scalar(sb_cfg_item(map, 0, &k)), "v");
	assert_string_equal(k, "k");
	assert_null(sb_cfg_scalar(map));
	assert_int_equal(sb_cfg_len(sb_cfg_get(root, "name")), 0);
	assert_null(sb_cfg_get(list, "x"));

	sb_cfg_mark_used(root, "host_key");
	sb_cfg_check_unused(map, "map"); /* walked with sb_cfg_item: all used */
	sb_cfg_check_unused(root, "p");
	sb_cfg_check_unused(root, "p"); /* each stray key is reported once */
	assert_int_equal(sb_cfg_doc_nerrors(doc), 7);
	all = sb_cfg_doc_errors(doc);
	assert_string_equal(all,
	    "p.yaml:1:7: bad value 'x' for 'name' (expected an integer)\n"
	    "p.yaml:1:7: bad value 'x' for 'name' (expected a number)\n"
	    "p.yaml:2:8: bad value '12' for 'count' (expected true or false)\n"
	    "p.yaml:2:8: bad duration '12' for 'count' (expected e.g. 30s, 15m, 2h)\n"
	    "p.yaml:6:7: expected a string for 'list', got a sequence\n"
	    "p.yaml:9:1: unknown key 'extra' in p (expected one of: name, absent, "
	    "empty, quoted, count, nope, ratio, on, wait, list, map, host_key)\n"
	    "p.yaml:10:1: unknown key 'other' in p (expected one of: name, absent, "
	    "empty, quoted, count, nope, ratio, on, wait, list, map, host_key)");
	free(all);

	/* Keys nobody asked for: the message says so rather than list nothing. */
	sb_cfg_check_unused(sb_cfg_get(root, "map"), NULL);
	sb_cfg_doc_free(doc);

	doc = sb_cfg_doc_parse("q.yaml", "a: {b: 1}\n", 10, &err);
	assert_non_null(doc);
	sb_cfg_check_unused(sb_cfg_get(sb_cfg_doc_root(doc), "a"), NULL);
	all = sb_cfg_doc_errors(doc);
	assert_string_equal(all, "q.yaml:1:5: unknown key 'b' (no keys expected here)");
	free(all);
	sb_cfg_error(NULL, "ignored");
	sb_cfg_key_error(sb_cfg_doc_root(doc), 5, "ignored");
	assert_int_equal(sb_cfg_doc_nerrors(doc), 1);
	sb_cfg_doc_free(doc);
}

static void
test_instance_node_unused(void **state)
{
	struct sb_config *cfg = expect_ok(full_yaml);
	struct sb_cfg *node = cfg->instances[0].node;
	char *all;
	const char *url;

	/* The host read its own keys; the plugin's are left for its init. */
	assert_int_equal(sb_cfg_doc_nerrors(cfg->doc), 0);
	assert_int_equal(sb_cfg_string(node, "url", NULL, &url), 0);
	sb_cfg_check_unused(node, "plugins.sms_main");
	assert_int_equal(sb_cfg_doc_nerrors(cfg->doc), 0);
	sb_config_free(cfg);

	cfg = expect_ok("plugins:\n  a:\n    module: m\n    token: t\n");
	sb_cfg_check_unused(cfg->instances[0].node, "plugins.a");
	all = sb_cfg_doc_errors(cfg->doc);
	assert_string_equal(all, "t.yaml:4:5: unknown key 'token' in plugins.a "
	    "(expected one of: module, rate, burst, max_in_flight, send_ahead, timeout, in_doubt, subaccount, poll)");
	free(all);
	sb_config_free(cfg);
}

static void
test_load_file(void **state)
{
	char path[128], *err = NULL;
	struct sb_config *cfg;

	snprintf(path, sizeof(path), "%s/sb.yaml", tzdir);
	write_file(path, "validity: 3h\n");
	cfg = sb_config_load(path, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->path, path);
	assert_int_equal(cfg->validity_ms, 3 * 3600000LL);
	sb_config_free(cfg);

	write_file(path, "validity: x\n");
	assert_null(sb_config_load(path, &err));
	assert_non_null(strstr(err, "/sb.yaml:1:11: bad duration 'x'"));
	free(err);

	snprintf(path, sizeof(path), "%s/missing.yaml", tzdir);
	assert_null(sb_config_load(path, &err));
	assert_non_null(strstr(err, "missing.yaml: No such file or directory"));
	free(err);
	sb_config_free(NULL);
}

/* plugins.X.poll and subaccounts.X.burst (the delivery engine's keys). */
static void
test_poll_and_burst(void **state)
{
	struct sb_config *cfg = expect_ok(
	    "plugins:\n"
	    "  a: {module: m}\n"
	    "  b: {module: m, poll: {intervals: [30s, 2m], until: 6h}}\n"
	    "  c: {module: m, poll: {enabled: false}}\n"
	    "chains:\n  k: [{channel: a}]\n"
	    "subaccounts:\n"
	    "  s: {timezone: UTC, chains: [k], rate: 2.5}\n"
	    "  t: {timezone: UTC, chains: [k], rate: 10, burst: 1}\n"
	    "  u: {timezone: UTC, chains: [k]}\n");
	const struct sb_config_poll *p = &cfg->instances[0].poll;

	assert_int_equal(p->mode, SB_POLL_AUTO);
	assert_int_equal(p->nintervals, 5);
	assert_int_equal(p->intervals_ms[0], 60000);
	assert_int_equal(p->intervals_ms[4], 4 * 3600000);
	assert_int_equal(p->until_ms, 24 * 3600000);
	p = &cfg->instances[1].poll;
	assert_int_equal(p->mode, SB_POLL_ON);
	assert_int_equal(p->nintervals, 2);
	assert_int_equal(p->intervals_ms[0], 30000);
	assert_int_equal(p->intervals_ms[1], 120000);
	assert_int_equal(p->until_ms, 6 * 3600000);
	assert_int_equal(cfg->instances[2].poll.mode, SB_POLL_OFF);
	/* A subaccount's bucket defaults to one second's worth, at least 1. */
	assert_int_equal(cfg->subaccounts[0].burst, 3);
	assert_int_equal(cfg->subaccounts[1].burst, 1);
	assert_int_equal(cfg->subaccounts[2].burst, 1);
	sb_config_free(cfg);

	expect_exact("plugins:\n  a: {module: m, poll: 5m}\n",
	    "t.yaml:2:24: expected a mapping for 'poll', got a string");
	expect_exact("plugins:\n  a: {module: m, poll: {intervals: []}}\n",
	    "t.yaml:2:36: expected a sequence of 1 to 16 durations for 'intervals',"
	    " e.g. [1m, 5m, 15m, 1h, 4h]");
	expect_exact("plugins:\n  a: {module: m, poll: {intervals: [1m, soon, 0s]}}\n",
	    "t.yaml:2:41: bad poll interval 'soon' (expected a duration of more than 0, e.g. 5m)\n"
	    "t.yaml:2:47: bad poll interval '0s' (expected a duration of more than 0, e.g. 5m)");
	expect_error("plugins:\n  a: {module: m, poll: {until: 0s}}\n",
	    "t.yaml:2:32: bad duration for 'until' (expected more than 0, e.g. 24h)");
	expect_exact("plugins:\n  a: {module: m, poll: {every: 1m}}\n",
	    "t.yaml:2:25: unknown key 'every' in plugins.a.poll (expected one of:"
	    " enabled, until, intervals)");
	expect_error("plugins:\n  a: {module: m, poll: {enabled: maybe}}\n",
	    "t.yaml:2:34: bad value 'maybe' for 'enabled' (expected true or false)");
	expect_error(SUB_PREFIX "    burst: 0\n",
	    "t.yaml:9:12: bad value 0 for 'burst' (expected an integer from 1 to");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_duration),
		cmocka_unit_test(test_bad_hours),
		cmocka_unit_test(test_hours_midnight_and_wrap),
		cmocka_unit_test(test_unknown_timezone),
		cmocka_unit_test(test_timezone_exists),
		cmocka_unit_test(test_chain_unknown_instance),
		cmocka_unit_test(test_chain_names_filter),
		cmocka_unit_test(test_instances),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_listen_addresses),
		cmocka_unit_test(test_subaccount_rules),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_getters_and_unused),
		cmocka_unit_test(test_instance_node_unused),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_poll_and_burst),
	};

	return cmocka_run_group_tests(tests, setup_tz, teardown_tz);
}
