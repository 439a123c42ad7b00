#!/usr/bin/env bash
# Install everything the test suite needs, then run the whole suite.
#
#   bash tests/run.sh [pytest arguments]      (as root; from another account: sudo bash ...)
#
# Runs as root: it installs Debian packages (uidmap, the loopback registry, podman for the
# benchmarks' anchor, ...) and creates the unprivileged test users with real /etc/subuid
# ranges. rootless is installed (not editable) into a venv outside /root, built on Debian's
# /usr/bin/python3, so the unprivileged test user can run it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh installs packages and creates test users: run it as root (sudo bash tests/run.sh)" >&2
    exit 2
fi

APT_PACKAGES=(
    python3-venv      # the test venv is built on /usr/bin/python3 (readable by the test user)
    uidmap            # newuidmap/newgidmap: the real sub-id mapping under test
    util-linux        # setpriv: drops from root to the test user
    docker-registry   # the real OCI registry on 127.0.0.1
    apache2-utils     # htpasswd for the registry's Basic-auth configuration
    busybox-static    # the sample images are built from it
    zstd              # zstd layers in the sample images
    podman runc       # the anchor the benchmarks compare against
    slirp4netns       # engine run --network slirp4netns (fails clearly without a usable tun)
    skopeo umoci      # independent readers of the OCI layouts we write
    openssl           # a throw-away certificate for the TLS registry test
    libcap2-bin       # setcap: the doctor's file-capability tests give a helper real file caps
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "tests/run.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv=${ROOTLESS_TEST_VENV:-/opt/rootless-test/venv}
if [ ! -x "$venv/bin/python" ]; then
    mkdir -p "$(dirname "$venv")"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/pip" install -q "$here[test]"
"$venv/bin/pip" install -q --no-deps --force-reinstall "$here"
chmod -R a+rX "$venv"

cd "$here"
exec "$venv/bin/pytest" "$@"
