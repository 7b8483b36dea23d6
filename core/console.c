/*
 * console.c - the console's sessions (console.h): log in, who is logged
 * in, log out, and a session's requests on the /v1 API.
 *
 * A login's password is checked on console_pw.c's worker, never on the
 * loop; failures count against the address in the same throttle as bad
 * API keys (http_guard.c). The cookie holds a 256-bit random token, sent
 * back HttpOnly and SameSite=Strict (and Secure if configured); the CSRF
 * token, another 256 bits, is given in the login's answer and must come
 * back in X-CSRF-Token on every POST, PUT and DELETE, so a page elsewhere
 * that gets the browser to send the cookie still cannot change anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "clock.h"
#include "config.h"
#include "console.h"
#include "console_pw.h"
#include "daemon.h"
#include "http_api_internal.h"
#include "log.h"
#include "timefmt.h"
#include "xalloc.h"

#define CONSOLE_COOKIE "sb_session"
#define CONSOLE_TOKEN_HEX 64           /* 32 random bytes */
#define CONSOLE_MAX_SESSIONS 4096      /* past it, the oldest login goes */
#define CONSOLE_PASSWORD_MAX 1024

struct console_session {
	char token[CONSOLE_TOKEN_HEX + 1];
	char csrf[CONSOLE_TOKEN_HEX + 1];
	char *user;
	char *password_hash;               /* at login: a new password ends the session */
	int64_t expires_ms;
	struct console_session *next;      /* newest first */
};

struct sb_console {
	struct sb_daemon *d;
	struct sb_console_pw *pw;
	struct sb_console_files *files;
	struct console_session *sessions;
	size_t nsessions;
};

/* A login waiting for its password check. */
struct console_login {
	struct sb_http_api *api;
	struct evhttp_request *req;        /* NULL once the client has gone */
	char *user;                        /* as typed */
};

