#!/bin/sh
# The plugin author's path, end to end, from an installed switchboard:
#   1. `make install DESTDIR=$tmp` of this build; the files are all there;
#   2. examples/carrier_example built out of tree against the installed
#      headers and switchboard-plugin.pc only (PKG_CONFIG_SYSROOT_DIR);
#   3. the installed daemon started on a config using the installed stub;
#   4. the example's .so dropped into its plugin_dir, an instance added to
#      the config, `switchboardctl config reload`: a message goes through it
#      to a mock of the example's HTTP API (127.0.0.1) and is accepted; a
#      receipt with a wrong token is refused, the right one delivers it;
#   5. a new build copied over the module file, `plugin reload`: the new
#      version serves the next message;
#   6. a clean stop (exit 0: leaks fail it under the sanitizers).
# Every wait is bounded. Nothing is written outside a temporary directory.
set -u

: "${SB_BUILDDIR:?set by make check}" "${SB_SRCDIR:?set by make check}"
: "${SB_SBINDIR:?}" "${SB_BINDIR:?}" "${SB_INCLUDEDIR:?}" "${SB_LIBDIR:?}" "${SB_PLUGINDIR:?}"
make=${SB_MAKE:-make}
cc=${SB_CC:-cc}
pkg_config=${SB_PKG_CONFIG:-pkg-config}
py=/usr/bin/python3
[ -x "$py" ] || py=python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sb-install.XXXXXX") || exit 99
dest=$tmp/dest
daemon_pid=
mock_pid=

