/*
 * config_console.c - the top-level `console:` section (docs/config.md):
 * where the console's files are, how long a session lives, whether its
 * cookie is Secure, and the console's users with their role, subaccount
 * and scrypt password hash. Errors go to the node, file:line:column, like
 * every other key; a hash is never echoed.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "console_pw.h"
#include "xalloc.h"

#define SESSION_TTL_DEFAULT_MS (8LL * 3600000)
#define SESSION_TTL_MAX_MS (30LL * 24 * 3600000)
#define USER_NAME_MAX 64

static const struct {
	const char *name;
	enum sb_console_role role;
} console_roles[] = {
	{ "user", SB_CONSOLE_USER },
	{ "support", SB_CONSOLE_SUPPORT },
};
#define NROLES (sizeof(console_roles) / sizeof(console_roles[0]))

static int
user_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > USER_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._@-", *s) != NULL))
			return 0;
	return 1;
}

static void
load_user(struct sb_cfg *node, const char *name, struct sb_config *cfg)
{
	struct sb_config_console *c = &cfg->console;
	struct sb_config_console_user u = { .role = SB_CONSOLE_USER };
	const char *role = NULL, *sub = NULL, *hash = NULL, *why = NULL;
	char *where = sb_xasprintf("console.users.%s", name);
	size_t i;

	sb_cfg_string(node, "role", "user", &role);
	for (i = 0; i < NROLES && strcmp(role, console_roles[i].name) != 0; i++)
		;
	if (i < NROLES)
		u.role = console_roles[i].role;
	else
		sb_cfg_error(sb_cfg_get(node, "role"), "bad role '%.40s' for 'role' (expected"
		    " user or support)", role);
	sb_cfg_string(node, "subaccount", NULL, &sub);
	if (u.role == SB_CONSOLE_USER && sub == NULL)
		sb_cfg_error(node, "missing required key 'subaccount' in %s (the subaccount"
		    " this user sees; or role: support)", where);
	else if (u.role == SB_CONSOLE_SUPPORT && sub != NULL)
		sb_cfg_error(sb_cfg_get(node, "subaccount"), "a support user sees every"
		    " subaccount (expected no 'subaccount')");
	else if (sub != NULL && sb_config_subaccount(cfg, sub) == NULL)
		sb_cfg_error(sb_cfg_get(node, "subaccount"), "unknown subaccount '%.60s'", sub);
	if (sb_cfg_string(node, "password_hash", NULL, &hash) == 1)
		sb_cfg_error(node, "missing required key 'password_hash' in %s (make one with"
		    " switchboardctl console hash)", where);
	else if (hash != NULL && sb_console_pw_check_format(hash, &why) < 0)
		sb_cfg_error(sb_cfg_get(node, "password_hash"), "bad 'password_hash': %s", why);
	sb_cfg_check_unused(node, where);
	free(where);
	c->users = sb_xrealloc(c->users, c->nusers + 1, sizeof(*c->users));
	u.name = sb_xstrdup(name);
	u.subaccount = sub != NULL ? sb_xstrdup(sub) : NULL;
	u.password_hash = hash != NULL ? sb_xstrdup(hash) : NULL;
	c->users[c->nusers++] = u;
}

void
sb_config_console_parse(struct sb_cfg *node, struct sb_config *cfg)
{
	struct sb_config_console *c = &cfg->console;
	struct sb_cfg *users;
	const char *www = NULL;
	int64_t ms;

	*c = (struct sb_config_console){ .session_ttl_ms = SESSION_TTL_DEFAULT_MS };
	if (node == NULL || node->type == SB_CFG_NULL)
		return;
	if (node->type != SB_CFG_MAP) {
		sb_cfg_error(node, "expected a mapping for 'console' (users, session_ttl,"
		    " secure_cookie, www)");
		return;
	}
	if (sb_cfg_string(node, "www", NULL, &www) == 0 && www != NULL)
		c->www = sb_xstrdup(www);
	if (sb_cfg_duration_ms(node, "session_ttl", SESSION_TTL_DEFAULT_MS, &ms) == 0) {
		if (ms < 1000 || ms > SESSION_TTL_MAX_MS)
			sb_cfg_error(sb_cfg_get(node, "session_ttl"), "bad duration '%s' for"
			    " 'session_ttl' (expected 1s to 30d)",
			    sb_cfg_scalar(sb_cfg_get(node, "session_ttl")));
		else
			c->session_ttl_ms = ms;
	}
	sb_cfg_bool(node, "secure_cookie", 0, &c->secure_cookie);
	users = sb_cfg_get(node, "users");
	if (users != NULL && users->type != SB_CFG_MAP && users->type != SB_CFG_NULL)
		sb_cfg_error(users, "expected a mapping of user names for 'users'");
	for (size_t i = 0; users != NULL && users->type == SB_CFG_MAP && i < users->n; i++) {
		const char *name = users->keys[i];
		struct sb_cfg *u = users->items[i];

		if (!user_name_ok(name))
			sb_cfg_key_error(users, i, "bad user name '%.70s' (expected 1 to 64"
			    " letters, digits, '.', '_', '@' or '-')", name);
		else if (u->type != SB_CFG_MAP)
			sb_cfg_error(u, "expected a mapping for user '%s' (role, subaccount,"
			    " password_hash)", name);
		else
			load_user(u, name, cfg);
	}
	sb_cfg_check_unused(node, "console");
}

void
sb_config_console_free(struct sb_config_console *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].subaccount);
		free(c->users[i].password_hash);
	}
	free(c->users);
	free(c->www);
	*c = (struct sb_config_console){ 0 };
}

const struct sb_config_console_user *
sb_config_console_user(const struct sb_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->console.nusers; i++)
		if (strcmp(cfg->console.users[i].name, name) == 0)
			return &cfg->console.users[i];
	return NULL;
}
