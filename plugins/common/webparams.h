/*
 * webparams.h - host-free helpers shared by the channel plugins: a
 * provider callback's parameters as a decoded, sortable list (from a query
 * string, a form body or a flat JSON object), one parameter looked up in a
 * query or form, UTF-8 decoding, hex output and comparison in constant time.
 *
 * Part of plugins/common (libsbplugin.la). Not a plugin and not part of the
 * ABI: each module links it statically (its symbols stay private: modules
 * export only their plugin).
 * Nothing here logs, talks to the host or keeps state between calls; every
 * parser bounds what it accepts, since its input comes from the network.
 */
#ifndef SB_WEBPARAMS_H
#define SB_WEBPARAMS_H

#include <stddef.h>
#include <stdint.h>

#define WP_MAX_PARAMS 256    /* a callback with more parameters is refused */

struct wp_param {
	char *name;          /* decoded, NUL-terminated, owned by the list */
	char *value;
};

struct wp_list {
	struct wp_param *v;
	size_t n, cap;
};

/*
 * Append the parameters of x-www-form-urlencoded text ("a=1&b=x+y%21")
 * to l, decoded ('+' is a space). A name without '=' has the value "".
 * Returns 0; -1 malformed (a bad or NUL %-escape, an empty name, more than
 * WP_MAX_PARAMS); -2 out of memory. On error l keeps what was added.
 */
int wp_parse_form(struct wp_list *l, const char *s, size_t len);

/*
 * Look up one parameter of a query string or form body (s[0..len), not
 * NUL-terminated), both decoded as wp_parse_form does ('+' is a space,
 * %XX a byte; a bad or NUL escape is malformed). Copies the first value of
 * `name` into out (cap bytes with its NUL). Returns 1 found, 0 absent, -1
 * malformed or too long for out.
 */
int wp_form_get(const char *s, size_t len, const char *name, char *out, size_t cap);

/*
 * Append the members of a flat JSON object: strings as they are, integers,
 * reals and booleans as their JSON text, null as "". Nested objects and
 * arrays are refused. Returns 0, -1 malformed or not such an object, -2
 * out of memory.
 */
int wp_parse_json(struct wp_list *l, const char *s, size_t len);

/* Sort by name, then value, comparing bytes (what signatures need). */
void wp_sort(struct wp_list *l);

/* The first value of `name`, or NULL. */
const char *wp_get(const struct wp_list *l, const char *name);

/* Drop every parameter (values zeroed first); wp_free also releases the array. */
void wp_clear(struct wp_list *l);
void wp_free(struct wp_list *l);

/*
 * Decode one UTF-8 code point at *s (before end) into *cp and advance *s.
 * Returns 0, or -1 on an invalid sequence (overlong, surrogate, > U+10FFFF,
 * truncated).
 */
int wp_utf8_next(const char **s, const char *end, uint32_t *cp);
int wp_utf8_valid(const char *s, size_t len); /* 1 valid, 0 not */

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void wp_hex(const unsigned char *in, size_t n, char *out);

/*
 * Compare in time independent of where the strings differ. `ci` folds
 * ASCII case (hex digests that may come upper case). 1 equal, 0 not.
 */
int wp_ct_equal(const char *a, size_t alen, const char *b, size_t blen, int ci);

#endif
