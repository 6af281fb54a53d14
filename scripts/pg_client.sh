# Sourced by scripts/backup.sh and scripts/restore.sh: the database they work on and the PostgreSQL
# client programs they use.
#
# Which client: pg_dump refuses a server newer than itself ("aborting because of server version
# mismatch"), and pg_restore cannot read an archive written by a newer pg_dump ("unsupported version
# (1.15) in file header": PostgreSQL 16 writes archive 1.15, 15 reads up to 1.14). A newer client
# dumps an older server and reads older archives. So the newest client on the machine is taken, and
# checked against the server: on the development machine the embedded server of `make run` is
# PostgreSQL 16 (pgserver) while Debian's client on PATH is 15, and pgserver's wheel ships its own 16
# client under .venv, which is found here. Looked at, newest first wins:
#   $PG_BIN (a directory; when set, only it), pgserver's binaries in .venv,
#   /usr/lib/postgresql/*/bin (Debian, Ubuntu), /usr/pgsql-*/bin (RHEL), the directory of pg_dump on PATH.

pg_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

pg_die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# The database: DATABASE_URL (what the portal reads; `stack.py exec` sets it to the embedded server).
# libpq takes postgres:// and postgresql:// URLs, with ?host=/socket/dir for a Unix socket.
pg_database_url() {
  local url="${DATABASE_URL:-}"
  [ -n "$url" ] || pg_die "DATABASE_URL is not set (or run me through: .venv/bin/python scripts/stack.py exec $0 ...)"
  case "$url" in
    postgres://* | postgresql://*) echo "$url" ;;
    pgsql://* | postgis://*) echo "postgresql://${url#*://}" ;;
    *) pg_die "DATABASE_URL is not a PostgreSQL URL (postgres://user:password@host:port/name)" ;;
  esac
}

# The major version of a client program ("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" -> 15).
pg_major_of() {
  "$1" --version 2>/dev/null | sed -nE 's/.*\(PostgreSQL\) ([0-9]+).*/\1/p'
}

# The directory of the newest complete client (pg_dump, pg_restore and psql side by side).
pg_client_dir() {
  local dirs=() dir best="" best_major=0 major
  if [ -n "${PG_BIN:-}" ]; then
    dirs=("$PG_BIN")
  else
    shopt -s nullglob
    dirs=("$pg_root"/.venv/lib/python3*/site-packages/pgserver/pginstall/bin
      /usr/lib/postgresql/*/bin /usr/pgsql-*/bin)
    shopt -u nullglob
    if command -v pg_dump >/dev/null 2>&1; then dirs+=("$(dirname "$(command -v pg_dump)")"); fi
  fi
  for dir in "${dirs[@]}"; do
    [ -x "$dir/pg_dump" ] && [ -x "$dir/pg_restore" ] && [ -x "$dir/psql" ] || continue
    major=$(pg_major_of "$dir/pg_dump")
    if [ -n "$major" ] && [ "$major" -gt "$best_major" ]; then best="$dir" best_major="$major"; fi
  done
  [ -n "$best" ] || pg_die "no PostgreSQL client (pg_dump, pg_restore, psql) found; install postgresql-client or set PG_BIN"
  echo "$best"
}

# The server's major version (150020 -> 15), through the chosen psql.
pg_server_major() {
  local num
  num=$("$1/psql" --no-psqlrc --no-password --quiet --tuples-only --no-align \
    --dbname="$2" --command="SHOW server_version_num") || pg_die "cannot connect to the database of DATABASE_URL (is the server up, and does the database exist?)"
  echo $((num / 10000))
}

# Refuses a client older than the server: its pg_dump would refuse, and an old pg_restore may not
# know what the server's dump holds.
pg_client_check() {
  local client server
  client=$(pg_major_of "$1/pg_dump")
  server=$(pg_server_major "$1" "$2")
  [ "$client" -ge "$server" ] ||
    pg_die "the newest PostgreSQL client found ($1, version $client) is older than the server ($server); install postgresql-client-$server or set PG_BIN"
}

pg_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}
