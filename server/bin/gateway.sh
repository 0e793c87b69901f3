#!/bin/sh
# How the image starts the gateway: Node with the memory settings of its storage driver, the same
# as the embedded stack's (gatewayMemory in ops/embedded/supervisor.ts says why; ops/test/compose.test.ts
# runs this script for each driver and compares). A MALLOC_* variable set on the container wins.
case "$NEBULA_STORAGE_DRIVER" in
  s3) young=1 trim=131072 arenas=1 gc=--expose-gc ;;
  *) young=4 trim=33554432 arenas=2 gc= ;;
esac
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX-$arenas}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_-$trim}"
# On s3, --expose-gc: the gateway then collects its dead buffers sooner (server/src/memory/dead-buffers.ts).
exec node --max-semi-space-size="$young" --heap-growing-percent=100 ${gc:+"$gc"} server/dist/main.js "$@"
