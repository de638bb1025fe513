#!/usr/bin/env bash
# Stop the throwaway PostgreSQL started by scripts/postgres-start.sh. Pass --wipe to delete its data dir too.
set -euo pipefail

data="${LOOP_PG_DATA:-/tmp/loop-pg}"

bindir() {
  if [[ -n "${LOOP_PG_BIN:-}" ]]; then echo "$LOOP_PG_BIN"; return; fi
  local dir
  dir="$(pg_config --bindir 2>/dev/null || true)"
  if [[ -x "$dir/pg_ctl" ]]; then echo "$dir"; return; fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    if [[ -x "$dir/pg_ctl" ]]; then echo "$dir"; return; fi
  done
  return 1
}

if [[ -s "$data/PG_VERSION" ]]; then
  bin="$(bindir)" || { echo "postgres-stop: no pg_ctl found" >&2; exit 1; }
  if runuser -u postgres -- "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$data" -m fast -w stop >&2
  else
    echo "postgres-stop: not running (data $data)" >&2
  fi
else
  echo "postgres-stop: no data dir at $data" >&2
fi

if [[ "${1:-}" == "--wipe" ]]; then
  rm -rf "$data" "$data.log"
fi
