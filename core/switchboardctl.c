/*
 * switchboardctl.c - the thin control client: argv to one request line,
 * one response line back, printed as tables for people or as JSON (one
 * line) for scripts.
 *
 * It owns only transport and presentation. Commands, options, usage and
 * help come from the table in ctl_spec.c; meaning and validation are the
 * daemon's. Exit status: 0 ok, 1 the daemon answered with an error,
 * 2 usage error or the daemon could not be reached.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "apikey.h"
#include "control.h"
#include "ctl_bcast.h"
#include "ctl_spec.h"

#ifndef PACKAGE_VERSION /* autoconf passes it with DEFS */
#define PACKAGE_VERSION "unknown"
#endif

#define TIMEOUT_MS 30000
#define MAX_RESPONSE (256u * 1024 * 1024)

static const char usage_text[] =
    "usage: switchboardctl [-s SOCKET] [-c CONFIG] [--json] COMMAND [ARGS...]\n"
    "  -s SOCKET  control socket; default: $SWITCHBOARD_SOCKET, else\n"
    "             daemon.control_socket of CONFIG, else " SB_CTL_DEFAULT_SOCKET "\n"
    "  -c CONFIG  read the socket path from this configuration file\n"
    "  --json     print the result as one line of JSON (errors too)\n"
    "  -V         print the version\n"
    "  --man      print the manual page (troff), made from the command table\n"
    "answered by the client itself, no daemon needed:\n"
    "  apikey new             print a new random API key and its sha256: hash\n"
    "  console hash [--cost N]  read a console password on stdin, print its\n"
    "                         scrypt password_hash for console.users\n"
    "exit status: 0 ok, 1 the daemon answered with an error,\n"
    "             2 usage error or the daemon could not be reached\n";

/* ---- finding the socket ---- */

/*
 * daemon.control_socket from a YAML file, by a line scan rather than a
 * YAML parser: the client stays small, and the key sits in block style
 * in every config we ship. Returns 0 found, 1 not there, -1 unreadable.
 */
static int
socket_from_config(const char *path, char *out, size_t len)
{
	char line[4096];
	int in_daemon = 0, rc = 1;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (rc == 1 && fgets(line, sizeof(line), f) != NULL) {
		char *p = line + strspn(line, " "), *end;

		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		if (p == line) {
			in_daemon = strncmp(line, "daemon:", 7) == 0;
			continue;
		}
		if (!in_daemon || strncmp(p, "control_socket:", 15) != 0)
			continue;
		p += 15 + strspn(p + 15, " \t");
		if (*p == '"' || *p == '\'') {
			char quote = *p++;

			end = strchr(p, quote);
		} else
			end = p + strcspn(p, " \t#\r\n");
		if (end != NULL && end > p) {
			snprintf(out, len, "%.*s", (int)(end - p), p);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/* ---- transport ---- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for `events` until the deadline; 0 ready, -1 timed out or failed. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int rc;

	do {
		left = deadline - mono_ms();
		if (left <= 0)
			return -1;
		rc = poll(&p, 1, (int)left);
	} while (rc < 0 && errno == EINTR);
	return rc > 0 ? 0 : -1;
}

static void
die_transport(const char *sock, const char *what)
{
	fprintf(stderr, "switchboardctl: %s: %s\n", sock, what);
	exit(2);
}

/* Send one line, return the answer line (malloc'd, without '\n'). */
static char *
roundtrip(const char *sock, const char *request)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t deadline = mono_ms() + TIMEOUT_MS;
	size_t len = strlen(request), off = 0, cap = 0, used = 0;
	char *buf = NULL, msg[512];
	int fd;

	if (strlen(sock) >= sizeof(sun.sun_path))
		die_transport(sock, "socket path too long");
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(msg, sizeof(msg), "cannot connect: %s (is switchboardd running? see -s,"
		    " -c, SWITCHBOARD_SOCKET)", strerror(errno));
		die_transport(sock, msg);
	}
	while (off < len) {
		ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) < 0)
				die_transport(sock, "timed out sending the request");
			continue;
		}
		if (n < 0)
			die_transport(sock, strerror(errno));
		off += (size_t)n;
	}
	for (;;) {
		char *nl;
		ssize_t n;

		if (cap - used < 65536) {
			cap = cap ? cap * 2 : 65536;
			char *grown = cap > MAX_RESPONSE ? NULL : realloc(buf, cap + 1);

			if (grown == NULL) {
				free(buf);
				die_transport(sock, "response too large");
			}
			buf = grown;
		}
		if (wait_fd(fd, POLLIN, deadline) < 0)
			die_transport(sock, "no answer within 30 s");
		n = read(fd, buf + used, cap - used);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			die_transport(sock, strerror(errno));
		if (n == 0)
			die_transport(sock, "the daemon closed the connection without answering");
		nl = memchr(buf + used, '\n', (size_t)n);
		used += (size_t)n;
		if (nl != NULL) {
			*nl = '\0';
			close(fd);
			return buf;
		}
	}
}

