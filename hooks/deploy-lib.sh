# shellcheck shell=bash
# What post-receive, pre-receive and rollback.sh share: settings, the lock, one release's
# build/migrate/up/health sequence with its rollback, and the deploy record. Sourced, never run.
# See hooks/README.md for the layout on the server and the record format.

# shellcheck disable=SC2034 # used by post-receive
readonly NEBULA_ZERO_SHA=0000000000000000000000000000000000000000
# One fixed compose project, so every release restarts the same containers and named volumes.
# (NEBULA_PROJECT in deploy.env may name another, e.g. for a test beside a real deployment.)

# ---- settings --------------------------------------------------------------------------------

# Reads the paths install.sh wrote beside the installed scripts, then the owner's deploy.env.
# Afterwards: NEBULA_HOME, NEBULA_REPO (may be empty outside a hook), compose_cmd (array), and the
# health, timeout and retention settings.
nebula_settings() {
  local script_dir=$1
  if [[ -f $script_dir/paths.sh ]]; then
    # shellcheck source=/dev/null
    source "$script_dir/paths.sh"
  fi
  NEBULA_HOME=${NEBULA_HOME:-$HOME/nebula}
  NEBULA_REPO=${NEBULA_REPO:-}
  if [[ -f $NEBULA_HOME/deploy.env ]]; then
    # The owner's settings for deploys (pushes over ssh arrive with an almost empty environment).
    # shellcheck source=/dev/null
    source "$NEBULA_HOME/deploy.env"
  fi
  NEBULA_PROJECT=${NEBULA_PROJECT:-nebula}
  NEBULA_COMPOSE=${NEBULA_COMPOSE:-docker compose}
  read -ra compose_cmd <<<"$NEBULA_COMPOSE"
  # For what compose does not say: a container's state, exit code and last log lines.
  NEBULA_DOCKER=${NEBULA_DOCKER:-docker}
  read -ra docker_cmd <<<"$NEBULA_DOCKER"
  NEBULA_HEALTH_TIMEOUT=${NEBULA_HEALTH_TIMEOUT:-120}
  NEBULA_KEEP_RELEASES=${NEBULA_KEEP_RELEASES:-5}
  NEBULA_LOCK_TIMEOUT=${NEBULA_LOCK_TIMEOUT:-3600}
  # Empty skips the step; it runs in the gateway service of the new build.
  NEBULA_MIGRATE=${NEBULA_MIGRATE-node --conditions=production server/dist/migrate.js}
  releases_dir=$NEBULA_HOME/releases
  shared_dir=$NEBULA_HOME/shared
  # Deploy history (records and logs) in one folder, which compose mounts read-only into the
  # gateway (NEBULA_HISTORY_DIR, see docker-compose.yml) so that GET /api/deploys can serve it.
  history_dir=$NEBULA_HOME/history
  export NEBULA_HISTORY_DIR=$history_dir
  logs_dir=$history_dir/logs
  records_file=$history_dir/deploys.jsonl
  # The state's bind mounts by one absolute path, the same in every release: a relative ./data
  # would resolve into each release folder, and compose would recreate Postgres, Redis and MinIO
  # at every deploy because their mount source changed.
  export NEBULA_STATE_DIR=$shared_dir/data
  mkdir -p "$releases_dir" "$shared_dir/data" "$logs_dir"
  touch "$records_file"
}

# Hooks run with GIT_DIR (often just ".") and, in pre-receive, quarantine variables set. They
# would point every git call made from a release directory at the wrong place, so the repository
# is pinned by absolute path and the variables are dropped.
nebula_pin_repo() {
  if [[ -n ${GIT_DIR:-} ]]; then
    NEBULA_REPO=$(cd "$GIT_DIR" && pwd)
  fi
  unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX GIT_COMMON_DIR
  if [[ -z $NEBULA_REPO ]]; then
    NEBULA_REPO=$HOME/nebula.git
  fi
}

repo_git() {
  git --git-dir="$NEBULA_REPO" "$@"
}

# The gateway's health URL: NEBULA_HEALTH_URL, else the host port the shared .env publishes.
health_url() {
  if [[ -n ${NEBULA_HEALTH_URL:-} ]]; then
    printf '%s' "$NEBULA_HEALTH_URL"
    return
  fi
  local port bind
  port=$(env_file_value NEBULA_PORT "$shared_dir/.env")
  bind=$(env_file_value NEBULA_BIND "$shared_dir/.env")
  if [[ -z $bind || $bind == 0.0.0.0 ]]; then bind=127.0.0.1; fi
  printf 'http://%s:%s/api/health' "$bind" "${port:-8080}"
}

