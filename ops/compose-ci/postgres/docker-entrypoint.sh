#!/bin/bash
# Stand-in for the postgres image's entrypoint: first start (no PG_VERSION in $PGDATA) runs initdb
# with POSTGRES_USER and POSTGRES_PASSWORD and creates POSTGRES_DB; then postgres listens on every
# address with scram-sha-256 password auth, as the postgres user.
set -euo pipefail
if [[ ${1:-} != postgres ]]; then exec "$@"; fi
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (as for the real postgres image)}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
chmod 700 "$PGDATA"
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  gosu postgres initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
  rm -f "$pwfile"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  gosu postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [[ $db != postgres ]]; then gosu postgres createdb --username="$user" "$db"; fi
  gosu postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "PostgreSQL init process complete; ready for start up."
fi
shift
exec gosu postgres postgres -c listen_addresses='*' "$@"