/* ---- presentation ---- */

/* One value as a table cell: strings bare, null "-", lists of named objects by name. */
static char *
cell(json_t *v)
{
	char *s = NULL;
	size_t len;
	FILE *f;

	switch (json_typeof(v != NULL ? v : json_null())) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_NULL:
		return strdup("-");
	case JSON_TRUE:
		return strdup("yes");
	case JSON_FALSE:
		return strdup("no");
	case JSON_ARRAY:
		f = open_memstream(&s, &len);
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *name = json_object_get(json_array_get(v, i), "name");

			if (!json_is_string(name)) {
				fclose(f);
				free(s);
				return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			}
			fprintf(f, "%s%s%s", i ? "," : "", json_string_value(name),
			    json_is_true(json_object_get(json_array_get(v, i), "draining")) ?
			    "(draining)" : "");
		}
		fclose(f);
		return s;
	default:
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

struct column {
	const char *title;
	const char *key;
};

static void
print_table(json_t *rows, const struct column *cols, size_t ncols)
{
	size_t nrows = json_array_size(rows), w[16] = { 0 };
	char **cells;

	if (nrows == 0) {
		puts("(none)");
		return;
	}
	cells = calloc(nrows * ncols, sizeof(*cells));
	if (cells == NULL) {
		fputs("switchboardctl: out of memory\n", stderr);
		exit(2);
	}
	for (size_t c = 0; c < ncols; c++)
		w[c] = strlen(cols[c].title);
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			char **p = &cells[r * ncols + c];

			*p = cell(json_object_get(json_array_get(rows, r), cols[c].key));
			if (*p == NULL)
				*p = strdup("?");
			if (width(*p) > w[c])
				w[c] = width(*p);
		}
	for (size_t r = 0; r <= nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *text = r == 0 ? cols[c].title : cells[(r - 1) * ncols + c];

			/* The last column is not padded: long reasons just run on. */
			printf("%s%*s", text, c + 1 < ncols ? (int)(w[c] - width(text) + 2) : 0, "");
		}
		putchar('\n');
	}
	for (size_t i = 0; i < nrows * ncols; i++)
		free(cells[i]);
	free(cells);
}

#define TABLE(rows, cols) print_table((rows), (cols), sizeof(cols) / sizeof((cols)[0]))

/* "key: value" for every member except the listed ones. */
static void
print_kv(json_t *obj, const char *skip1, const char *skip2)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char *text;

		if ((skip1 && strcmp(key, skip1) == 0) || (skip2 && strcmp(key, skip2) == 0))
			continue;
		text = cell(v);
		printf("%s: %s\n", key, text != NULL ? text : "?");
		free(text);
	}
}

static void
print_generic(json_t *res)
{
	print_kv(res, NULL, NULL);
}

static void
print_list(json_t *res)
{
	static const struct column cols[] = {
		{ "ID", "id" }, { "STATUS", "status" }, { "TO", "to" }, { "CHAIN", "chain" },
		{ "CREATED", "created" }, { "UPDATED", "updated" },
	};
	json_t *next = json_object_get(res, "next_before");

	TABLE(json_object_get(res, "messages"), cols);
	if (json_is_integer(next))
		printf("more: switchboardctl list --before %lld\n",
		    (long long)json_integer_value(next));
}

static void
print_message(json_t *res)
{
	static const struct column attempts[] = {
		{ "STEP", "step" }, { "CHANNEL", "channel" }, { "STATUS", "status" },
		{ "TRIES", "tries" }, { "PROVIDER_ID", "provider_id" },
		{ "ERROR_CODE", "error_code" }, { "CREATED", "created" }, { "FINAL", "final" },
		{ "ERROR", "error" },
	};
	static const struct column history[] = {
		{ "AT", "at" }, { "STATUS", "status" }, { "ATTEMPT", "attempt" },
		{ "REASON", "reason" },
	};

	print_kv(res, "attempts", "history");
	puts("\nattempts:");
	TABLE(json_object_get(res, "attempts"), attempts);
	puts("\nhistory:");
	TABLE(json_object_get(res, "history"), history);
}

static void
print_plugins(json_t *res)
{
	static const struct column cols[] = {
		{ "MODULE", "name" }, { "ABI", "abi" }, { "VERSION", "version" },
		{ "KIND", "kind" }, { "INSTANCES", "instances" },
	};

	TABLE(json_object_get(res, "modules"), cols);
}

