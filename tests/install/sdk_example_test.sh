#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Consumption test of the installed SDK, as a plugin author would go: install resync-mon into a
# fresh prefix, build examples/plugins/queue_depth against it with find_package(ResyncMon), install
# the plugin beside the bundled ones, then check that the installed binary loads it by default
# search order and serves, exports and alerts on its series.
# Usage: sdk_example_test.sh CMAKE BUILD_DIR SOURCE_DIR WORK_DIR CXX_COMPILER
set -euo pipefail

cmake=$1 build=$2 source=$3 work=$4 cxx=$5
prefix=$work/prefix
server_pid=

fail() {
  echo "FAIL: $*" >&2
  [[ -f $work/serve.log ]] && sed 's/^/serve: /' "$work/serve.log" >&2
  exit 1
}
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# A fixed folder in the build tree, emptied first: stable paths let ccache reuse the example's
# object across runs, and a failed run leaves its files to look at.
rm -rf "$work"
mkdir -p "$work"

"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  fail "cmake --install (is everything built?): $(cat "$work/install.log")"
[[ -x $prefix/bin/resync-mon ]] || fail "no bin/resync-mon in $prefix"
# The TLS module beside the plugins' folder, found by the installed binary: an https URL gets as far
# as connecting (nothing listens on port 9 of the loopback).
[[ -f $prefix/lib/resync-mon/resync-mon-tls.so ]] || fail "no lib/resync-mon/resync-mon-tls.so in $prefix"
https_out=$("$prefix/bin/resync-mon" current --url https://127.0.0.1:9 2>&1) && fail "https to port 9 succeeded"
grep -q 'connection refused' <<<"$https_out" || fail "the installed binary's https: $https_out"
# lib/<multiarch>/cmake when the build was configured for the /usr prefix.
[[ -n $(find "$prefix" -path '*/cmake/ResyncMon/ResyncMonConfig.cmake') ]] ||
  fail "no ResyncMon package config in $prefix"
[[ -f $prefix/include/resync/plugin_abi.h ]] || fail "no ABI header in $prefix"
[[ ! -e $prefix/etc ]] || fail "cmake --install wrote etc/: the unit and config are the .deb's only"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
"$cmake" -S "$source/examples/plugins/queue_depth" -B "$work/example-build" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >"$work/example-configure.log" ||
  fail "configuring the example against $prefix: $(cat "$work/example-configure.log")"
"$cmake" --build "$work/example-build" >"$work/example-build.log" 2>&1 ||
  fail "building the example: $(cat "$work/example-build.log")"
"$cmake" --install "$work/example-build" --prefix "$prefix" >/dev/null
[[ -f $prefix/lib/resync-mon/plugins/queue_depth.so ]] ||
  fail "the example did not install into lib/resync-mon/plugins"

# Five queued items; a dot file (still being written) and another suffix are not counted.
spool=$work/spool
mkdir -p "$spool"
for i in 1 2 3 4 5; do echo "item $i" >"$spool/$i.msg"; done
touch "$spool/.partial.msg" "$spool/notes.txt"

# No plugin_dir: the installed binary must find both plugins in its own lib/resync-mon/plugins.
config=$work/resync.yaml
cat >"$config" <<EOF
interval: 1s
window: 10m
collectors:
  - plugin: system
  - {plugin: queue_depth, name: outbox, path: "$spool", suffix: .msg}
alerts:
  - {metric: queue_depth, above: {warning: 3, critical: 100}}
EOF
"$prefix/bin/resync-mon" config check "$config" || fail "config check rejected $config"
plugins=$("$prefix/bin/resync-mon" plugins) || fail "resync-mon plugins"
so=$prefix/lib/resync-mon/plugins/queue_depth.so
awk -v so="$so" '$1 == "queue_depth" && $2 == 1 && $3 == so {found = 1} END {exit !found}' \
  <<<"$plugins" ||
  fail "resync-mon plugins does not list the example from the installed folder: $plugins"
grep -qE '^ +queue_oldest_age_seconds +gauge +seconds +Age of the oldest' <<<"$plugins" ||
  fail "resync-mon plugins does not show the example's series descriptions: $plugins"

"$prefix/bin/resync-mon" serve --config "$config" --bind 127.0.0.1:0 >"$work/serve.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 300); do
  url=$(sed -n 's|.*dashboard at \(http://[^/]*\)/monitoring.*|\1|p' "$work/serve.log")
  [[ -n $url ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "serve exited"
  sleep 0.1
done
[[ -n $url ]] || fail "serve printed no address"

# Waits up to 30 s (longer on a loaded machine: each try takes its time) for a JSON document at $1 on which the Python expression $2 (over `d`) holds.
wait_json() {
  local check="import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($2) else 1)"
  for _ in $(seq 300); do
    if curl -sf "$url$1" | python3 -c "$check" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  fail "$1: never satisfied $2; last: $(curl -s "$url$1")"
}

wait_json /api/monitoring/current 'd.get("queue", {}).get("depth") == 5'
wait_json /api/monitoring/current 'd["queue"]["oldest_age_seconds"] >= 0'
wait_json /api/monitoring/history '5 in d.get("queue", {}).get("depth", [])'
wait_json /api/monitoring/history 'len(d["series"]["queue_oldest_age_seconds"]) == d["sample_count"]'
wait_json /api/monitoring/alerts 'any(a["type"] == "queue_depth" and a["severity"] == "warning"
                                      and a["active"] for a in d["alerts"])'

metrics=$(curl -sf "$url/metrics") || fail "/metrics"
grep -qxF '# HELP resync_mon_queue_depth Files waiting in the queue directory.' <<<"$metrics" ||
  fail "/metrics lacks the HELP line of queue_depth"
grep -qxF '# TYPE resync_mon_queue_depth gauge' <<<"$metrics" ||
  fail "/metrics lacks the TYPE line of queue_depth"
grep -qxF 'resync_mon_queue_depth{instance="outbox"} 5' <<<"$metrics" ||
  fail "/metrics lacks the value of queue_depth"
grep -q '^# TYPE resync_mon_queue_oldest_age_seconds gauge$' <<<"$metrics" ||
  fail "/metrics lacks queue_oldest_age_seconds"

kill "$server_pid"
wait "$server_pid" || fail "serve exited with $? on SIGTERM"
server_pid=
rm -rf "$work"
echo "ok: the example plugin built against $prefix is served, exported and alerted on"