# The value of KEY=VALUE in a .env file (last one wins, quotes stripped), or nothing.
env_file_value() {
  local key=$1 file=$2 line value=
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?${key}=(.*)$ ]]; then
      value=${BASH_REMATCH[2]}
    fi
  done <"$file"
  value=${value%$'\r'}
  value=${value#[\"\']}
  value=${value%[\"\']}
  printf '%s' "$value"
}

# ---- output ----------------------------------------------------------------------------------

# Everything goes to stdout: git shows a hook's stdout and stderr to the pusher as `remote:` lines.
say() { printf '%s\n' "$*"; }
step() { printf '==> [%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

now_iso() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
now_ms() { date +%s%3N; }

# A JSON string literal: quotes, backslashes and control characters escaped; UTF-8 passes through.
json_str() {
  local s=$1 out='' c i
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  if [[ $s == *[$'\x01'-$'\x1f']* ]]; then
    local LC_ALL=C
    for ((i = 0; i < ${#s}; i++)); do
      c=${s:i:1}
      if [[ $c == [$'\x01'-$'\x1f'] ]]; then
        out+=$(printf '\\u%04x' "'$c")
      else
        out+=$c
      fi
    done
    s=$out
  fi
  printf '"%s"' "$s"
}

json_str_or_null() {
  if [[ -n $1 ]]; then json_str "$1"; else printf 'null'; fi
}

# ---- releases --------------------------------------------------------------------------------

# Release names, oldest first (names start with a UTC time stamp, so name order is time order).
list_releases() {
  local d
  for d in "$releases_dir"/*/; do
    [[ -d $d ]] || continue
    d=${d%/}
    printf '%s\n' "${d##*/}"
  done | LC_ALL=C sort
}

current_release() {
  local target
  target=$(readlink "$NEBULA_HOME/current" 2>/dev/null) || return 0
  target=${target##*/}
  if [[ -d $releases_dir/$target ]]; then printf '%s' "$target"; fi
}

release_commit() {
  cat "$releases_dir/$1/REVISION" 2>/dev/null || true
}

# A name for a new release of <sha>: <UTC time>-<short sha>. Names must sort in deploy order, so
# when the last release was made in this same second, wait for the next one (we hold the lock).
new_release_name() {
  local sha7=${1:0:7} newest stamp
  newest=$(list_releases | tail -n 1)
  while :; do
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    [[ ${newest%%-*} == "$stamp" ]] || break
    sleep 0.2
  done
  printf '%s-%s' "$stamp" "$sha7"
}

# Points `current` at a release in one rename, so a reader never sees it missing.
switch_current() {
  local tmp=$NEBULA_HOME/.current.$$
  ln -sfn "releases/$1" "$tmp"
  mv -T "$tmp" "$NEBULA_HOME/current"
}

prune_releases() {
  local keep=$NEBULA_KEEP_RELEASES current names n i
  current=$(current_release)
  mapfile -t names < <(list_releases)
  n=${#names[@]}
  for ((i = 0; i < n - keep; i++)); do
    [[ ${names[i]} == "$current" ]] && continue
    if rm -rf "${releases_dir:?}/${names[i]}"; then
      say "pruned release ${names[i]} (keeping the last $keep)"
    else
      say "warning: could not remove release ${names[i]}"
    fi
  done
}

# ---- lock ------------------------------------------------------------------------------------

# One deploy at a time: fd 9 holds an flock on <home>/deploy.lock until this process ends.
# Commands that may leave processes behind are run with 9>&- so they never inherit the lock.
take_lock() {
  exec 9>>"$NEBULA_HOME/deploy.lock"
  if flock -n 9; then return 0; fi
  say "another deploy is running; waiting for it to finish (up to $NEBULA_LOCK_TIMEOUT s)..."
  if ! flock -w "$NEBULA_LOCK_TIMEOUT" 9; then
    say "gave up waiting for the deploy lock after $NEBULA_LOCK_TIMEOUT s ($NEBULA_HOME/deploy.lock)"
    return 1
  fi
  say "the other deploy finished; going on"
}

# ---- compose and health ----------------------------------------------------------------------

# compose <release dir> <args...>: compose under the fixed project name, in that release.
compose() {
  local dir=$1
  shift
  (cd "$dir" && "${compose_cmd[@]}" -p "$NEBULA_PROJECT" --project-directory "$dir" "$@") </dev/null 9>&-
}

health_ok() {
  local url=$1
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 5 "$url" >/dev/null 2>&1
  else
    health_ok_tcp "$url"
  fi
}

# For a server without curl: a plain HTTP/1.0 GET over bash's /dev/tcp (http:// URLs only).
health_ok_tcp() {
  local url=$1 rest hostport path host port status
  [[ $url == http://* ]] || return 1
  rest=${url#http://}
  hostport=${rest%%/*}
  path=/
  if [[ $rest == */* ]]; then path=/${rest#*/}; fi
  host=${hostport%:*}
  port=80
  if [[ $hostport == *:* ]]; then port=${hostport##*:}; fi
  (
    exec 8<>"/dev/tcp/$host/$port" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&8
    read -r -t 5 _ status _ <&8 || exit 1
    [[ $status == 2[0-9][0-9] ]]
  ) 2>/dev/null
}

# docker <args...>: the engine's CLI, for container state and logs.
docker_engine() {
  "${docker_cmd[@]}" "$@" </dev/null 9>&-
}

# watch_gateway <container> <what>: waits until the container's health check passes. Stops at once
# when the container exits or restarts (a gateway that crashes at start), with its exit code and
# last log lines; else at NEBULA_HEALTH_TIMEOUT. On failure sets failure_reason.
watch_gateway() {
  local container=$1 what=$2 timeout=$NEBULA_HEALTH_TIMEOUT deadline next_note state status code health restarts
  say "waiting for the $what to pass its health check (up to $timeout s)"
  deadline=$((SECONDS + timeout))
  next_note=$((SECONDS + 10))
  while :; do
    state=$(docker_engine inspect --format '{{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.RestartCount}}' "$container" 2>&1) || state="missing 0 none 0"
    read -r status code health restarts <<<"$state"
    if [[ $health == healthy ]]; then
      say "the $what is healthy after $((SECONDS + timeout - deadline)) s"
      return 0
    fi
    if [[ $status == exited || $status == dead || $status == missing || ${restarts:-0} != 0 ]]; then
      if [[ $status == missing ]]; then
        failure_reason="the $what container is gone"
      else
        failure_reason="the $what exited with code $code at start"
      fi
      say "$failure_reason; its last log lines:"
      docker_engine logs --tail "${NEBULA_LOG_LINES:-20}" "$container" 2>&1 | sed 's/^/  | /' || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      failure_reason="the $what did not pass its health check within $timeout s"
      say "$failure_reason; its last log lines:"
      docker_engine logs --tail "${NEBULA_LOG_LINES:-20}" "$container" 2>&1 | sed 's/^/  | /' || true
      return 1
    fi
    if ((SECONDS >= next_note)); then
      say "still waiting for the $what ($((SECONDS + timeout - deadline)) s, $status, health: $health)"
      next_note=$((SECONDS + 10))
    fi
    sleep 0.5
  done
}

wait_healthy() {
  local url timeout=$NEBULA_HEALTH_TIMEOUT deadline next_note
  url=$(health_url)
  say "waiting for $url (up to $timeout s)"
  deadline=$((SECONDS + timeout))
  next_note=$((SECONDS + 10))
  while :; do
    if health_ok "$url"; then
      say "healthy after $((SECONDS + timeout - deadline)) s"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      say "no healthy answer from $url within $timeout s"
      return 1
    fi
    if ((SECONDS >= next_note)); then
      say "still waiting for $url ($((SECONDS + timeout - deadline)) s)"
      next_note=$((SECONDS + 10))
    fi
    sleep 0.5
  done
}

# ---- one release -----------------------------------------------------------------------------

# Unpacks <sha> into releases/<name> and links what is kept outside git: shared/.env and
# shared/data (compose's ./data bind mounts must land on the same state in every release).
unpack_release() {
  local sha=$1 name=$2 dir=$releases_dir/$2
  mkdir -p "$dir"
  # Modes as in a checkout (git archive's own default umask is 002): the image builds' layer cache
  # keys on file modes, so this lets a release reuse what `docker compose build` in a checkout made.
  if ! repo_git -c tar.umask=0022 archive --format=tar "$sha" | tar -x -C "$dir"; then
    say "could not unpack $sha into $dir"
    return 1
  fi
  printf '%s\n' "$sha" >"$dir/REVISION"
  if [[ -e $dir/.env || -L $dir/.env ]]; then
    say "WARNING: this commit contains a .env file. It is ignored: secrets never come from git."
    say "WARNING: the release uses $shared_dir/.env; remove .env from the repository and change any secret it held."
    rm -rf "${dir:?}/.env"
  fi
  if [[ ! -e $shared_dir/.env ]]; then
    if [[ -f $dir/.env.example ]]; then
      cp "$dir/.env.example" "$shared_dir/.env"
      say "NOTE: created $shared_dir/.env from .env.example. Edit it to set real secrets, then push again or run rollback.sh to restart."
    else
      : >"$shared_dir/.env"
      say "NOTE: created an empty $shared_dir/.env (the commit has no .env.example). Put the settings there."
    fi
    chmod 600 "$shared_dir/.env"
  fi
  ln -s ../../shared/.env "$dir/.env"
  rm -rf "${dir:?}/data"
  ln -s ../../shared/data "$dir/data"
  say "unpacked ${sha:0:7} into releases/$name (.env and data/ link to shared/)"
}

# build, migrate (pushes only), the new gateway on trial beside the running one, up and the health
# gate for one release dir. <previous> is the release that serves now ("" on a first deploy). On
# failure sets failure_reason to one line the pusher will read.
start_release() {
  local dir=$1 kind=$2 previous=$3 rc started candidate container
  export NEBULA_RELEASE=${dir##*/}
  NEBULA_COMMIT=$(release_commit "$NEBULA_RELEASE")
  export NEBULA_COMMIT

  step "build (full output in the deploy log)"
  rc=0
  started=$SECONDS
  compose "$dir" --progress plain build >>"$deploy_log" 2>&1 || rc=$?
  if ((rc != 0)); then
    say "the build failed; its last lines:"
    tail -n "${NEBULA_LOG_LINES:-20}" "$deploy_log" | sed 's/^/  | /'
    failure_reason="docker compose build failed (exit $rc)"
    return 1
  fi
  say "built in $((SECONDS - started)) s"

  if [[ $kind == push && -n $NEBULA_MIGRATE ]]; then
    # Before traffic moves: the running release keeps serving while the schema grows. Migrations
    # must be additive so that the previous release still works on the new schema.
    step "migrate"
    local migrate
    read -ra migrate <<<"$NEBULA_MIGRATE"
    compose "$dir" run --rm -T gateway "${migrate[@]}" || rc=$?
    if ((rc != 0)); then failure_reason="database migration failed (exit $rc)"; return 1; fi
  fi

  candidate=
  if [[ -n $previous ]] && ! gateway_shares_a_network "$dir"; then
    # The new gateway first runs beside the one that serves (same settings, no published port):
    # traffic only moves to a release whose gateway has passed its health check once, so a gateway
    # that crashes or never gets healthy costs no downtime. Once it passes, the edge forwards to it
    # while compose replaces the gateway service, then back to the replaced one.
    step "trial: the new gateway beside the running one"
    candidate=${NEBULA_PROJECT}-gateway-trial
    docker_engine rm -f "$candidate" >/dev/null 2>&1 || true
    if ! compose "$dir" run -d --no-deps --name "$candidate" gateway >/dev/null; then
      failure_reason="could not start the new gateway (docker compose run failed)"
      return 1
    fi
    if ! watch_gateway "$candidate" "new gateway"; then
      docker_engine rm -f "$candidate" >/dev/null 2>&1 || true
      return 1
    fi
    edge_forward_to "$candidate:8080"
  fi

  step "up"
  compose "$dir" up -d --remove-orphans || rc=$?
  if ((rc != 0)); then
    failure_reason="docker compose up failed (exit $rc)"
    end_trial "$candidate"
    return 1
  fi

  step "health"
  container=$(compose "$dir" ps -q gateway 2>/dev/null | head -n 1)
  if [[ -z $container ]]; then
    failure_reason="docker compose started no gateway container"
    end_trial "$candidate"
    return 1
  fi
  rc=0
  watch_gateway "$container" "gateway" || rc=1
  end_trial "$candidate"
  ((rc == 0)) || return 1
  if ! wait_healthy; then
    failure_reason="gateway health check did not pass within $NEBULA_HEALTH_TIMEOUT s"
    return 1
  fi
}

# gateway_shares_a_network <release dir>: whether the running gateway lives in another container's
# network namespace (docker-compose.tailscale.yml). A trial gateway would share it too, and fight
# over port 8080 with the serving one (or pass its health check by asking it), so there is no trial:
# the gateway is replaced in place.
gateway_shares_a_network() {
  local running mode
  running=$(compose "$1" ps -q gateway 2>/dev/null | head -n 1)
  [[ -n $running ]] || return 1
  mode=$(docker_engine inspect --format '{{.HostConfig.NetworkMode}}' "$running" 2>/dev/null) || return 1
  if [[ $mode == container:* ]]; then
    say "no trial: the gateway shares another container's network ($mode); it is replaced in place"
    return 0
  fi
  return 1
}

# edge_forward_to <host:port>: tells the edge service (docker-compose.yml) which gateway takes the
# published port's traffic, through a file in the state folder that it mounts. Atomic: a rename.
edge_forward_to() {
  local dir=$NEBULA_STATE_DIR/edge
  mkdir -p "$dir"
  printf '%s\n' "$1" >"$dir/upstream.$$"
  mv -f "$dir/upstream.$$" "$dir/upstream"
  say "traffic -> $1"
  # The edge reads the file again within 0.1 s.
  sleep 0.5
}

# end_trial <container or "">: traffic back to the gateway service, then the trial container stops
# (gracefully: requests it still serves may finish) and is removed.
end_trial() {
  [[ -n $1 ]] || return 0
  edge_forward_to gateway:8080
  docker_engine stop -t 30 "$1" >/dev/null 2>&1 || true
  docker_engine rm -f "$1" >/dev/null 2>&1 || true
}

# Brings a kept release's whole stack back. Built again because the failed build re-tagged the
# project's images (the layer cache makes it quick, and gives the same images, so containers that
# were never replaced are left running); `up --wait` then waits for every health check.
restore_release() {
  local name=$1 dir=$releases_dir/$1
  export NEBULA_RELEASE=$name
  NEBULA_COMMIT=$(release_commit "$name")
  export NEBULA_COMMIT
  step "rollback: bringing releases/$name (${NEBULA_COMMIT:0:7}) back up"
  compose "$dir" --progress plain build >>"$deploy_log" 2>&1 || return 1
  compose "$dir" up -d --wait --wait-timeout "$NEBULA_HEALTH_TIMEOUT" --remove-orphans || return 1
  step "rollback: health"
  wait_healthy
}

# ---- the record ------------------------------------------------------------------------------

# begin_deploy <push|rollback> <id> <release> <commit> <previous commit or "">: what the record of
# the deploy starting now will say.
begin_deploy() {
  deploy_kind=$1
  deploy_id=$2
  deploy_release=$3
  deploy_commit=$4
  deploy_previous_commit=$5
  deploy_subject=$(repo_git log -1 --format=%s "$deploy_commit" 2>/dev/null || true)
  deploy_started_at=$(now_iso)
  deploy_started_ms=$(now_ms)
  deploy_log=$logs_dir/$deploy_id.log
}

# record <result> <reason>; reads the deploy_* variables set by begin_deploy.
record_deploy() {
  local result=$1 reason=$2 finished_ms line
  finished_ms=$(now_ms)
  line='{'
  line+="\"id\":$(json_str "$deploy_id"),"
  line+="\"release\":$(json_str "$deploy_release"),"
  line+="\"kind\":$(json_str "$deploy_kind"),"
  line+="\"commit\":$(json_str "$deploy_commit"),"
  line+="\"subject\":$(json_str "$deploy_subject"),"
  line+="\"ref\":\"refs/heads/main\","
  line+="\"result\":$(json_str "$result"),"
  if [[ -n $reason ]]; then line+="\"reason\":$(json_str "$reason"),"; fi
  line+="\"startedAt\":$(json_str "$deploy_started_at"),"
  line+="\"finishedAt\":$(json_str "$(now_iso)"),"
  line+="\"durationMs\":$((finished_ms - deploy_started_ms)),"
  line+="\"log\":$(json_str "logs/$deploy_id.log"),"
  line+="\"previousCommit\":$(json_str_or_null "$deploy_previous_commit")"
  line+='}'
  printf '%s\n' "$line" >>"$records_file"
  deploy_record=$line
}

# The hook's last line: the deploy record as JSON, for `nebula deploy`, `nebula rollback` and
# scripts (hooks/README.md, "The deploy record"). Printed after the line for people.
print_record() {
  printf '%s\n' "$deploy_record"
}

# The ids of successful records, oldest first (records are written by record_deploy only, one
# object per line with "release" before "result", so a pattern match is exact enough).
successful_releases() {
  local line re='"release":"([^"]*)".*"result":"success"'
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
  done <"$records_file"
}

# ---- one deploy, start to finish -------------------------------------------------------------

# run_deploy <push|rollback> <release name> <previous release name or "">
# The caller holds the lock and has called begin_deploy.
# Ends with one DEPLOYED / DEPLOY FAILED (or ROLLED BACK / ROLLBACK FAILED) line for the pusher.
run_deploy() {
  local kind=$1 name=$2 previous=$3 dir=$releases_dir/$2 head result outcome
  failure_reason=
  if [[ $kind == push ]] && ! unpack_release "$deploy_commit" "$name"; then
    failure_reason="could not unpack commit ${deploy_commit:0:7}"
  fi

  if [[ -z $failure_reason ]] && start_release "$dir" "$kind" "$previous"; then
    switch_current "$name"
    say "current -> releases/$name"
    if [[ $kind == rollback ]]; then
      # main names what runs: point it at the redeployed commit (expected old value: what it was).
      head=$(repo_git rev-parse -q --verify refs/heads/main || true)
      if repo_git update-ref refs/heads/main "$deploy_commit" "$head"; then
        say "main -> ${deploy_commit:0:7}"
      else
        say "warning: main moved while rolling back; it still points at ${head:0:7}"
      fi
    fi
    record_deploy success ""
    prune_releases
    if [[ $kind == push ]]; then
      say "DEPLOYED ${deploy_commit:0:7} \"$deploy_subject\" as releases/$name in $((($(now_ms) - deploy_started_ms) / 1000)) s"
    else
      say "ROLLED BACK to ${deploy_commit:0:7} \"$deploy_subject\" (releases/$name)"
    fi
    print_record
    return 0
  fi

  say "failed: $failure_reason"
  result=failed
  if [[ -n $previous ]]; then
    if [[ $kind == push ]]; then
      outcome="rolled back to ${deploy_previous_commit:0:7}"
    else
      outcome="${deploy_previous_commit:0:7} (releases/$previous) runs again"
    fi
    if restore_release "$previous"; then
      result=rolled_back
    else
      outcome+=", but it did not pass the health check either: look at the server (docker compose -p $NEBULA_PROJECT ps, logs/$deploy_id.log)"
    fi
  else
    step "rollback: nothing was running before this deploy; stopping what it started"
    compose "$dir" down --remove-orphans || say "warning: docker compose down failed"
    outcome="nothing was running before, so nothing runs now"
  fi

  if [[ $kind == push ]]; then
    # The ref update already happened (post-receive cannot refuse it); move main back to the
    # commit that runs, but only if no later push has moved it since (expected old value).
    if [[ -n $previous ]]; then
      if repo_git update-ref refs/heads/main "$deploy_previous_commit" "$deploy_commit" 2>/dev/null; then
        say "main moved back to ${deploy_previous_commit:0:7}"
      else
        head=$(repo_git rev-parse -q --verify refs/heads/main || true)
        say "main was not moved back: a later push moved it to ${head:0:7}, and that push deploys next"
      fi
    elif repo_git update-ref -d refs/heads/main "$deploy_commit" 2>/dev/null; then
      outcome+="; main was removed (it names what runs)"
    fi
    # The log keeps what happened; the tree is in git. Only deployable releases take up the
    # $NEBULA_KEEP_RELEASES slots.
    rm -rf "${dir:?}" || say "warning: could not remove releases/$name"
  fi

  record_deploy "$result" "$failure_reason"
  if [[ $kind == push ]]; then
    say "DEPLOY FAILED: $failure_reason; $outcome"
  else
    say "ROLLBACK FAILED: $failure_reason; $outcome"
  fi
  print_record
  return 1
}