cleanup() {
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	[ -n "$mock_pid" ] && kill -TERM "$mock_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

step() { echo "== $*"; }
fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.log; do
		[ -f "$f" ] && { echo "---- ${f##*/}"; tail -n 40 "$f"; }
	done
	exit 1
}
# Retry a command for up to $1 tenths of a second.
wait_for() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# A field of a JSON document on stdin: json_get 'd["id"]'
json_get() { "$py" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---- 1. install ----
step "make install DESTDIR=$dest"
# A sub-make of its own: not part of the parent's job server.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$make" -C "$SB_BUILDDIR" install DESTDIR="$dest" \
	>"$tmp/install.log" 2>&1 || fail "make install"
for f in "$SB_SBINDIR/switchboardd" "$SB_BINDIR/switchboardctl" \
	"$SB_INCLUDEDIR/switchboard/plugin.h" "$SB_INCLUDEDIR/switchboard/host.h" \
	"$SB_INCLUDEDIR/switchboard/types.h" "$SB_LIBDIR/pkgconfig/switchboard-plugin.pc" \
	"$SB_PLUGINDIR/stub.so" "$SB_PLUGINDIR/test.so" "$SB_PLUGINDIR/http_sms.so" \
	"$SB_PLUGINDIR/content_filter.so" "${SB_PKGDATADIR:?}/www/index.html" \
	"$SB_PKGDATADIR/www/console.js" "$SB_PKGDATADIR/www/console.css"; do
	[ -f "$dest$f" ] || fail "not installed: $f"
done
daemon=$dest$SB_SBINDIR/switchboardd
ctl_bin=$dest$SB_BINDIR/switchboardctl
plugindir=$dest$SB_PLUGINDIR

# The daemon installs like one: sample config with absolute paths, systemd
# unit, sysusers entry, man pages.
conf=$dest${SB_SYSCONFDIR:?}/switchboard/switchboard.yaml
for f in "$conf" "$dest${SB_MANDIR:?}/man8/switchboardd.8" \
	"$dest$SB_MANDIR/man1/switchboardctl.1" "$dest$SB_MANDIR/man5/switchboard.yaml.5" \
	"$dest${SB_SYSUSERSDIR:?}/switchboard.conf"; do
	[ -f "$f" ] || fail "not installed: ${f#"$dest"}"
done
if [ "${SB_UNITDIR:-no}" != no ]; then
	unit=$dest$SB_UNITDIR/switchboardd.service
	[ -f "$unit" ] || fail "not installed: $SB_UNITDIR/switchboardd.service"
	for want in "ExecStart=$SB_SBINDIR/switchboardd -c $SB_SYSCONFDIR/switchboard/switchboard.yaml" \
		User=switchboard StateDirectory=switchboard RuntimeDirectory=switchboard \
		ProtectSystem=strict NoNewPrivileges=yes Type=notify; do
		grep -qx "$want" "$unit" || fail "the unit lacks '$want'"
	done
fi
grep -q 'run/' "$conf" && grep -E '^ *(control_socket|database): run/' "$conf" &&
	fail "the installed config keeps relative run/ paths"
if command -v groff >/dev/null 2>&1; then
	for m in "$dest$SB_MANDIR"/man?/switchboard*; do
		out=$(groff -man -ww -z "$m" 2>&1)
		[ -z "$out" ] || fail "groff warns about ${m##*/}: $out"
	done
fi
SWITCHBOARD_PLUGIN_PATH=$plugindir "$dest$SB_SBINDIR/switchboardd" -t -c "$conf" \
	>"$tmp/check-installed.log" 2>&1 || fail "switchboardd -t on the installed config"
# A second install keeps the operator's file and puts the sample beside it.
echo "# edited" >>"$conf"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$make" -C "$SB_BUILDDIR" install-data DESTDIR="$dest" \
	>"$tmp/install2.log" 2>&1 || fail "make install-data again"
grep -q '^# edited' "$conf" || fail "a second make install overwrote the configuration"
[ -f "$conf.sample" ] || fail "no switchboard.yaml.sample beside a kept configuration"
# An installed .la names its final directory, which libltdl tries first: if
# this machine has a real switchboard there, the staged .so files are used
# directly so that this build, not that one, is tested.
if [ -e "$SB_PLUGINDIR/stub.so" ] || [ -e "$SB_PLUGINDIR/stub.la" ]; then
	echo "note: $SB_PLUGINDIR holds an installed switchboard; using the staged .so files"
	rm -f "$plugindir"/*.la
fi

# ---- 2. the example, out of tree ----
step "build examples/carrier_example against the installed headers"
cp -R "$SB_SRCDIR/examples/carrier_example" "$tmp/example" || fail "copy the example"
chmod -R u+w "$tmp/example"   # distcheck's source tree is read-only
export PKG_CONFIG_PATH="$dest$SB_LIBDIR/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
unset PKG_CONFIG_LIBDIR
pc_plugindir=$("$pkg_config" --variable=plugindir switchboard-plugin) ||
	fail "pkg-config cannot read the installed switchboard-plugin.pc"
case $pc_plugindir in
"$dest"*) ;;                 # pkgconf applies the sysroot to variables too
*) pc_plugindir=$dest$pc_plugindir ;;
esac
[ "$pc_plugindir" = "$plugindir" ] || fail "plugindir of the .pc is $pc_plugindir, not $plugindir"
build_example() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$make" -C "$tmp/example" PKG_CONFIG="$pkg_config" \
		CC="$cc" CFLAGS="-O2 -Wall -Wextra -Werror $*" clean all >"$tmp/example-build.log" 2>&1
}
build_example || fail "the example does not build against the installed headers"
grep -q -- "-I$dest" "$tmp/example-build.log" || fail "the example did not use the installed headers"
if grep -q -- "-I$SB_SRCDIR" "$tmp/example-build.log"; then
	fail "the example was built against the source tree"
fi

# ---- 3. the installed daemon ----
step "start the installed daemon"
echo "s3cret-token" >"$tmp/token"
"$py" "$SB_SRCDIR/tests/install/mock_api.py" "$tmp/mock.port" "$tmp/mock-requests.log" \
	s3cret-token 120 >"$tmp/mock.log" 2>&1 &
mock_pid=$!
wait_for 100 test -s "$tmp/mock.port" || fail "the mock API did not start"
mock_port=$(cat "$tmp/mock.port")
http_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# $1: extra plugin instances, $2: extra chains (JSON members, with a leading comma)
write_config() {
	sub_chains='"default"'
	[ -n "$2" ] && sub_chains='"default", "carrier"'
	cat >"$tmp/switchboard.yaml" <<EOF
{
  "daemon": {
    "control_socket": "$tmp/control.sock",
    "control_mode": "0600",
    "http_listen": "127.0.0.1:$http_port",
    "database": "$tmp/sb.db",
    "plugin_dir": "$plugindir",
    "log_level": "debug",
    "commit_interval": "2ms"
  },
  "retry": {"max_attempts": 2, "initial": "100ms", "max": "1s", "multiplier": 2, "jitter": 0},
  "plugins": {"sandbox": {"module": "stub", "delay": "5ms"} $1},
  "chains": {"default": [{"channel": "sandbox"}] $2},
  "subaccounts": {"acme": {
    "timezone": "UTC",
    "chains": [$sub_chains],
    "api_keys": ["sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"]
  }}
}
EOF
}
write_config "" ""
# Only the installed modules: no build tree on the search path.
env -u SWITCHBOARD_PLUGIN_PATH CARRIER_HOOK_TOKEN=hook-token \
	"$daemon" -c "$tmp/switchboard.yaml" >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
ctl() { "$ctl_bin" -s "$tmp/control.sock" "$@"; }
wait_for 100 ctl ping || fail "the installed daemon does not answer"

# $1 id, $2 status: wait up to 10 s.
status_is() { [ "$(ctl --json status "$1" | json_get 'd["status"]')" = "$2" ]; }
wait_status() { wait_for 100 status_is "$1" "$2" || fail "message $1 never became $2"; }

stub_file=$(ctl --json plugins | json_get '[m["file"] for m in d["modules"] if m["name"] == "stub"][0]')
case $stub_file in
"$plugindir"/*) ;;
*) fail "stub was loaded from $stub_file, not from $plugindir" ;;
esac
id=$(ctl --json send --to +5511999990001 --text "via the installed stub" | json_get 'd["id"]') ||
	fail "send through the stub"
wait_status "$id" accepted

# ---- 4. drop the module in, config reload ----
step "drop carrier_example.so into $plugindir; config reload"
r=$(ctl --json send --to +5511999990002 --text x --chain carrier 2>&1) &&
	fail "chain 'carrier' accepted before it was configured: $r"
cp "$tmp/example/carrier_example.so" "$plugindir/" || fail "copy the module"
write_config ", \"carrier\": {\"module\": \"carrier_example\",
    \"url\": \"http://127.0.0.1:$mock_port/v1/sms\", \"from\": \"ACME\",
    \"token\": {\"file\": \"$tmp/token\"}, \"webhook_token\": {\"env\": \"CARRIER_HOOK_TOKEN\"}}" \
	", \"carrier\": [{\"channel\": \"carrier\"}]"
ctl config reload >"$tmp/reload.log" 2>&1 || fail "config reload refused"
ctl --json plugins | json_get '[(m["version"], m["abi"], [i["name"] for i in m["instances"]])
	for m in d["modules"] if m["name"] == "carrier_example"][0]' >"$tmp/plugins.out" 2>&1 ||
	fail "carrier_example is not listed by 'plugins'"
grep -q "('1.0', '1.3', \['carrier'\])" "$tmp/plugins.out" || fail "plugins: $(cat "$tmp/plugins.out")"

id=$(ctl --json send --to +5511999990003 --text "olá via the example" --chain carrier |
	json_get 'd["id"]') || fail "send through the example"
wait_status "$id" accepted
"$py" - "$tmp/mock-requests.log" "$id" <<'EOF' || fail "the mock did not get the expected request"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
r = reqs[-1]
assert r["path"] == "/v1/sms", r
assert r["headers"]["authorization"] == "Bearer s3cret-token", r
assert len(r["headers"]["idempotency-key"]) == 36, r
assert r["form"]["to"] == "+5511999990003" and r["form"]["from"] == "ACME", r
assert r["form"]["text"] == "olá via the example", r
assert r["form"]["callback"].endswith("/hooks/carrier"), r
EOF
provider_id=$(ctl --json status "$id" | json_get 'd["attempts"][0]["provider_id"]')
case $provider_id in msg-*) ;; *) fail "provider id '$provider_id'" ;; esac

# A receipt: refused without the right token, taken with it.
post_receipt() {
	"$py" - "http://127.0.0.1:$http_port/hooks/carrier" "$1" "id=$provider_id&status=delivered" <<'EOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], data=sys.argv[3].encode(), method="POST")
req.add_header("X-Carrier-Token", sys.argv[2])
try:
    print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
}
[ "$(post_receipt wrong-token)" = 401 ] || fail "a receipt with a wrong token was not refused"
sleep 0.2
status_is "$id" accepted || fail "a refused receipt changed the message"
[ "$(post_receipt hook-token)" = 200 ] || fail "the receipt was not taken"
wait_status "$id" delivered

# A 404 from the carrier: undeliverable, the chain has no next step.
id=$(ctl --json send --to +5511999990404 --text "no route" --chain carrier | json_get 'd["id"]')
wait_status "$id" undeliverable

# ---- 5. a new build over the old file, plugin reload ----
step "new build in place; plugin reload carrier_example"
build_example "-DCARRIER_EXAMPLE_VERSION='\"1.1\"'" || fail "rebuild the example"
# Replace by rename, as an operator's install(1) does: the old mapping stays valid.
cp "$tmp/example/carrier_example.so" "$plugindir/carrier_example.so.new" &&
	mv "$plugindir/carrier_example.so.new" "$plugindir/carrier_example.so" || fail "replace the module"
ctl plugin reload carrier_example >>"$tmp/reload.log" 2>&1 || fail "plugin reload refused"
ctl --json plugins | json_get '[m["version"] for m in d["modules"]
	if m["name"] == "carrier_example" and m["current"]][0]' >"$tmp/plugins.out" 2>&1
[ "$(cat "$tmp/plugins.out")" = 1.1 ] || fail "after reload: $(cat "$tmp/plugins.out")"
id=$(ctl --json send --to +5511999990005 --text "after reload" --chain carrier | json_get 'd["id"]')
wait_status "$id" accepted

# ---- 6. clean stop ----
step "stop"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=
[ "$rc" -eq 0 ] || fail "the daemon exited with $rc"
grep -q "plugin module carrier_example reloaded" "$tmp/daemon.log" || fail "no reload in the log"
if grep -q "s3cret-token\|hook-token" "$tmp/daemon.log"; then
	fail "a secret reached the log"
fi
echo "PASS: installed, built out of tree, loaded live, sent, reloaded"
exit 0
