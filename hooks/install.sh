#!/usr/bin/env bash
# install.sh [<bare repo> [<runtime folder>]]: run on the server, as the user that owns the
# deploys (in the docker group). Creates the bare repo (default ~/nebula.git) and the runtime
# folder (default ~/nebula), installs the hooks, and prints the `git remote add` line for the
# laptop. Safe to run again: data stays, the hooks and scripts are replaced by this copy.
# NEBULA_REPO and NEBULA_HOME may be given instead of the arguments. See hooks/README.md.
set -euo pipefail

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=${1:-${NEBULA_REPO:-$HOME/nebula.git}}
home=${2:-${NEBULA_HOME:-$HOME/nebula}}

absolute() {
  mkdir -p "$1"
  (cd "$1" && pwd)
}

for tool in git flock curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case $tool in
      curl) echo "warning: curl not found; health checks fall back to bash's /dev/tcp (plain http only)" ;;
      flock) echo "error: flock not found (Debian/Ubuntu: apt-get install util-linux)" >&2; exit 1 ;;
      *) echo "error: $tool not found" >&2; exit 1 ;;
    esac
  fi
done
if ! compose_version=$(docker compose version --short 2>/dev/null); then
  echo "warning: 'docker compose' does not answer here; deploys need Docker with the compose plugin," \
    "2.24 or newer (or NEBULA_COMPOSE in $home/deploy.env)"
elif [[ $(printf '%s\n2.24.0\n' "${compose_version#v}" | sort -V | head -n 1) != 2.24.0 ]]; then
  # docker-compose.yml uses `name:` and `!reset`; Debian bookworm's own package is 1.29.
  echo "warning: docker compose $compose_version is too old: deploys need 2.24 or newer" \
    "(the main README, \"Docker Compose 2.24 or newer\", says how to get it)"
fi

repo=$(absolute "$repo")
home=$(absolute "$home")

if [[ ! -f $repo/HEAD ]]; then
  git init --quiet --bare "$repo"
  echo "created bare repo $repo"
fi
git --git-dir="$repo" symbolic-ref HEAD refs/heads/main
# A reflog in the bare repo: who moved main when (pushes, rollbacks, hooks moving it back).
git --git-dir="$repo" config core.logAllRefUpdates true

mkdir -p "$home/bin" "$home/releases" "$home/shared/data" "$home/history/logs"
touch "$home/history/deploys.jsonl"
for script in deploy-lib.sh post-receive pre-receive rollback.sh; do
  install -m 0755 "$source_dir/$script" "$home/bin/$script"
done
cat >"$home/bin/paths.sh" <<PATHS
# Written by install.sh; overwritten when it runs again.
NEBULA_HOME=\${NEBULA_HOME:-$(printf '%q' "$home")}
NEBULA_REPO=\${NEBULA_REPO:-$(printf '%q' "$repo")}
PATHS
if [[ ! -f $home/deploy.env ]]; then
  cat >"$home/deploy.env" <<'SETTINGS'
# Settings for deploys on this server, read by the hooks and rollback.sh (bash syntax).
# Values set here win over the environment. The app's own settings live in shared/.env.
#NEBULA_COMPOSE="docker compose"
#NEBULA_HEALTH_URL=http://127.0.0.1:8080/api/health   # default: from NEBULA_PORT/NEBULA_BIND in shared/.env
#NEBULA_HEALTH_TIMEOUT=120
#NEBULA_KEEP_RELEASES=5
#NEBULA_MIGRATE="node --conditions=production server/dist/migrate.js"   # empty: no migration step
SETTINGS
fi

for hook in post-receive pre-receive; do
  cat >"$repo/hooks/$hook" <<WRAPPER
#!/usr/bin/env bash
# Installed by Nebula's hooks/install.sh; running it again overwrites this file.
exec $(printf '%q' "$home/bin/$hook") "\$@"
WRAPPER
  chmod 0755 "$repo/hooks/$hook"
done
echo "installed hooks into $repo/hooks and scripts into $home/bin"

# The laptop reaches this machine over Tailscale: prefer its MagicDNS name.
host=
if command -v tailscale >/dev/null 2>&1; then
  status_json=$(tailscale status --json 2>/dev/null || true)
  if command -v jq >/dev/null 2>&1; then
    host=$(jq -r '.Self.DNSName // empty' <<<"$status_json" 2>/dev/null || true)
  elif [[ $status_json =~ \"Self\"[^}]*\"DNSName\":[[:space:]]*\"([^\"]*)\" ]]; then
    host=${BASH_REMATCH[1]}
  fi
  host=${host%.}
fi
if [[ -z $host ]]; then
  host=$(hostname)
  echo "note: no Tailscale name found (is tailscaled up?); using the host name $host"
fi

cat <<DONE

Runtime folder: $home (releases/, shared/.env, shared/data/, history/deploys.jsonl, history/logs/)
On your laptop, in your Nebula checkout:

  git remote add server ssh://$(id -un)@$host$repo
  git push server main

The first push creates $home/shared/.env from .env.example; edit it, then push again.
DONE
