#!/usr/bin/env bash
# Restores a dump of scripts/backup.sh into the database DATABASE_URL names, which must exist and be
# empty (createdb it first), then checks that its schema is at the head of this code's migrations.
#
#   scripts/restore.sh [--force] [--skip-schema-check] BACKUP.dump
#
# In order, stopping at the first failure (exit status 1; 3 when only the schema check failed):
#   1. BACKUP.dump.sha256 must be there and match (a copy damaged in transit or storage is refused).
#   2. The target must hold no table, view or sequence: restoring over a live database is refused and
#      changes nothing. --force restores anyway, dropping and recreating each object the dump holds
#      (pg_restore --clean --if-exists); objects the dump does not hold stay.
#   3. pg_restore --no-owner --no-privileges --exit-on-error --single-transaction: the objects belong
#      to the user of DATABASE_URL, and a failure leaves the target as it was.
#   4. `manage.py migrate --check --plan` against the target, with $PYTHON (default .venv/bin/python,
#      else python3) and the settings of DJANGO_SETTINGS_MODULE (manage.py's default: local).
#      --skip-schema-check skips it, for a machine without the portal's code: run it from the app
#      image afterwards.
# The portal then needs the same FIELD_ENCRYPTION_KEY and ID_HASH_KEY as the database the dump was
# made from: the dump holds ciphertext and lookup hashes, not the keys (docs/runbook.md section 6).
set -euo pipefail
. "$(dirname "$0")/pg_client.sh"

force=0
schema_check=1
dump=""
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --skip-schema-check) schema_check=0 ;;
    -*) pg_die "unknown option $arg (usage: restore.sh [--force] [--skip-schema-check] BACKUP.dump)" ;;
    *) [ -z "$dump" ] || pg_die "one dump at a time"; dump="$arg" ;;
  esac
done
[ -n "$dump" ] || pg_die "usage: restore.sh [--force] [--skip-schema-check] BACKUP.dump"
[ -f "$dump" ] || pg_die "$dump: no such file"

# 1. The checksum, before anything touches the database.
[ -f "$dump.sha256" ] || pg_die "$dump.sha256 is missing: refusing a dump whose checksum cannot be checked"
(cd "$(dirname "$dump")" && pg_sha256 --check --status "$(basename "$dump").sha256") ||
  pg_die "$dump does not match $dump.sha256: the file is damaged or not the one backed up; nothing restored"

url=$(pg_database_url)
bin=$(pg_client_dir)
pg_client_check "$bin" "$url"
"$bin/pg_restore" --list "$dump" >/dev/null ||
  pg_die "pg_restore $(pg_major_of "$bin/pg_restore") cannot read $dump (made by a newer pg_dump? set PG_BIN)"

# 2. An empty target.
relations=$("$bin/psql" --no-psqlrc --no-password --quiet --tuples-only --no-align --dbname="$url" --command="
  SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    AND n.nspname NOT LIKE 'pg_temp%'")
clean=()
if [ "$relations" -gt 0 ]; then
  [ "$force" = 1 ] ||
    pg_die "the target database is not empty ($relations tables, views or sequences): refusing to restore over it; nothing changed. Restore into a new database (createdb), or pass --force to replace what the dump holds"
  clean=(--clean --if-exists)
  echo "restore: --force: replacing the objects of the dump in a database with $relations relations"
fi

# 3. The restore, all or nothing.
started=$(date +%s)
"$bin/pg_restore" --no-password --no-owner --no-privileges --exit-on-error --single-transaction \
  "${clean[@]}" --dbname="$url" "$dump"
echo "restore: $dump restored in $(($(date +%s) - started)) s (pg_restore $(pg_major_of "$bin/pg_restore"))"

# 4. The schema is at this code's head.
if [ "$schema_check" = 1 ]; then
  python="${PYTHON:-}"
  if [ -z "$python" ]; then
    if [ -x "$pg_root/.venv/bin/python" ]; then python="$pg_root/.venv/bin/python"; else python=python3; fi
  fi
  if ! (cd "$pg_root" && DATABASE_URL="$url" "$python" manage.py migrate --check --plan); then
    echo "restore: the restored schema is not at this code's head (listed above): run manage.py migrate, or serve it with the release that made the dump" >&2
    exit 3
  fi
  echo "restore: schema at the head of the migrations"
fi
