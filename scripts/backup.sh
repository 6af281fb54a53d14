#!/usr/bin/env bash
# A full backup of the portal's database: pg_dump in custom format (-Fc, compressed, restored with
# scripts/restore.sh) of the database DATABASE_URL names, and a SHA-256 beside it.
#
#   scripts/backup.sh [OUTPUT.dump]          default backups/portal-YYYYmmddTHHMMSS.dump (git-ignored)
#   .venv/bin/python scripts/stack.py exec scripts/backup.sh     the embedded database of `make run`
#
# Writes OUTPUT and OUTPUT.sha256 (`sha256sum -c` format); exits non-zero on any failure and then
# leaves no OUTPUT behind. Identity and phone numbers are in the dump as the ciphertext the columns
# hold; the keys (FIELD_ENCRYPTION_KEY, ID_HASH_KEY) are not in it: a restore needs the same keys
# (docs/runbook.md section 6). Names and card numbers are in clear: keep the file as personal data.
set -euo pipefail
. "$(dirname "$0")/pg_client.sh"

out="${1:-$pg_root/backups/portal-$(date +%Y%m%dT%H%M%S).dump}"
[ ! -e "$out" ] || pg_die "$out already exists"
url=$(pg_database_url)
bin=$(pg_client_dir)
pg_client_check "$bin" "$url"

umask 077
mkdir -p "$(dirname "$out")"
partial="$out.partial"
finished=0
trap '[ "$finished" = 1 ] || rm -f "$partial" "$out" "$out.sha256"' EXIT
"$bin/pg_dump" --format=custom --no-password --dbname="$url" --file="$partial"
"$bin/pg_restore" --list "$partial" >/dev/null # the archive reads back (its table of contents)
mv "$partial" "$out"
(cd "$(dirname "$out")" && pg_sha256 "$(basename "$out")" >"$(basename "$out").sha256")
finished=1
echo "backup: $out ($(wc -c <"$out") bytes, pg_dump $(pg_major_of "$bin/pg_dump")), sha256 in $out.sha256"
