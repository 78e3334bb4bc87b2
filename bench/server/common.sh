# SPDX-License-Identifier: MIT
# Shared by bench/server/run and bench/server/soak (sourced, not run): builds the Release binary
# and the WebSocket client, starts `resync-mon serve --bench-prefill` on a free loopback port and
# stops what it started by PID on exit.
# Sets: binary, ws_client_binary, work (a temporary folder), serve_pid, port, base.

export PATH="$PATH:/usr/sbin:/sbin"
jobs=${JOBS:-$(nproc)}

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (scripts/deps --test installs it)" >&2; exit 1; }
  done
}

# 1,000 WebSocket clients plus wrk's connections need more descriptors than the usual 1,024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

build_release() {
  if [[ -z "${BUILD_DIR:-}" ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release -j"$jobs" --target resync-mon ws_clients
    BUILD_DIR=build-release
  else
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DRESYNC_BUILD_TESTS=OFF -DRESYNC_BUILD_BENCH=ON >/dev/null
    cmake --build "$BUILD_DIR" -j"$jobs" --target resync-mon ws_clients
  fi
  binary=$BUILD_DIR/resync-mon
  ws_client_binary=$BUILD_DIR/bench/server/ws_clients
}

# The binary of an older commit, for a row beside today's: a git worktree of that commit, built
# in Release once and kept (BASELINE_DIR, default ~/.cache/resync-mon-bench/COMMIT).
# Sets: baseline_binary.
build_baseline() {
  local commit=$1
  local dir=${BASELINE_DIR:-$HOME/.cache/resync-mon-bench/$commit}
  baseline_binary=$dir/build-release/resync-mon
  [[ -x "$baseline_binary" ]] && return
  if [[ ! -d "$dir" ]]; then
    mkdir -p "$(dirname "$dir")"
    git worktree add --detach "$dir" "$commit" >/dev/null
  fi
  (cd "$dir" && cmake --preset release >/dev/null && cmake --build --preset release -j"$jobs" --target resync-mon)
}

work=$(mktemp -d /tmp/resync-bench.XXXXXX)
chmod 755 "$work"  # nginx workers run as nobody
serve_pid=""
extra_pids=()
cleanup() {
  local pid
  for pid in "${extra_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Starts `BINARY serve` with its whole window filled (1,440 real samples stamped on the past grid),
# logging to LOG; sets started_pid and started_port.
start_binary() {
  local bin=$1 log=$2
  shift 2
  "$bin" serve --bench-prefill --bind 127.0.0.1:0 "$@" >"$log" 2>&1 &
  started_pid=$!
  started_port=""
  for _ in $(seq 1 300); do
    started_port=$(sed -n 's|.*dashboard at https\{0,1\}://127.0.0.1:\([0-9]*\)/monitoring.*|\1|p' "$log")
    [[ -n "$started_port" ]] && break
    kill -0 "$started_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$started_port" ]] || { echo "$bin did not start:" >&2; cat "$log" >&2; exit 1; }
}

# Starts today's serve; sets serve_pid, port and base.
start_serve() {
  start_binary "$binary" "$work/serve.log" "$@"
  serve_pid=$started_pid
  port=$started_port
  base="http://127.0.0.1:$port"
}
