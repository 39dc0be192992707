#!/usr/bin/env bash
# Keyword search at province scale: builds the release binary, generates a 30,000-expert
# registry with the sample generator, imports it into a fresh SQLite file, starts the service on
# 127.0.0.1, logs in and drives the expert list with wrk (2 threads, 16 connections).
#
#   benches/search.sh                    # everything, ~3 minutes after the release build
#   DATA=/tmp/s30 benches/search.sh      # reuse (or keep) the generated folder
#   EXPERTPOOL_BIN=/path/to/expertpool benches/search.sh   # another binary, no cargo build
#   DB=/tmp/s30.db benches/search.sh    # use (or create and keep) this database file
#
# Other settings: EXPERTS (30000), PROJECTS (10000), PORT (8731), DURATION (10s), WARMUP (4s), KEEP=1 keeps
# the temporary folder with the database. Only loopback traffic; wrk must be installed
# (`apt-get install -y wrk`).
set -euo pipefail
cd "$(dirname "$0")/.."

EXPERTS=${EXPERTS:-30000}
PROJECTS=${PROJECTS:-10000}
PORT=${PORT:-8731}
DURATION=${DURATION:-10s}
GENERATOR=${GENERATOR:-../shared/data/generate.py}
PASSWORD=Bench-Admin-Password-1

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
if [ -n "${EXPERTPOOL_BIN:-}" ]; then
  BIN=$EXPERTPOOL_BIN
else
  cargo build --release
  BIN=${CARGO_TARGET_DIR:-target}/release/expertpool
fi

WORK=$(mktemp -d /tmp/expertpool-search.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

DATA=${DATA:-$WORK/data}
if [ ! -f "$DATA/experts.csv" ]; then
  echo "generating $EXPERTS experts, $PROJECTS projects into $DATA"
  python3 "$GENERATOR" --seed 7 --experts "$EXPERTS" --projects "$PROJECTS" --out "$DATA" >/dev/null
fi

DB=${DB:-$WORK/db/expertpool.db}
export DATABASE_URL="sqlite://$DB?mode=rwc"
export EXPERTPOOL_ADMIN_PASSWORD=$PASSWORD
export ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT=$PORT
if [ ! -f "$DB" ]; then
  start=$(date +%s.%N)
  "$BIN" import "$DATA"
  echo "import: $(echo "$(date +%s.%N) - $start" | bc) s, database $(du -m "$DB" | cut -f1) MB"
fi

start=$(date +%s.%N)
"$BIN" serve >"$WORK/serve.log" 2>&1 &
server=$!
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 600); do
  curl -s -o /dev/null "$base/login" && break
  kill -0 "$server" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  sleep 0.1
done
echo "service up after $(echo "$(date +%s.%N) - $start" | bc) s"

curl -s -c "$WORK/jar" -o /dev/null -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$base/api/v1/session"
cookie=$(sed 's/^#HttpOnly_//' "$WORK/jar" | awk '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }')
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }

# The service reads the registry into memory at start (the scheduler's first round: the
# engine's profile analysis, then the expert list); measure after it, as a user would meet it.
wrk -t2 -c4 -d"${WARMUP:-4s}" -H "Cookie: $cookie" "$base/api/v1/experts" >/dev/null

urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="=&"))' "$1"; }

printf '\n%8s %10s %9s %9s %9s %8s  %s\n' total "req/s" p50 p90 p99 timeouts "GET /api/v1/experts?…"
for query in "q=土壤" "q=冶金" "q=王伟" "q=土壤修复" "q=copper" "q=研究" "discipline=450&region=outside" ""; do
  url="$base/api/v1/experts?$(urlencode "$query")"
  total=$(curl -s -H "Cookie: $cookie" "$url" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')
  out=$(wrk -t2 -c16 -d"$DURATION" --latency -H "Cookie: $cookie" "$url")
  if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; exit 1; fi
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  pct() { echo "$out" | awk -v p="$1" '$1 == p { print $2 }'; }
  timeouts=$(echo "$out" | awk -F'timeout ' '/Socket errors/ { print $2 + 0 }')
  printf '%8s %10s %9s %9s %9s %8s  %s\n' "$total" "$rps" "$(pct 50%)" "$(pct 90%)" "$(pct 99%)" "${timeouts:-0}" "${query:-(no filter)}"
done
