#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster (Debian's postgresql package) in a temporary
# directory, on loopback only, trusting local connections: the shared store of the
# several-nodes tests. Installs the package when it is missing. Prints the connection to
# use (libpq key=value), e.g.
#   export SIMPLE_RS_POSTGRES="$(interop/postgres/start.sh)"
# and interop/postgres/stop.sh stops it and removes the directory.
#   PGPORT (default 55432) picks the port; PGFSYNC=on keeps fsync (default off: a test
#   cluster, thrown away; the benches measure with it on).
set -euo pipefail
PORT="${PGPORT:-55432}"
STATE="${TMPDIR:-/tmp}/simple-rs-postgres-$PORT"
bin=""
find_bin() { bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"; }
find_bin
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  export DEBIAN_FRONTEND=noninteractive
  policy=0; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1; }
  { apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }; } || true
  if [ "$policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  find_bin
fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "postgresql could not be installed" >&2; exit 2; }
# the server refuses to run as root: run it as the package's user when we are root
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ -f "$STATE/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$STATE/data" status >/dev/null 2>&1; then
  echo "host=127.0.0.1 port=$PORT user=postgres dbname=postgres"
  exit 0
fi
rm -rf "$STATE"; mkdir -p "$STATE"
if [ "$(id -u)" = 0 ]; then chown postgres: "$STATE"; fi
as_pg "$bin/initdb" -D "$STATE/data" -U postgres -A trust --no-sync -E UTF8 >"$STATE/initdb.log" 2>&1 \
  || { cat "$STATE/initdb.log" >&2; exit 1; }
# loopback only; the socket in the state directory
as_pg "$bin/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -t 60 \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -k $STATE -c fsync=${PGFSYNC:-off} -c max_connections=200" start >/dev/null \
  || { cat "$STATE/server.log" >&2; exit 1; }
echo "host=127.0.0.1 port=$PORT user=postgres dbname=postgres"
