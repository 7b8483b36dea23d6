/*
 * http_sms.h - private to the http_sms plugin: the per-instance state that
 * http_sms.c (send, results, receipts) and http_sms_config.c (reading the
 * instance's config) share. Not installed, not part of the plugin ABI.
 */
#ifndef HTTP_SMS_H
#define HTTP_SMS_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/plugin.h>

#include "http_sms_util.h"
#include "sbp_chan.h"
#include "sbp_http.h"
#include "sbp_sms.h"
#include "webparams.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ID_MAX 256       /* provider ids, receipt values */
#define POOL_MAX 256     /* idle pending records kept per instance */

enum hs_body { HS_BODY_FORM, HS_BODY_JSON, HS_BODY_QUERY };

/* One request in flight: what the completion needs to report. */
struct hs_pending {
	struct hs_state *st;
	uint64_t ticket;
	int parts;             /* SMS parts of the text, reported when accepted */
	char *key;             /* attempt key copy (id_from: attempt_key), reused */
	size_t keycap;
	struct hs_pending *next; /* in the pool */
};

struct hs_status_entry {
	char *value;           /* the provider's status text, e.g. "1" */
	enum sb_outcome outcome;
};

struct hs_dlr {
	int enabled;           /* a dlr: section is present */
	const char *id_param, *status_param, *error_param; /* config strings (host-owned) */
	struct hs_status_entry *map;
	size_t nmap;           /* 0: status values are our own words (delivered, ...) */
	char *token;           /* expanded once; NULL: no token check */
	size_t token_len;
	char *url_suffix;      /* appended to {dlr_url}, e.g. "&status=%d" */
	int kannel;            /* error_param carries Kannel's %A (the SMSC's reply) */
};

/* Messages from phones (mo: section) on /hooks/<instance>/mo. */
struct hs_mo {
	int enabled;
	const char *from_param, *to_param, *text_param, *id_param; /* host-owned */
	char *token;           /* expanded once; NULL: no token check */
	size_t token_len;
};

struct hs_state {
	const struct sb_host *host;
	struct sb_instance *inst;
	struct hs_tmpl url;
	int get;               /* method GET (else POST) */
	enum hs_body body;
	struct hs_param *params, *headers;
	size_t nparams, nheaders;
	int has_ctype;         /* headers: set Content-Type itself */
	struct hs_tmpl auth;
	int has_auth;
	const char *from;
	struct hs_idspec id;
	const char *id_from;   /* its text, for messages */
	struct hs_ranges accept, temp, undeliv;
	struct hs_dlr dlr;
	struct hs_mo mo;
	int64_t max_parts;     /* the most SMS parts the carrier sends; 0: no limit */
	int ucs2;              /* coding: ucs2 (the carrier sends every text as UCS-2) */
	unsigned uses;         /* placeholders any template uses */
	/* per-send scratch, reused: the host copies what it is given */
	struct sbp_buf urlb, bodyb, hdrb, authb, scratch, dlrb, digits;
	const char **hdrv;
	char msgid[24];
	char idbuf[ID_MAX];
	char errtext[200];
	char dlr_err[16], dlr_stat[24]; /* a Kannel receipt's err: and "stat:..." */
	/* a pool of finished request records, reused */
	struct hs_pending *pool;
	size_t npool;
};

/*
 * Read and check every key of the instance's config into st (st->host and
 * st->inst set). Returns 0, or -1 after recording the error with
 * host->cfg_error. hs_config_free releases what it made (also after -1).
 */
int hs_config_read(struct hs_state *st);
void hs_config_free(struct hs_state *st);

#endif
