# shellcheck shell=bash disable=SC2154 # root and program are set by ops/backup and ops/restore, which source this
# What ops/backup and ops/restore share, sourced by both: which stack to use, and how to run the
# one backup tool (cli.ts, one format for both stacks) against it.
# - embedded: on the host, in one Node process with tsx as its loader.
# - compose: in a one-off container of the gateway's image (`docker compose run gateway`), which
#   has the tool bundled (server/Dockerfile) and the gateway service's own settings: the database
#   and MinIO credentials never leave the compose project, and the host needs only bash and Docker.
#   The backup folder is mounted at the same path inside, so every path the tool prints is the
#   host's.

say() { printf '%s\n' "$*"; }
die() {
  printf '%s: %s\n' "$program" "$*" >&2
  exit 1
}

# From the repository folder and without -f, as the deploy hook runs it: COMPOSE_FILE in .env (the
# Tailscale sidecar layout, say; README, "On your server") applies here too.
compose() { (cd "$root" && docker compose --project-directory "$root" "$@"); }

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

require_running() {
  local running service
  running=$(compose ps --status running --services) || die "docker compose cannot list the stack's services (is Docker running, and is this the repository with docker-compose.yml?)"
  for service in "$@"; do
    grep -qx "$service" <<<"$running" || die "the compose service $service is not running: start the stack first (docker compose up -d)"
  done
}

# run_in_compose <folder> <volume options: rw or ro> <cli.ts arguments...>
# Runs the tool in a one-off container with <folder> mounted at the same path, and returns its exit
# code. Detached, then followed: `docker compose run` neither passes Ctrl-C or SIGTERM on to its
# container nor stops it (it only gives up waiting), so the signal is handed on here with
# `docker kill`, and the tool's own undo (remove the unfinished folder) runs in there.
run_in_compose() {
  local folder=$1 volume=$2 name
  shift 2
  name=nebula-backup-tool-$$-$RANDOM
  compose run --detach --name "$name" --no-deps --user "$(id -u):$(id -g)" -v "$folder:$folder:$volume" \
    gateway node ops/backup-tool/dist/cli.mjs "$@" --compose >/dev/null ||
    die "docker compose could not start the backup tool in a container of the gateway's image (see above): is the image built (docker compose build gateway)?"
  trap 'docker kill --signal=INT "$name" >/dev/null 2>&1 || true' INT
  trap 'docker kill --signal=TERM "$name" >/dev/null 2>&1 || true' TERM
  # In the background, where a script's jobs ignore Ctrl-C: the undo's own lines still show.
  docker logs --follow "$name" &
  local follower=$!
  # `wait` returns early when a trapped signal arrives; wait again until the output ends.
  while kill -0 "$follower" 2>/dev/null; do wait "$follower" || true; done
  local code
  code=$(docker wait "$name") || code=1
  docker rm "$name" >/dev/null 2>&1 || true
  trap - INT TERM
  return "$code"
}

compose_backup() {
  [[ $# -le 1 ]] || die "one destination folder at most (usage: ops/backup --compose [<dest-dir>])"
  # The default lives under ./data: never in git, never in a Docker build context.
  local dest=${1:-$root/data/backups}
  require_running postgres minio
  # Made here, as the user running ops/backup: Docker would create a missing mount source as root.
  mkdir -p "$dest"
  dest=$(cd "$dest" && pwd)
  run_in_compose "$dest" rw backup "$dest"
}

compose_restore() {
  local args=() dir=
  for arg in "$@"; do
    case $arg in
      --force) args+=(--force) ;;
      -*) die "unknown option $arg (usage: ops/restore --compose [--force] <backup-dir>)" ;;
      *)
        [[ -z $dir ]] || die "name one backup folder (usage: ops/restore --compose [--force] <backup-dir>)"
        dir=$arg
        ;;
    esac
  done
  [[ -n $dir ]] || die "name one backup folder (usage: ops/restore --compose [--force] <backup-dir>)"
  dir=$(cd "$dir" 2>/dev/null && pwd) || die "$dir is not a folder"
  require_running postgres minio
  # Every check first (the dump's sha256, the objects against the manifest, an empty stack), with
  # the gateway still serving: a refused restore stops nothing and changes nothing.
  run_in_compose "$dir" ro restore --check "${args[@]}" "$dir"
  say "stopping the gateway and the worker"
  compose stop gateway worker
  trap 'say "starting the gateway and the worker again"; compose start gateway worker' EXIT
  run_in_compose "$dir" ro restore "${args[@]}" "$dir"
}
