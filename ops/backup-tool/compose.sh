# shellcheck shell=bash disable=SC2154 # root and program are set by ops/backup and ops/restore, which source this
# The Docker Compose side of ops/backup and ops/restore, sourced by both. Everything goes through
# `docker compose` in the repository (one fixed project name, `.env` beside docker-compose.yml):
# pg_dump and pg_restore run inside the postgres container, so their version always matches the
# server's; `mc mirror` runs in a one-off container of the MinIO image on the compose network.
# The host needs only bash, coreutils and Docker.

say() { printf '%s\n' "$*"; }
die() {
  printf '%s: %s\n' "$program" "$*" >&2
  exit 1
}

# From the repository folder and without -f, as the deploy hook runs it: COMPOSE_FILE in .env (the
# Tailscale sidecar layout, say; README, "On your server") applies here too.
compose() { (cd "$root" && docker compose --project-directory "$root" "$@"); }

# The bucket the gateway and worker use (S3_BUCKET in docker-compose.yml).
bucket=nebula

# A one-off container of the MinIO image with `mc` pointed at the running MinIO as "nebula";
# extra `docker compose run` options first, then `--`, then the shell commands to run.
# The credentials never reach a command line (neither docker's nor mc's, where `ps` would show
# them): the container has MINIO_ROOT_USER and MINIO_ROOT_PASSWORD from the service's own
# environment, and mc reads them from MC_HOST_nebula, built inside the container.
mc_run() {
  local options=()
  while [[ $1 != -- ]]; do
    options+=("$1")
    shift
  done
  shift
  compose run --rm --no-deps -T "${options[@]}" --entrypoint sh minio -c "$mc_login$1"
}

# mc takes the keys in MC_HOST_<alias> as they are, without URL decoding: everything up to the
# first ':' is the access key, and a second ':' would start a session token. So a ':' in either
# key cannot be passed this way; `openssl rand -hex 24` (.env.example) never makes one.
# shellcheck disable=SC2016 # expanded by the container's shell
mc_login='case $MINIO_ROOT_USER$MINIO_ROOT_PASSWORD in
  *:*) echo "MINIO_ROOT_USER or MINIO_ROOT_PASSWORD in .env contains a colon, which mc cannot take in MC_HOST_nebula: change the password (openssl rand -hex 24)" >&2; exit 2 ;;
esac
export MC_CONFIG_DIR=/tmp/mc MC_HOST_nebula="http://$MINIO_ROOT_USER:$MINIO_ROOT_PASSWORD@minio:9000"
'

require_running() {
  local running service
  running=$(compose ps --status running --services) || die "docker compose cannot list the stack's services (is Docker running, and is this the repository with docker-compose.yml?)"
  for service in "$@"; do
    grep -qx "$service" <<<"$running" || die "the compose service $service is not running: start the stack first (docker compose up -d)"
  done
}

# ops/backup, ops/restore: compose when asked, or when there is no sign of an embedded stack
# (running or stopped) and Docker is there; embedded otherwise (it explains itself when it finds nothing).
choose_mode() {
  local data=${NEBULA_DATA_DIR:-$root/data}
  if [[ -n ${DATABASE_URL:-} || -f $data/run/stack.json || -f $data/embedded-secrets.json ]]; then
    echo embedded
  elif command -v docker >/dev/null 2>&1; then
    echo compose
  else
    echo embedded
  fi
}

run_embedded() {
  local loader=$root/node_modules/tsx/dist/loader.mjs
  [[ -f $loader ]] || die "the npm dependencies are missing: run npm ci (or npm start once) in $root first"
  # One Node process, with tsx as its loader: tsx's own CLI would run a second one and relay signals,
  # and it SIGKILLs that child if it does not answer within 30 ms, which on a busy machine cut
  # Ctrl-C's undo (stop Postgres, remove the .partial folder) short.
  exec node --import "file://$loader" "$root/ops/backup-tool/cli.ts" "$@"
}

