#!/usr/bin/env bash
# Deploy the shop stack: build, push, roll out over ssh.
# (docker is mentioned here in a comment and must stay as it is)
set -euo pipefail

REGISTRY=registry.example.com:5000
TAG="${1:-$(git rev-parse --short HEAD)}"
COMPOSE_FILE=docker-compose.prod.yml

log() { echo "[deploy] $*" >&2; }

require_docker() {
    if ! command -v docker >/dev/null 2>&1; then
        log "docker is not installed"
        exit 1
    fi
}

build() {
    log "building $TAG"
    docker build \
        --build-arg VERSION="$TAG" \
        -t "$REGISTRY/shop:$TAG" \
        -f Dockerfile .
    docker push "$REGISTRY/shop:$TAG"
}

test_unit() {
    docker run --rm \
        --user "$(id -u):$(id -g)" \
        -v "$PWD":/src \
        -w /src \
        python:3.12 \
        python -m pytest -q
}

run_local() {
    sudo docker run -d --name shop-db \
        --restart unless-stopped \
        -e POSTGRES_PASSWORD=secret \
        postgres:16
    sudo docker run -d --name shop \
        --link shop-db:db \
        -p 8080:8080 \
        -v /var/run/docker.sock:/var/run/docker.sock:ro \
        "$REGISTRY/shop:$TAG"
}

rollout() {
    ssh deploy@prod.example.com <<EOF
docker pull $REGISTRY/shop:$TAG
docker-compose -f $COMPOSE_FILE up -d
EOF
}

case "${2:-all}" in
    build) build ;;
    test) test_unit ;;
    local) require_docker; run_local ;;
    all)
        require_docker
        build && test_unit
        rollout
        ;;
    *) log "unknown step: $2"; exit 2 ;;
esac

containers=$(docker ps -q --filter "label=app=shop" | wc -l)
log "done: $containers containers running (docker0 bridge not needed)"