static void
print_allowlist(json_t *res)
{
	static const struct column cols[] = {
		{ "SUBACCOUNT", "subaccount" }, { "KIND", "kind" }, { "VALUE", "value" },
		{ "UID", "uid" }, { "AT", "at" },
	};

	TABLE(json_object_get(res, "entries"), cols);
}

static void
print_file_broadcast(json_t *res)
{
	static const struct column cols[] = {
		{ "LINE", "line" }, { "PHONE", "phone" }, { "ERROR", "error" },
		{ "MESSAGE", "message" },
	};
	json_int_t total = json_integer_value(json_object_get(res, "rejected_total"));

	print_kv(res, "rejected", NULL);
	if (total == 0)
		return;
	puts("\nrejected rows (not sent):");
	TABLE(json_object_get(res, "rejected"), cols);
	if ((size_t)total > json_array_size(json_object_get(res, "rejected")))
		printf("... %lld rejected rows in all\n", (long long)total);
}

static void
print_events(json_t *res)
{
	static const struct column cols[] = {
		{ "ID", "id" }, { "SUBACCOUNT", "subaccount" }, { "TYPE", "type" },
		{ "MESSAGE", "message_id" }, { "CONTACT", "contact" }, { "TRIES", "tries" },
		{ "CREATED", "created" }, { "LAST_ERROR", "last_error" },
	};
	json_t *next = json_object_get(res, "next_before");

	TABLE(json_object_get(res, "events"), cols);
	if (json_is_integer(next))
		printf("more: switchboardctl events failed --before %lld\n",
		    (long long)json_integer_value(next));
}

/* How each command's result is shown to people; the rest are key: value. */
static const struct {
	const char *cmd;
	void (*print)(json_t *result);
} views[] = {
	{ "message.list", print_list },
	{ "message.status", print_message },
	{ "plugins", print_plugins },
	{ "filter.list", print_allowlist },
	{ "broadcast.send", print_file_broadcast },
	{ "events.failed", print_events },
};

static void
print_result(const char *cmd, json_t *res)
{
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (strcmp(views[i].cmd, cmd) == 0) {
			views[i].print(res);
			return;
		}
	print_generic(res);
}

/* One request line for cmd with args (taken), '\n'-terminated; exits when out of memory. */
static char *
request_line(const char *cmd, json_t *args)
{
	json_t *req = json_pack("{s:i, s:s, s:i, s:o}", "id", 1, "cmd", cmd, "protocol",
	    SB_CTL_PROTOCOL, "args", args);
	char *line = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL, *grown;

	json_decref(req);
	grown = line != NULL ? realloc(line, strlen(line) + 2) : NULL;
	if (grown == NULL) {
		free(line);
		fputs("switchboardctl: out of memory\n", stderr);
		exit(2);
	}
	strcat(grown, "\n");
	return grown;
}

/*
 * broadcast send --file PATH: the daemon does not open our paths, so the
 * file goes up in pieces (broadcast.upload, base64, each under the line
 * limit), and args gets the upload's id and the file's base name instead.
 * 0, or the exit status after a message on stderr.
 */
static int
upload_file(const char *sock, json_t *args, int json_out)
{
	const char *path = json_string_value(json_object_get(args, "file")), *base;
	unsigned char *piece = malloc(SB_CTL_UPLOAD_PIECE);
	unsigned char *b64 = malloc(SB_CTL_UPLOAD_PIECE / 3 * 4 + 8);
	char *id = NULL;
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (f == NULL || piece == NULL || b64 == NULL) {
		fprintf(stderr, "switchboardctl: cannot read %s: %s\n", path, strerror(errno));
		free(piece);
		free(b64);
		if (f != NULL)
			fclose(f);
		return 2;
	}
	do {
		json_t *resp, *a;
		char *line, *answer;

		n = fread(piece, 1, SB_CTL_UPLOAD_PIECE, f);
		if (n == 0 && id != NULL)
			break;
		EVP_EncodeBlock(b64, piece, (int)n);
		a = json_pack("{s:s}", "data", (const char *)b64);
		if (id != NULL)
			json_object_set_new(a, "upload", json_string(id));
		line = request_line("broadcast.upload", a);
		answer = roundtrip(sock, line);
		free(line);
		resp = json_loads(answer, 0, NULL);
		free(answer);
		if (!json_is_true(json_object_get(resp, "ok"))) {
			json_t *e = json_object_get(resp, "error");

			if (json_out) {
				json_dumpf(e, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
				putchar('\n');
			} else {
				fprintf(stderr, "switchboardctl: %s: uploading %s: %s\n",
				    json_string_value(json_object_get(e, "code")) ?: "error", path,
				    json_string_value(json_object_get(e, "message")) ?: "(no message)");
			}
			json_decref(resp);
			rc = 1;
			break;
		}
		if (id == NULL)
			id = strdup(json_string_value(json_object_get(json_object_get(resp, "result"),
			    "upload")) ?: "");
		json_decref(resp);
	} while (n == SB_CTL_UPLOAD_PIECE);
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "switchboardctl: cannot read %s: %s\n", path, strerror(errno));
		rc = 2;
	}
	fclose(f);
	free(piece);
	free(b64);
	if (rc == 0) {
		base = strrchr(path, '/');
		base = base != NULL ? base + 1 : path;
		/* `path` is args' "file" value: use it before that goes. */
		if (json_object_get(args, "file_name") == NULL)
			json_object_set_new(args, "file_name", json_string(base));
		json_object_set_new(args, "upload", json_string(id));
		json_object_del(args, "file");
	}
	free(id);
	return rc;
}

