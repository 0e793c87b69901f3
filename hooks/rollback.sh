#!/usr/bin/env bash
# rollback.sh [<sha>]: redeploys a release that is still kept under releases/, through the same
# health gate as a push; on success `current` and main point at it. Without <sha>: the newest
# release that deployed successfully before the current one. `--list` prints the kept releases.
# `nebula rollback` runs this over ssh (or directly, for a remote that is a local folder) as
# ssh <server> bash -c '<script>' nebula [<sha> | --list], where the script finds this file's
# folder from the `exec <runtime>/bin/post-receive` line install.sh wrote into the bare repo's
# hooks/post-receive (else ~/nebula/bin; `--runtime` names it) and runs `exec "$bin/rollback.sh" "$@"`.
# See hooks/README.md.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy-lib.sh
source "$script_dir/deploy-lib.sh"

usage() {
  echo "usage: rollback.sh [<commit sha, at least 4 hex digits>] | --list"
}

nebula_settings "$script_dir"
nebula_pin_repo
# A pusher who hits Ctrl-C closes our stdout. The deploy must still run to its end (or roll
# back) rather than die half-way on SIGPIPE; `tee -p` keeps writing the log file.
trap '' PIPE

if [[ ${1:-} == -h || ${1:-} == --help ]]; then usage; exit 0; fi
if [[ ${1:-} == --list ]]; then
  current=$(current_release)
  while IFS= read -r name; do
    printf '%s %s%s\n' "$name" "$(release_commit "$name")" "$([[ $name == "$current" ]] && echo ' current')"
  done < <(list_releases)
  exit 0
fi
wanted=${1:-}
if [[ -n $wanted && ! $wanted =~ ^[0-9a-fA-F]{4,40}$ ]]; then
  usage >&2
  exit 2
fi
wanted=${wanted,,}

take_lock || exit 1
current=$(current_release)

target=
if [[ -n $wanted ]]; then
  # The newest kept release of that commit.
  while IFS= read -r name; do
    if [[ $(release_commit "$name") == "$wanted"* ]]; then target=$name; fi
  done < <(list_releases)
  if [[ -z $target ]]; then
    echo "no kept release of commit $wanted; kept releases:" >&2
    list_releases >&2
    exit 1
  fi
else
  while IFS= read -r name; do
    if [[ $name != "$current" && -d $releases_dir/$name ]]; then target=$name; fi
  done < <(successful_releases)
  if [[ -z $target ]]; then
    echo "there is no earlier successful release kept to roll back to" >&2
    exit 1
  fi
fi
if [[ $target == "$current" ]]; then
  echo "releases/$target ($(release_commit "$target" | cut -c1-7)) is already current; nothing to do"
  exit 0
fi

commit=$(release_commit "$target")
begin_deploy rollback "$(date -u +%Y%m%dT%H%M%SZ)-${commit:0:7}-rollback" "$target" "$commit" \
  "$(release_commit "$current")"

rc=0
{
  step "rolling back to ${deploy_commit:0:7} \"$deploy_subject\" (releases/$target; running now: ${deploy_previous_commit:0:7})"
  say "log: $logs_dir/$deploy_id.log"
  run_deploy rollback "$target" "$current"
} 2>&1 | tee -p -a "$logs_dir/$deploy_id.log" || rc=$?
exit "$rc"