static int
random_hex(char out[CONSOLE_TOKEN_HEX + 1])
{
	unsigned char b[CONSOLE_TOKEN_HEX / 2];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static void
session_free(struct console_session *s)
{
	free(s->user);
	free(s->password_hash);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

struct sb_console *
sb_console_new(struct sb_daemon *d)
{
	struct sb_console *c = sb_xrealloc(NULL, 1, sizeof(*c));

	*c = (struct sb_console){ .d = d };
	c->pw = sb_console_pw_new(d->base);
	c->files = sb_console_files_load(d->cfg);
	return c;
}

void
sb_console_free(struct sb_console *c)
{
	if (c == NULL)
		return;
	sb_console_pw_free(c->pw);
	sb_console_files_free(c->files);
	while (c->sessions != NULL) {
		struct console_session *s = c->sessions;

		c->sessions = s->next;
		session_free(s);
	}
	free(c);
}

struct sb_console_files *
sb_console_files(struct sb_console *c)
{
	return c->files;
}

/* ---- sessions ---- */

/* The token of the request's session cookie, or NULL. */
static const char *
cookie_token(struct evhttp_request *req, char out[CONSOLE_TOKEN_HEX + 1])
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	const char *p = h;
	size_t n = strlen(CONSOLE_COOKIE);

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t;");
		if (strncmp(p, CONSOLE_COOKIE, n) == 0 && p[n] == '=') {
			size_t len = strcspn(p + n + 1, "; \t");

			if (len != CONSOLE_TOKEN_HEX)
				return NULL;
			memcpy(out, p + n + 1, len);
			out[len] = '\0';
			return out;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static int
session_live(const struct sb_console *c, const struct console_session *s, int64_t now)
{
	const struct sb_config_console_user *u = sb_config_console_user(c->d->cfg, s->user);

	return s->expires_ms > now && u != NULL && u->password_hash != NULL &&
	    strcmp(u->password_hash, s->password_hash) == 0;
}

static void
session_unlink(struct sb_console *c, struct console_session **pp)
{
	struct console_session *s = *pp;

	*pp = s->next;
	c->nsessions--;
	session_free(s);
}

/* Drop sessions past their time, or whose user is gone or has a new password. */
static void
sessions_prune(struct sb_console *c, int64_t now)
{
	struct console_session **pp = &c->sessions;

	while (*pp != NULL)
		if (!session_live(c, *pp, now))
			session_unlink(c, pp);
		else
			pp = &(*pp)->next;
}

/* The request's live session and its user, or NULL (an ended one is dropped). */
static struct console_session *
session_of(struct sb_console *c, struct evhttp_request *req,
    const struct sb_config_console_user **user)
{
	char token[CONSOLE_TOKEN_HEX + 1];

	if (cookie_token(req, token) == NULL)
		return NULL;
	for (struct console_session **pp = &c->sessions; *pp != NULL; pp = &(*pp)->next)
		if (CRYPTO_memcmp((*pp)->token, token, CONSOLE_TOKEN_HEX) == 0) {
			if (!session_live(c, *pp, sb_now_ms())) {
				session_unlink(c, pp);
				return NULL;
			}
			*user = sb_config_console_user(c->d->cfg, (*pp)->user);
			return *pp;
		}
	return NULL;
}

static struct console_session *
session_new(struct sb_console *c, const struct sb_config_console_user *u)
{
	struct console_session *s = sb_xrealloc(NULL, 1, sizeof(*s));

	*s = (struct console_session){ 0 };
	if (random_hex(s->token) < 0 || random_hex(s->csrf) < 0) {
		free(s);
		return NULL;
	}
	s->user = sb_xstrdup(u->name);
	s->password_hash = sb_xstrdup(u->password_hash);
	s->expires_ms = sb_now_ms() + c->d->cfg->console.session_ttl_ms;
	sessions_prune(c, sb_now_ms());
	if (c->nsessions == CONSOLE_MAX_SESSIONS && c->sessions != NULL) {
		/* The oldest login is the last. */
		struct console_session **pp = &c->sessions;

		while ((*pp)->next != NULL)
			pp = &(*pp)->next;
		session_unlink(c, pp);
	}
	s->next = c->sessions;
	c->sessions = s;
	c->nsessions++;
	return s;
}

static void
session_remove(struct sb_console *c, const struct console_session *gone)
{
	for (struct console_session **pp = &c->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == gone) {
			session_unlink(c, pp);
			return;
		}
}

static const char *
role_name(enum sb_console_role r)
{
	return r == SB_CONSOLE_SUPPORT ? "support" : "user";
}

/* What GET /v1/session and a login answer. */
static json_t *
session_json(struct sb_console *c, const struct console_session *s,
    const struct sb_config_console_user *u)
{
	const struct sb_config *cfg = c->d->cfg;
	json_t *subs = json_array();
	char when[40];

	for (size_t i = 0; i < cfg->nsubaccounts; i++)
		if (u->role == SB_CONSOLE_SUPPORT ||
		    strcmp(cfg->subaccounts[i].name, u->subaccount) == 0)
			json_array_append_new(subs, json_string(cfg->subaccounts[i].name));
	return json_pack("{s:s, s:s, s:s?, s:o, s:s, s:s}", "user", u->name, "role",
	    role_name(u->role), "subaccount", u->subaccount, "subaccounts", subs, "csrf",
	    s->csrf, "expires", sb_format_iso8601_ms(s->expires_ms, when, sizeof(when)));
}

static void
set_cookie(struct sb_console *c, struct evhttp_request *req, const char *token,
    int64_t max_age_s)
{
	char v[256];

	snprintf(v, sizeof(v), CONSOLE_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict;"
	    " Max-Age=%lld%s", token, (long long)max_age_s,
	    c->d->cfg->console.secure_cookie ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", v);
}

static void
answer_error(struct evhttp_request *req, enum sb_err code, const char *msg)
{
	struct sb_error err = { .code = code };

	snprintf(err.message, sizeof(err.message), "%s", msg);
	sb_http_send_error(req, &err);
}

/* ---- /v1/session ---- */

static void
login_client_gone(void *arg)
{
	struct console_login *l = arg;

	l->req = NULL;
}

static void
login_checked(void *arg, int ok)
{
	struct console_login *l = arg;
	struct sb_console *c = sb_http_console(l->api);
	const struct sb_config_console_user *u = sb_config_console_user(c->d->cfg, l->user);
	struct console_session *s;

	if (l->req == NULL)
		goto out;
	sb_http_watch(l->api, l->req, NULL, NULL);
	/* A reload while the check ran may have removed the user. */
	if (!ok || u == NULL) {
		sb_http_auth_failed(l->api, l->req, "console login");
		answer_error(l->req, SB_E_UNAUTHORIZED, "wrong user name or password");
		goto out;
	}
	if ((s = session_new(c, u)) == NULL) {
		answer_error(l->req, SB_E_INTERNAL, "no randomness for a session token");
		goto out;
	}
	sb_log(SB_LOG_INFO, "console: user '%s' logged in", u->name);
	set_cookie(c, l->req, s->token, c->d->cfg->console.session_ttl_ms / 1000);
	sb_http_send_json(l->req, 200, session_json(c, s, u));
out:
	free(l->user);
	free(l);
}

static void
login(struct sb_http_api *api, struct evhttp_request *req)
{
	struct sb_console *c = sb_http_console(api);
	const struct sb_config_console_user *u;
	const char *user, *password;
	struct console_login *l;
	json_t *body;

	if (sb_http_auth_throttled(api, req))
		return;
	if ((body = sb_http_read_json_body(api, req)) == NULL)
		return;
	user = json_string_value(json_object_get(body, "user"));
	password = json_string_value(json_object_get(body, "password"));
	if (user == NULL || password == NULL || *user == '\0' || *password == '\0') {
		answer_error(req, SB_E_BAD_ARGUMENT, "'user' and 'password' are required strings");
		goto out;
	}
	if (strlen(user) > 64 || strlen(password) > CONSOLE_PASSWORD_MAX) {
		answer_error(req, SB_E_BAD_ARGUMENT, "'user' has at most 64 bytes and"
		    " 'password' at most 1024");
		goto out;
	}
	u = sb_config_console_user(c->d->cfg, user);
	l = sb_xrealloc(NULL, 1, sizeof(*l));
	*l = (struct console_login){ .api = api, .req = req, .user = sb_xstrdup(user) };
	/* An unknown user costs the same check, so timing does not tell. */
	if (sb_console_pw_check(c->pw, u != NULL ? u->password_hash : NULL, password,
	    login_checked, l) < 0) {
		free(l->user);
		free(l);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		answer_error(req, SB_E_UNAVAILABLE, "too many logins are being checked; retry"
		    " in a second");
		goto out;
	}
	sb_http_watch(api, req, login_client_gone, l);
out:
	json_decref(body);
}

static int
csrf_ok(const struct console_session *s, struct evhttp_request *req)
{
	const char *t = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-CSRF-Token");

	return t != NULL && strlen(t) == CONSOLE_TOKEN_HEX &&
	    CRYPTO_memcmp(t, s->csrf, CONSOLE_TOKEN_HEX) == 0;
}

void
sb_console_route_session(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest)
{
	struct sb_console *c = sb_http_console(api);
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct sb_config_console_user *u = NULL;
	struct console_session *s;

	(void)rest;
	if (method == EVHTTP_REQ_POST) {
		login(api, req);
		return;
	}
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_DELETE) {
		answer_error(req, SB_E_BAD_REQUEST, "use POST (log in), GET or DELETE (log out)"
		    " on /v1/session");
		return;
	}
	if ((s = session_of(c, req, &u)) == NULL || u == NULL) {
		answer_error(req, SB_E_UNAUTHORIZED, "not logged in to the console (or the"
		    " session has ended)");
		return;
	}
	if (method == EVHTTP_REQ_GET) {
		sb_http_send_json(req, 200, session_json(c, s, u));
		return;
	}
	if (!csrf_ok(s, req)) {
		answer_error(req, SB_E_FORBIDDEN, "missing or wrong CSRF token");
		return;
	}
	sb_log(SB_LOG_INFO, "console: user '%s' logged out", s->user);
	session_remove(c, s);
	set_cookie(c, req, "", 0);
	sb_http_send_json(req, 200, json_object());
}

/* ---- a session's requests on the API ---- */

int
sb_console_authenticate(struct sb_http_api *api, struct evhttp_request *req,
    const struct sb_config_subaccount **sub, const struct sb_config_console_user **who)
{
	struct sb_console *c = sb_http_console(api);
	const struct sb_config *cfg = c->d->cfg;
	const struct sb_config_console_user *u = NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const char *want = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Subaccount");
	char token[CONSOLE_TOKEN_HEX + 1], msg[200];
	struct console_session *s;

	if (cookie_token(req, token) == NULL)
		return 0;
	if ((s = session_of(c, req, &u)) == NULL || u == NULL) {
		answer_error(req, SB_E_UNAUTHORIZED, "the console session has ended; log in"
		    " again");
		return -1;
	}
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD && !csrf_ok(s, req)) {
		answer_error(req, SB_E_FORBIDDEN, "missing or wrong CSRF token");
		return -1;
	}
	if (u->role == SB_CONSOLE_USER) {
		if (want != NULL && strcmp(want, u->subaccount) != 0) {
			snprintf(msg, sizeof(msg), "console user '%.64s' acts only for subaccount"
			    " '%.64s'", u->name, u->subaccount);
			answer_error(req, SB_E_FORBIDDEN, msg);
			return -1;
		}
		want = u->subaccount;
	} else if (want == NULL || *want == '\0') {
		answer_error(req, SB_E_BAD_ARGUMENT, "a support session names the subaccount"
		    " it acts for in X-Subaccount");
		return -1;
	}
	if ((*sub = sb_config_subaccount(cfg, want)) == NULL) {
		snprintf(msg, sizeof(msg), "unknown subaccount '%.64s' in X-Subaccount", want);
		answer_error(req, SB_E_BAD_ARGUMENT, msg);
		return -1;
	}
	if (who != NULL)
		*who = u;
	return 1;
}

const struct sb_config_console_user *
sb_console_request_user(struct sb_http_api *api, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const struct sb_config_console_user *u = NULL;

	/* A request with a key is the key's, whatever cookie it also brings. */
	if (evhttp_find_header(h, "Authorization") != NULL ||
	    evhttp_find_header(h, "X-API-Key") != NULL)
		return NULL;
	return session_of(sb_http_console(api), req, &u) != NULL ? u : NULL;
}
