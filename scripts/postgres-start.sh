#!/usr/bin/env bash
# Start a throwaway PostgreSQL for tests and benchmarks (Debian's packages, run as root).
# Idempotent: when the server in the data dir is already running, it only prints the URL.
# The last line on stdout is the connection URL, e.g. postgres://postgres@127.0.0.1:55432/loop
#
# Environment:
#   LOOP_PG_DATA   data directory   (default /tmp/loop-pg)
#   LOOP_PG_PORT   TCP port         (default 55432, bound on 127.0.0.1 only)
#   LOOP_PG_DB     database created (default loop)
#   LOOP_PG_BIN    PostgreSQL bin directory (default: pg_config --bindir, else /usr/lib/postgresql/*/bin)
set -euo pipefail

data="${LOOP_PG_DATA:-/tmp/loop-pg}"
port="${LOOP_PG_PORT:-55432}"
db="${LOOP_PG_DB:-loop}"
log="$data.log"

find_bindir() {
  if [[ -n "${LOOP_PG_BIN:-}" ]]; then echo "$LOOP_PG_BIN"; return; fi
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then echo "$dir"; return; fi
  fi
  # Newest installed major version first.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then echo "$dir"; return; fi
  done
  return 1
}

bin="$(find_bindir)" || {
  echo "postgres-start: no PostgreSQL server binaries found; install them with: apt-get install -y postgresql" >&2
  exit 1
}

if [[ "$(id -u)" != 0 ]]; then
  echo "postgres-start: run as root (it uses runuser to act as the postgres user)" >&2
  exit 1
fi
as_pg() { runuser -u postgres -- "$@"; }

mkdir -p "$(dirname "$data")"
if [[ ! -s "$data/PG_VERSION" ]]; then
  mkdir -p "$data"
  chown postgres:postgres "$data"
  chmod 700 "$data"
  as_pg "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=reject >&2
  # Trust only loopback TCP; everything else is rejected.
  cat >"$data/pg_hba.conf" <<HBA
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
HBA
  # Tuned for tests: durability stays (fsync on), but fewer checkpoints and a bigger cache.
  cat >>"$data/postgresql.conf" <<CONF

# --- loop test settings (scripts/postgres-start.sh) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 200
shared_buffers = 256MB
work_mem = 16MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
checkpoint_timeout = 15min
wal_buffers = 16MB
synchronous_commit = on
fsync = on
log_min_messages = warning
CONF
fi

touch "$log"
chown postgres:postgres "$log"

if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  echo "postgres-start: already running (data $data)" >&2
else
  as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "-p $port" start >&2 || {
    echo "postgres-start: failed to start; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  }
fi

exists="$(as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc \
  "SELECT 1 FROM pg_database WHERE datname = '$db'")"
if [[ "$exists" != 1 ]]; then
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db" >&2
fi

echo "postgres://postgres@127.0.0.1:$port/$db"
