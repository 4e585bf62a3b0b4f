#!/usr/bin/env bash
# Load against a running release build, with wrk (apt-get install wrk): discovery,
# JWKS, and token issuance (client_credentials: client authentication, a grant row,
# an RS256 access token). SQLite by default; DATABASE_URL=postgres://… for PostgreSQL.
# It registers a client named load-PID in that database.
# Usage: bash benches/load.sh [seconds per endpoint, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "load.sh needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --release -q
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
db=${DATABASE_URL:-sqlite:$work/gatehouse.db}
export GATEHOUSE_DATABASE_URL=$db GATEHOUSE_LISTEN=127.0.0.1:18080 GATEHOUSE_LOG=warn GATEHOUSE_KEYS_ALGORITHMS=RS256
bin=target/release/gatehouse
secret=$($bin client add "load-$$" --grant-type client_credentials 2>/dev/null | sed -n 's/^client_secret: //p')
$bin serve & server=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
cat > "$work/token.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $(printf '%s' "load-$$:$secret" | base64 -w0)"
LUA
echo "store: ${db%%:*}, ${seconds}s per endpoint, 2 threads, 16 connections"
for target in "/.well-known/openid-configuration" "/jwks" "/token"; do
    script=(); [ "$target" = /token ] && script=(-s "$work/token.lua")
    printf '%-36s ' "$target"
    wrk -t2 -c16 -d"${seconds}s" --latency "${script[@]}" "http://127.0.0.1:18080$target" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
             END {printf "%10s req/s   p50 %8s   p99 %8s%s\n", rps, p50, p99, bad ? "   non-2xx " bad : ""}'
done
