#!/usr/bin/env bash
# Installs what berth needs on Debian/Ubuntu (run as root), then the npm
# dependencies and the native build. Safe to run again: it installs only
# what is missing.
#   - build:    a C compiler, make, python3 (node-gyp), Node.js >= 20 with headers,
#               musl-tools (the static executables start faster on musl: native/build-static.sh)
#   - running:  nothing else (berth-runtime is self-contained)
#   - tests:    busybox-static (the test rootfs), runc and crun (conformance),
#               docker.io and podman (interop), hyperfine (benchmarks),
#               iproute2, util-linux, uidmap, python3 (console-socket peer, seccomp agent),
#               bsdutils (script(1): a terminal for the docker/podman -it tests),
#               skopeo and umoci (they read the OCI layouts berth writes)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: run as root (it installs system packages with apt-get)" >&2
  exit 1
fi

packages=(build-essential musl-tools python3 busybox-static runc crun docker.io podman hyperfine iproute2 util-linux bsdutils uidmap procps skopeo umoci)
command -v node >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "install-deps.sh: Node.js $(node --version) is too old; berth needs Node.js 20 or newer" >&2
  exit 1
fi

# node-gyp builds against the headers of the Node.js that runs it, found
# beside the binary; Debian's own nodejs keeps them in libnode-dev.
prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ ! -f "$prefix/include/node/node_version.h" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnode-dev >/dev/null
fi
export npm_config_nodedir="$prefix"

if [ ! -x build/Release/berth-init ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "== npm ci (npm dependencies, native build, bundle)"
  npm ci --no-audit --no-fund
else
  echo "== npm run build"
  npm run --silent build
fi
