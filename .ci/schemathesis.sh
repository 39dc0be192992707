#!/usr/bin/env bash
# Fuzzes the JSON API from its own OpenAPI document with schemathesis (PyPI), logged in as an
# administrator, on a fresh database holding the sample: no request may end in a 5xx.
# Usage: .ci/schemathesis.sh DATABASE_URL   (run from the project root, after `cargo build`)
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/debug/expertpool"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="$1" EXPERTPOOL_ADMIN_PASSWORD='Fuzz-Admin-Pass-1' ROCKET_PORT="$port" \
  ROCKET_ADDRESS=127.0.0.1 EXPERTPOOL_DATA_DIR="$work"
"$bin" import ../shared/data/sample > "$work/import.log"
"$bin" > "$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/login" && break; sleep 0.2; done
curl -s -c "$work/jar" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"Fuzz-Admin-Pass-1"}' "http://127.0.0.1:$port/api/v1/session" > /dev/null
cookie=$(awk '$6 == "ep_session" {print $7}' "$work/jar")
[ -n "$cookie" ] || { echo "schemathesis: could not log in" >&2; exit 1; }
# Logging out, signing out everywhere and editing accounts would end the fuzzer's own session.
timeout 900 st run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --header "Cookie: ep_session=$cookie" \
  --exclude-path-regex '^/(sessions?|users.*)$' \
  --checks not_a_server_error --max-examples 25 --request-timeout 30 -w 1 --no-color
if grep -q "internal error on" "$work/server.log"; then
  grep "internal error on" "$work/server.log" | head -20 >&2
  exit 1
fi
