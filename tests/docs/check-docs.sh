#!/bin/sh
# The reference tables in docs/ against the code: every control command
# and switchboardctl's words for it (core/ctl_spec.c),
# every HTTP route (core/http_api.c) and every configuration key
# (core/config.c's field tables) must appear in docs/. A stale or missing
# line fails `make check`, naming what is missing and where it belongs.
src="${SB_SRCDIR:-.}"
docs="$src/docs"
fail=0

missing() {
	echo "check-docs: $1" >&2
	fail=1
}

# Control commands (the one table, core/ctl_spec.c, with the rows
# core/ctl_bcast.h and core/ctl_tpl.h add to it): "### `name`" in
# control.md (several names may share a heading: "### `filter.allow`,
# `filter.revoke`").
names=$(sed -n 's/^[[:space:]]*{ \.words = "[a-z -]*", \.cmd = "\([a-z._]*\)",.*/\1/p' "$src/core/ctl_spec.c" "$src/core/ctl_bcast.h" "$src/core/ctl_tpl.h" "$src/core/ctl_inbox.h")
[ "$(echo "$names" | wc -w)" -ge 10 ] || missing "found no command table in core/ctl_spec.c"
for name in $names; do
	grep -q "^### .*\`$name\`" "$docs/control.md" ||
		missing "control command '$name' has no '### \`$name\`' section in docs/control.md"
done

# switchboardctl's words: a row "| `words ...` | `cmd` |" of the table.
sed -n 's/^[[:space:]]*{ \.words = "\([a-z -]*\)", \.cmd = "\([a-z._]*\)",.*/\1|\2/p' \
    "$src/core/ctl_spec.c" "$src/core/ctl_bcast.h" "$src/core/ctl_tpl.h" "$src/core/ctl_inbox.h" | while IFS='|' read -r words cmd; do
	grep -q "^| \`$words[^\`]*\` | \`$cmd\` |" "$docs/control.md" || {
		echo "check-docs: switchboardctl '$words' ($cmd) has no row in docs/control.md's command table" >&2
		exit 1
	}
done || fail=1

# HTTP routes: the route table's paths, and the actions under a message.
paths=$(sed -n 's/^[[:space:]]*{ "\(\/[a-z0-9\/]*\)", [01], [a-z_]* },$/\1/p' "$src/core/http_api.c")
[ "$(echo "$paths" | wc -w)" -ge 3 ] || missing "found no route table in core/http_api.c"
for path in $paths; do
	grep -q "\`[A-Z/]* *$path" "$docs/http-api.md" ||
		missing "HTTP route '$path' is not in docs/http-api.md"
done
# The actions under a message (core/http_messages.c), with the method each
# line tests for.
sed -n 's/.*strcmp(end, "\/\([a-z]*\)") == 0 && method == EVHTTP_REQ_\([A-Z]*\)).*/\1 \2/p' \
    "$src/core/http_messages.c" > "${TMPDIR:-/tmp}/check-docs.$$"
while read -r action method; do
	grep -q "^| \`$method /v1/messages/{id}/$action\`" "$docs/http-api.md" ||
		missing "HTTP route '$method /v1/messages/{id}/$action' is not in docs/http-api.md's route table"
	grep -q "^## \`$method /v1/messages/{id}/$action\`" "$docs/http-api.md" ||
		missing "HTTP route '$method /v1/messages/{id}/$action' has no section in docs/http-api.md"
done < "${TMPDIR:-/tmp}/check-docs.$$"
[ -s "${TMPDIR:-/tmp}/check-docs.$$" ] || missing "found no message actions in core/http_messages.c"
rm -f "${TMPDIR:-/tmp}/check-docs.$$"

# Configuration keys: each key of config.c's tables, in backquotes, in
# docs/config.md or docs/control.md (alone or as section.key).
keys=$(sed -n 's/.*{ \.key = "\([a-z_]*\)",.*/\1/p' "$src/core/config.c" | sort -u)
[ "$(echo "$keys" | wc -w)" -ge 20 ] || missing "found no config key table in core/config.c"
for key in $keys; do
	grep -q "\`\([a-z_]*\.\)*$key\`" "$docs/config.md" "$docs/control.md" ||
		missing "config key '$key' is not documented in docs/config.md"
done

[ $fail -eq 0 ] && echo "check-docs: control commands, switchboardctl words, HTTP routes and config keys all documented"
exit $fail
