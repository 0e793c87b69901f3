#!/bin/sh
# Stand-in for the redis:7 image's entrypoint: `redis-server ...` runs as the redis user, listening
# on every address (Debian's default config would bind loopback only and run protected).
set -e
if [ "$1" = redis-server ]; then
  shift
  chown -R redis:redis /data 2>/dev/null || true
  exec gosu redis redis-server --bind '* -::*' --protected-mode no --dir /data "$@"
fi
exec "$@"
