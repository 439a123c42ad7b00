#!/bin/bash
# Works with either engine: nothing to rename here.
if command -v podman >/dev/null 2>&1; then
  ENGINE=podman
elif command -v docker >/dev/null 2>&1; then
  ENGINE=docker
else
  echo "need podman or docker" >&2; exit 1
fi

case "$ENGINE" in
  docker) extra="--add-host=host.docker.internal:host-gateway" ;;
  podman) extra="--userns=keep-id" ;;
esac

"$ENGINE" run --rm $extra -v "$PWD:/w" docker.io/library/alpine:3.19 ls /w
