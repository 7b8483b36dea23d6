/*
 * console_files.c - the console's files (console.h): read once at start
 * into memory, so serving one never touches the disk on the loop, and
 * served at /console/NAME with their type and headers that keep the page
 * from being framed, sniffed or fed scripts from elsewhere.
 *
 * The folder is `console.www` if set, else the installed
 * $(pkgdatadir)/www, else the source tree's www/ (a daemon run from the
 * build tree). It is flat: names of letters, digits, '.', '_' and '-',
 * no leading dot; anything else is not served.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "console.h"
#include "errors.h"
#include "http_api_internal.h"
#include "log.h"
#include "xalloc.h"

#define FILES_MAX 64
#define FILE_SIZE_MAX (2 << 20)

#ifndef SB_WWW_DIRS
#define SB_WWW_DIRS "www"
#endif

struct console_file {
	char *name;
	const char *type;
	char *data;
	size_t len;
};

struct sb_console_files {
	char *dir;
	size_t n;
	struct console_file files[FILES_MAX];
};

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(content_types) / sizeof(content_types[0]);
	    i++)
		if (strcmp(dot, content_types[i].ext) == 0)
			return content_types[i].type;
	return NULL;
}

static int
name_ok(const char *name)
{
	if (name[0] == '\0' || name[0] == '.' || strlen(name) > 100)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == strlen(name);
}

static char *
read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > FILE_SIZE_MAX ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	data = sb_xrealloc(NULL, 1, (size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return data;
}

static int
load_dir(struct sb_console_files *fs, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && fs->n < FILES_MAX) {
		char *path;
		struct console_file *f = &fs->files[fs->n];

		if (!name_ok(e->d_name) || type_of(e->d_name) == NULL)
			continue;
		path = sb_xasprintf("%s/%s", dir, e->d_name);
		f->data = read_whole(path, &f->len);
		if (f->data == NULL)
			sb_log(SB_LOG_WARN, "console: cannot read %s (or it is over 2 MiB): %s",
			    path, strerror(errno));
		free(path);
		if (f->data == NULL)
			continue;
		f->name = sb_xstrdup(e->d_name);
		f->type = type_of(e->d_name);
		fs->n++;
	}
	closedir(d);
	/* "/src/build/../www" reads better as "/src/www" in the log. */
	fs->dir = realpath(dir, NULL);
	if (fs->dir == NULL)
		fs->dir = sb_xstrdup(dir);
	return 0;
}

static int
has_index(const char *dir)
{
	struct stat st;
	char *p = sb_xasprintf("%s/index.html", dir);
	int ok = stat(p, &st) == 0;

	free(p);
	return ok;
}

struct sb_console_files *
sb_console_files_load(const struct sb_config *cfg)
{
	struct sb_console_files *fs = sb_xrealloc(NULL, 1, sizeof(*fs));
	char *dirs = sb_xstrdup(SB_WWW_DIRS), *save = NULL;
	const char *dir = cfg->console.www;

	*fs = (struct sb_console_files){ 0 };
	for (char *p = strtok_r(dirs, ":", &save); dir == NULL && p != NULL;
	    p = strtok_r(NULL, ":", &save))
		if (has_index(p))
			dir = p;
	if (dir == NULL || load_dir(fs, dir) < 0)
		sb_log(SB_LOG_WARN, "console: no files to serve (looked in %s); /console/"
		    " answers 404", cfg->console.www != NULL ? cfg->console.www : SB_WWW_DIRS);
	else
		sb_log(SB_LOG_INFO, "console: %zu files from %s", fs->n, fs->dir);
	free(dirs);
	return fs;
}

void
sb_console_files_free(struct sb_console_files *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->files[i].name);
		free(fs->files[i].data);
	}
	free(fs->dir);
	free(fs);
}

static void
redirect(struct evhttp_request *req, const char *to)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location", to);
	evhttp_send_reply(req, 302, "Found", NULL);
}

void
sb_console_route_root(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	(void)api;
	(void)rest;
	redirect(req, "/console/");
}

void
sb_console_route_files(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest)
{
	struct sb_console_files *fs = sb_console_files(sb_http_console(api));
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	char name[128];
	size_t n = strcspn(rest, "?");
	struct sb_error err = { .code = SB_E_NOT_FOUND };

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		sb_error_set(&err, SB_E_BAD_REQUEST, "the console's files are read with GET");
		sb_http_send_error(req, &err);
		return;
	}
	if (n == 0) {                       /* /console */
		redirect(req, "/console/");
		return;
	}
	if (rest[0] != '/' || n - 1 >= sizeof(name)) {
		sb_error_set(&err, SB_E_NOT_FOUND, "no such route");
		sb_http_send_error(req, &err);
		return;
	}
	memcpy(name, rest + 1, n - 1);
	name[n - 1] = '\0';
	if (name[0] == '\0')
		snprintf(name, sizeof(name), "index.html");
	for (size_t i = 0; fs != NULL && name_ok(name) && i < fs->n; i++) {
		const struct console_file *f = &fs->files[i];

		if (strcmp(f->name, name) != 0)
			continue;
		evhttp_add_header(out, "Content-Type", f->type);
		evhttp_add_header(out, "Cache-Control", "no-cache");
		evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
		evhttp_add_header(out, "X-Frame-Options", "DENY");
		evhttp_add_header(out, "Referrer-Policy", "no-referrer");
		evhttp_add_header(out, "Content-Security-Policy", "default-src 'self';"
		    " img-src 'self' data:; style-src 'self' 'unsafe-inline';"
		    " frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
		evbuffer_add(evhttp_request_get_output_buffer(req), f->data, f->len);
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	sb_error_set(&err, SB_E_NOT_FOUND, "no such console file");
	sb_http_send_error(req, &err);
}
