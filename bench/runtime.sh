#!/usr/bin/env bash
# Times `run` of a container whose app is `true`, from one busybox bundle,
# under berth-runtime, runc and crun (those installed), in one hyperfine run,
# and prints each median and its ratio to runc's. As root.
#
# All runtimes run inside one private mount namespace in which the cgroup v2
# mount is hidden: on a hybrid host (v1 controllers plus a v2 tree) crun
# refuses to start otherwise. The host is not changed.
#
#   bench/runtime.sh            RUNS=100 bench/runtime.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runs=${RUNS:-50}
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$work/bundle/rootfs/bin/$applet"; done
(cd "$work/bundle" && "$repo/bin/berth-runtime" spec)
node -e '
  const fs = require("fs"), f = process.argv[1];
  const c = JSON.parse(fs.readFileSync(f));
  c.process.terminal = false;
  c.process.args = ["true"];
  c.ociVersion = "1.0.2"; // crun 1.8 refuses newer versions; nothing here needs them
  fs.writeFileSync(f, JSON.stringify(c, null, 2));
' "$work/bundle/config.json"

commands=(-n berth-runtime "$repo/bin/berth-runtime --root $work/state-berth run -b $work/bundle bench-berth")
command -v runc >/dev/null && commands+=(-n runc "runc --root $work/state-runc run -b $work/bundle bench-runc")
command -v crun >/dev/null && commands+=(-n crun "crun --root $work/state-crun run -b $work/bundle bench-crun")

unshare -m --propagation private bash -c '
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  exec hyperfine -N --warmup 5 --runs "$0" --export-json "$1" "${@:2}"
' "$runs" "$work/result.json" "${commands[@]}" >&2

node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1])).results;
  const ms = (s) => (s * 1000).toFixed(1);
  const runc = r.find((x) => x.command === "runc");
  console.log("runtime        median    ratio to runc");
  for (const x of r) console.log(`${x.command.padEnd(14)} ${ms(x.median).padStart(6)} ms ${runc ? (x.median / runc.median).toFixed(2).padStart(8) + "x" : ""}`);
' "$work/result.json"