compose_backup() {
  [[ $# -le 1 ]] || die "one destination folder at most (usage: ops/backup --compose [<dest-dir>])"
  # The default lives under ./data: never in git, never in a Docker build context.
  local dest=${1:-$root/data/backups} created stamp final
  require_running postgres minio
  created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  stamp=${created//:/-}
  mkdir -p "$dest"
  dest=$(cd "$dest" && pwd)
  final=$dest/$stamp
  partial=$final.partial
  [[ ! -e $final ]] || die "$final already exists"
  mkdir -p "$partial/objects"
  # Built beside its final name, renamed when complete; a failure leaves nothing half-made.
  trap 'rm -rf "$partial"' EXIT

  say "dumping the database (pg_dump --format=custom in the postgres container)"
  compose exec -T postgres pg_dump --username=nebula --dbname=nebula --format=custom --no-owner >"$partial/database.pgdump" ||
    die "pg_dump failed (see above)"
  say "copying the objects (mc mirror of the MinIO bucket $bucket)"
  mc_run --user "$(id -u):$(id -g)" -v "$partial/objects:/backup/objects" -- "mc mirror --quiet $upload_state_excludes nebula/$bucket /backup/objects" ||
    die "mc mirror failed (see above)"

  local bytes sha count objects_bytes
  bytes=$(stat -c %s "$partial/database.pgdump")
  sha=$(sha256sum "$partial/database.pgdump" | cut -d ' ' -f 1)
  count=$(find "$partial/objects" -type f | wc -l)
  objects_bytes=$(find "$partial/objects" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  cat >"$partial/manifest.json" <<JSON
{
  "nebulaBackup": 1,
  "createdAt": "$created",
  "source": "compose",
  "database": {
    "file": "database.pgdump",
    "format": "pg_dump-custom",
    "bytes": $bytes,
    "sha256": "$sha"
  },
  "objects": {
    "dir": "objects",
    "count": $count,
    "bytes": $objects_bytes
  }
}
JSON
  # On disk before it takes its final name: a power cut must not leave a "complete" backup
  # whose files were still in the page cache. (-f: the whole file system, one syncfs call.)
  sync -f "$partial"
  mv "$partial" "$final"
  trap - EXIT
  sync -f "$final"
  say "database: $bytes bytes; objects: $count ($objects_bytes bytes)"
  say "backup written to $final"
}

compose_restore() {
  local force=false dir
  if [[ ${1:-} == --force ]]; then
    force=true
    shift
  fi
  [[ $# -eq 1 ]] || die "name one backup folder (usage: ops/restore --compose [--force] <backup-dir>)"
  dir=$(cd "$1" 2>/dev/null && pwd) || die "$1 is not a folder"
  [[ -f $dir/manifest.json ]] || die "$dir is not a Nebula backup: it has no manifest.json"
  grep -q '"format": "pg_dump-custom"' "$dir/manifest.json" ||
    die "$dir was made from the embedded stack (npm start): restore it with ops/restore (without --compose)"
  # Everything about the folder is checked before Docker is asked anything: a refused restore
  # changes nothing and stops nothing.
  local expected actual
  expected=$(sed -n 's/.*"sha256": "\([0-9a-f]\{64\}\)".*/\1/p' "$dir/manifest.json")
  [[ -f $dir/database.pgdump ]] || die "the backup is incomplete: $dir/database.pgdump is missing"
  actual=$(sha256sum "$dir/database.pgdump" | cut -d ' ' -f 1)
  [[ $actual == "$expected" ]] || die "the database dump $dir/database.pgdump is damaged: its sha256 is $actual, the manifest says $expected"
  local count bytes want_count want_bytes
  [[ -d $dir/objects ]] || die "the backup is incomplete: $dir/objects/ (the originals, renditions and posters) is missing"
  want_count=$(sed -n '/"objects": {/,/}/s/.*"count": \([0-9]*\).*/\1/p' "$dir/manifest.json")
  want_bytes=$(sed -n '/"objects": {/,/}/s/.*"bytes": \([0-9]*\).*/\1/p' "$dir/manifest.json")
  count=$(find "$dir/objects" -type f | wc -l)
  bytes=$(find "$dir/objects" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  [[ $count == "$want_count" && $bytes == "$want_bytes" ]] ||
    die "the backup's objects do not match its manifest: $dir/objects holds $count files ($bytes bytes), the manifest says ${want_count:-?} (${want_bytes:-?} bytes); copy the whole backup folder again"
  require_running postgres minio

  # Empty means: no file or event rows (or no Nebula tables at all), and no object in the bucket.
  local rows objects
  rows=$(compose exec -T postgres psql --username=nebula --dbname=nebula -tA -v ON_ERROR_STOP=1 <<'SQL'
SELECT to_regclass('public.entries') IS NOT NULL AND to_regclass('public.events') IS NOT NULL AS has_tables \gset
\if :has_tables
SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM events);
\else
SELECT 0;
\endif
SQL
  ) || die "cannot count the rows in the database (see above)"
  # No bucket yet (a stack whose gateway never started) is empty; any other failure (MinIO not
  # ready, wrong credentials) is an answer we cannot judge by, so it stops the restore.
  objects=$(mc_run -- "$first_object_script") ||
    die "cannot list the MinIO bucket $bucket (see above): is MinIO up, and are MINIO_ROOT_USER and MINIO_ROOT_PASSWORD in .env the ones it started with?"
  if [[ ${rows//[[:space:]]/} != 0 || -n $objects ]]; then
    [[ $force == true ]] || die "the stack is not empty (${rows//[[:space:]]/} file and event rows${objects:+, objects in the bucket}): restore into an empty stack, or pass --force to replace what it holds"
    say "--force: replacing what the stack holds"
  fi

  say "stopping the gateway and the worker"
  compose stop gateway worker
  trap 'say "starting the gateway and the worker again"; compose start gateway worker' EXIT
  say "restoring the database (pg_restore and psql in the postgres container, one transaction)"
  compose exec -T postgres sh -c "$restore_database_script" sh "$drop_tables_sql" "$drop_unfinished_uploads_sql" <"$dir/database.pgdump" ||
    die "the database restore failed (see above); the database is as it was before"
  say "restoring the objects (mc mirror into the MinIO bucket $bucket)"
  mc_run -v "$dir/objects:/backup/objects:ro" -- "mc mb --ignore-existing nebula/$bucket >/dev/null && mc mirror --quiet --overwrite --remove /backup/objects nebula/$bucket" ||
    die "mc mirror failed (see above): the database is restored but the bucket may be missing objects; run ops/restore --compose --force $dir again"
  # Jobs in flight at backup time lived in Redis, which no backup holds: say how to run them again.
  local unfinished
  unfinished=$(compose exec -T postgres psql --username=nebula --dbname=nebula -tA -F ' ' -c "$unfinished_media_sql") || unfinished=
  if [[ -n $unfinished ]]; then
    say "videos that were waiting for or in the middle of their transcode when the backup was made; start them again with:"
    while read -r event path; do say "  nebula replay $event   # $path"; done <<<"$unfinished"
  fi
  say "restored from $dir"
}

# The bucket's first entry (non-recursive: a top-level prefix is enough to know it is not empty),
# nothing when there is no bucket, and a failure for anything else mc runs into.
# shellcheck disable=SC2016 # expanded by the container's shell
first_object_script='buckets=$(mc ls nebula) || exit 1
case "$buckets" in *" '"$bucket"'/"*) ;; *) exit 0 ;; esac
listing=$(mc ls nebula/'"$bucket"') || exit 1
printf "%s\n" "$listing" | head -n 1'

# tus keeps an upload's state beside its object: originals/<id>.info (its metadata) and, while it
# runs, originals/<id>.part (the tail too small for an S3 part), both from @tus/s3-store. They are
# not objects of any file: a restored upload cannot resume (its client's session and its S3
# multipart parts are gone), and a finished one needs neither.
upload_state_excludes="--exclude 'originals/*.info' --exclude 'originals/*.part'"

# Runs in the postgres container with the dump on stdin, $1 = drop_tables_sql, $2 =
# drop_unfinished_uploads_sql. pg_restore turns the whole dump into SQL first, so a dump it cannot
# read stops this before the database is touched; psql then empties the schema, loads the dump and
# drops the unfinished uploads in ONE transaction: any error rolls all of it back. Every table goes,
# not only those in the dump: the dump brings its own tables and migration history, and a newer
# release's migrations then run from there when the gateway starts (a table of theirs left standing
# would make them fail). --clean --if-exists drops the rest (functions). The dump's SQL empties
# search_path, hence public.entries below; the NOTICEs of DROP ... CASCADE are left out.
# shellcheck disable=SC2016 # expanded by the container's shell
restore_database_script='set -e
sql=$(mktemp)
trap '\''rm -f "$sql"'\'' EXIT
pg_restore --clean --if-exists --no-owner --file="$sql"
PGOPTIONS="-c client_min_messages=warning" psql --username=nebula --dbname=nebula --single-transaction -v ON_ERROR_STOP=1 -q -c "$1" -f "$sql" -c "$2"'

# Uploads that were running at backup time: their rows hold a name with no bytes behind it.
drop_unfinished_uploads_sql="DELETE FROM public.entries WHERE status = 'uploading'"

# The same query as UNFINISHED_MEDIA_SQL in database-dump.ts.
unfinished_media_sql="SELECT e.id, e.data->>'path' FROM entries f JOIN LATERAL (SELECT id, data FROM events WHERE subject = 'file:' || f.id AND type = 'upload.completed' ORDER BY id DESC LIMIT 1) e ON true WHERE f.kind = 'file' AND f.media_status IN ('queued', 'processing') ORDER BY e.id"

drop_tables_sql="DO \$\$ DECLARE t record; BEGIN FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', t.tablename); END LOOP; END \$\$"
