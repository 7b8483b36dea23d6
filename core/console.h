/*
 * console.h - the web console's side of the HTTP server (docs/console.md).
 *
 * console.c owns the console's sessions: POST/GET/DELETE /v1/session (log
 * in with a user of the configuration's `console.users`, see who is
 * logged in, log out), the session cookie, the CSRF token every mutation
 * carries, and which subaccount a session's request acts for. With them a
 * browser uses the same /v1 API an application uses with a key; nothing
 * the console shows is computed elsewhere.
 *
 * console_files.c owns the console's files (index.html, its script and
 * style), read into memory at start and served at /console/.
 *
 * Sessions live in memory: a restart logs everyone out. A session ends at
 * its logout, after console.session_ttl from its login, or when its user
 * is removed or given a new password by a reload.
 */
#ifndef SB_CONSOLE_H
#define SB_CONSOLE_H

#include <event2/http.h>

#include "config.h"

struct sb_console;
struct sb_daemon;
struct sb_http_api;

struct sb_console *sb_console_new(struct sb_daemon *d);
void sb_console_free(struct sb_console *c);

/* /v1/session: POST logs in, GET says who, DELETE logs out. */
void sb_console_route_session(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/*
 * For the API's authentication, when a request brings no API key: 0 if
 * it has no session cookie either; 1 with *sub the subaccount it acts for
 * (and *who its user, may be NULL) if it has a live session, passes the
 * CSRF check (POST, PUT, DELETE) and may act for that subaccount; -1 if it
 * was answered (401, 403, 400).
 */
int sb_console_authenticate(struct sb_http_api *api, struct evhttp_request *req,
    const struct sb_config_subaccount **sub, const struct sb_config_console_user **who);

/* The console user of a request's session, or NULL (none, or expired). */
const struct sb_config_console_user *sb_console_request_user(struct sb_http_api *api,
    struct evhttp_request *req);

/* console_files.c: the files, read at start from console.www, else the
 * installed $(pkgdatadir)/www, else the source tree's www/ (development). */
struct sb_console_files;
struct sb_console_files *sb_console_files(struct sb_console *c);
struct sb_console_files *sb_console_files_load(const struct sb_config *cfg);
void sb_console_files_free(struct sb_console_files *f);
/* GET /console/..., and / (a redirect to /console/). */
void sb_console_route_files(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);
void sb_console_route_root(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

#endif