/* ---- main ---- */

static int
usage_error(const char *msg)
{
	fprintf(stderr, "switchboardctl: %s\n%s", msg, usage_text);
	return 2;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *config = NULL;
	char from_config[4096];
	const struct sb_ctl_spec *spec;
	struct sb_error err = { 0 };
	json_t *args, *resp, *result, *error;
	char *line, *answer;
	int i, json_out = 0, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json_out = 1;
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			sock = argv[++i];
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			sb_ctl_help(stdout);
			return 0;
		} else if (strcmp(argv[i], "--man") == 0) {
			sb_ctl_man(stdout); /* the man page, from the command table */
			return 0;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("switchboardctl %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "switchboardctl: unknown option %s\n", argv[i]);
			return usage_error("options go before the command");
		}
	}
	/* --json is a global flag; people also type it after the command. */
	for (int k = i, w = i; k <= argc; k++) {
		if (k < argc && strcmp(argv[k], "--json") == 0)
			json_out = 1;
		else
			argv[w++] = argv[k];
		if (k == argc)
			argc = w - 1;
	}
	if (i == argc)
		return usage_error("missing command");
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 == argc) {
			fputs(usage_text, stdout);
			sb_ctl_help(stdout);
			return 0;
		}
		if (sb_ctl_help_command(stdout, argc - i - 1, argv + i + 1) > 0)
			return 0;
		fprintf(stderr, "switchboardctl: no command '%s' (see: switchboardctl --help)\n",
		    argv[i + 1]);
		return 2;
	}
	if (strcmp(argv[i], "apikey") == 0)
		return sb_apikey_command(argc - i - 1, argv + i + 1, json_out, stdout);
	if (strcmp(argv[i], "console") == 0)
		return sb_console_hash_command(argc - i - 1, argv + i + 1, json_out, stdout);
	spec = sb_ctl_parse_argv(argc - i, argv + i, &args, &err);
	if (spec == NULL) {
		fprintf(stderr, "switchboardctl: %s\n", err.message);
		return 2;
	}

	if (sock == NULL && config != NULL) {
		rc = socket_from_config(config, from_config, sizeof(from_config));
		if (rc < 0) {
			fprintf(stderr, "switchboardctl: cannot read %s: %s\n", config,
			    strerror(errno));
			return 2;
		}
		sock = rc == 0 ? from_config : SB_CTL_DEFAULT_SOCKET;
	}
	if (sock == NULL)
		sock = getenv("SWITCHBOARD_SOCKET");
	if (sock == NULL || *sock == '\0')
		sock = SB_CTL_DEFAULT_SOCKET;

	if (strcmp(spec->cmd, "broadcast.send") == 0 && json_object_get(args, "file") != NULL &&
	    (rc = upload_file(sock, args, json_out)) != 0) {
		json_decref(args);
		return rc;
	}
	line = request_line(spec->cmd, args);
	answer = roundtrip(sock, line);
	free(line);

	resp = json_loads(answer, 0, NULL);
	free(answer);
	if (!json_is_object(resp) || !json_is_boolean(json_object_get(resp, "ok"))) {
		json_decref(resp);
		fprintf(stderr, "switchboardctl: %s: the daemon's answer is not a response\n", sock);
		return 2;
	}
	result = json_object_get(resp, "result");
	error = json_object_get(resp, "error");
	rc = json_is_true(json_object_get(resp, "ok")) ? 0 : 1;
	if (json_out) {
		json_dumpf(rc == 0 ? result : error, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
		putchar('\n');
	} else if (rc == 0) {
		print_result(spec->cmd, result);
	} else {
		const char *code = json_string_value(json_object_get(error, "code"));
		const char *msg = json_string_value(json_object_get(error, "message"));

		fprintf(stderr, "switchboardctl: %s: %s\n", code ? code : "error",
		    msg ? msg : "(no message)");
	}
	json_decref(resp);
	return rc;
}
