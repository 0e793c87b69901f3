#!/usr/bin/env bash
# Installs Docker Compose v2 and buildx as CLI plugins when `docker compose` is missing or older than
# 2.24 (Nebula's compose file needs `name:` and `!reset`). Debian bookworm only has docker-compose
# 1.29; trixie's docker-compose (2.26) and docker-buildx (0.13) packages hold static binaries that run
# on bookworm. They are downloaded with apt inside a throwaway container of the stand-in Debian image
# (the host's apt sources stay as they are) and extracted into /usr/local/lib/docker/cli-plugins.
set -euo pipefail
plugins=${DOCKER_CLI_PLUGINS_DIR:-/usr/local/lib/docker/cli-plugins}

compose_ok() {
  local version
  version=$(docker compose version --short 2>/dev/null) || return 1
  version=${version#v}
  [[ $(printf '%s\n2.24.0\n' "$version" | sort -V | head -n 1) == 2.24.0 ]]
}
if compose_ok && docker buildx version >/dev/null 2>&1; then
  echo "compose:plugins: docker compose $(docker compose version --short) and buildx are there"
  exit 0
fi
docker image inspect nebula-ci/debian:bookworm >/dev/null 2>&1 || {
  echo "compose:plugins: needs the stand-in Debian image first (ops/compose-ci/build-standins.sh)" >&2
  exit 1
}
mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1)
mirror=${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}
mkdir -p "$plugins"
echo "compose:plugins: fetching docker-compose and docker-buildx from Debian trixie into $plugins"
docker run --rm -v "$plugins:/out" -e "MIRROR=$mirror" nebula-ci/debian:bookworm bash -euc '
  echo "deb $MIRROR trixie main" >/etc/apt/sources.list.d/trixie.list
  apt-get update -qq
  cd /tmp
  apt-get download -qq -t trixie docker-compose docker-buildx
  for deb in ./docker-compose_*.deb ./docker-buildx_*.deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x ./usr/libexec/docker/cli-plugins
  done
  install -m 0755 usr/libexec/docker/cli-plugins/docker-compose usr/libexec/docker/cli-plugins/docker-buildx /out/
'
compose_ok || { echo "compose:plugins: docker compose still does not answer with 2.24 or newer" >&2; exit 1; }
echo "compose:plugins: docker compose $(docker compose version --short), $(docker buildx version | cut -d' ' -f1-2)"
