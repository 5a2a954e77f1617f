#!/usr/bin/env bash
# The engine issue's benchmark, in one run, each engine with private state
# (a berthd and a dockerd of their own, no networks, no iptables):
#   1. `berth run --rm <busybox> true` against `docker run --rm` (dockerd)
#      and `podman run --rm` where podman can run containers here;
#   2. the docker CLI against berthd versus against dockerd for
#      `run --rm`, `run -d --rm`, `exec` and `stop`;
#   3. 50 containers (`run --rm ... true`), 10 at a time, through each daemon;
#   4. memory: RSS per idle container's monitor (berth-shim vs
#      containerd-shim-runc-v2) and the idle daemons (berthd vs dockerd +
#      containerd).
# Prints hyperfine medians and the ratios the issue sets targets for. Root.
#
#   bench/engine.sh            RUNS=20 bench/engine.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runs=${RUNS:-10}
work=$(mktemp -d /var/tmp/berth-bench-engine.XXXXXX)
bsock=$work/berth.sock
dsock=$work/docker.sock
berthd_pid=
docker_pid=
berth="env BERTH_AUTOSTART=0 BERTH_HOST=unix://$bsock $repo/bin/berth"
dcli="${DOCKER_CLI:-docker}"
onberth="env DOCKER_HOST=unix://$bsock $dcli"
ondocker="env DOCKER_HOST=unix://$dsock $dcli"

cleanup() {
  set +e
  if [ -n "$berthd_pid" ]; then
    $berth rm -f $($berth ps -aq) >/dev/null 2>&1
    kill "$berthd_pid" 2>/dev/null; wait "$berthd_pid" 2>/dev/null
  fi
  if [ -n "$docker_pid" ]; then
    $ondocker rm -f $($ondocker ps -aq) >/dev/null 2>&1
    kill "$docker_pid" 2>/dev/null; wait "$docker_pid" 2>/dev/null
  fi
  for m in $(awk -v w="$work" '$5 ~ "^" w {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== a busybox image from the host's static busybox" >&2
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$work/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
echo 'root:x:0:' > "$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .

echo "== berthd" >&2
"$repo/bin/berthd" --data-root "$work/berth" --exec-root "$work/berth-run" -H "unix://$bsock" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
for _ in $(seq 1 100); do $berth version >/dev/null 2>&1 && break; sleep 0.1; done
$berth import "$work/busybox.tar" bench/busybox >/dev/null

echo "== dockerd" >&2
echo '{}' > "$work/daemon.json"
dockerd --config-file "$work/daemon.json" --data-root "$work/docker" --exec-root "$work/docker-exec" \
  --pidfile "$work/docker.pid" -H "unix://$dsock" --bridge=none --iptables=false --ip-masq=false \
  --ip-forward=false >"$work/dockerd.log" 2>&1 &
docker_pid=$!
for _ in $(seq 1 100); do $ondocker info >/dev/null 2>&1 && break; sleep 0.2; done
$ondocker import "$work/busybox.tar" bench/busybox >/dev/null

podman_cmd=
if command -v podman >/dev/null; then
  podman="podman --root $work/podman --runroot $work/podman-run --runtime runc --cgroup-manager cgroupfs --events-backend none"
  $podman import -q "$work/busybox.tar" bench/busybox >/dev/null
  # podman raises hard rlimits it may not raise here (no CAP_SYS_RESOURCE); where it cannot run, it is left out
  if $podman run --rm --network none bench/busybox true >/dev/null 2>&1; then podman_cmd="$podman run --rm --network none bench/busybox true"; else echo "   podman cannot run containers on this host: left out" >&2; fi
fi

trap_loop='trap "exit 0" TERM; while :; do sleep 0.1; done'
$berth run -d --name bench-exec bench/busybox sleep 100000 >/dev/null
$ondocker run -d --network none --name bench-exec bench/busybox sleep 100000 >/dev/null

cmds=(
  -n "berth run --rm" "$berth run --rm bench/busybox true"
  -n "docker run --rm (dockerd)" "$ondocker run --rm --network none bench/busybox true"
  -n "docker run --rm (berthd)" "$onberth run --rm bench/busybox true"
  -n "docker run -d --rm (dockerd)" "$ondocker run -d --rm --network none bench/busybox true"
  -n "docker run -d --rm (berthd)" "$onberth run -d --rm bench/busybox true"
  -n "docker exec (dockerd)" "$ondocker exec bench-exec true"
  -n "docker exec (berthd)" "$onberth exec bench-exec true"
)
[ -n "$podman_cmd" ] && cmds+=(-n "podman run --rm" "$podman_cmd")
hyperfine --warmup 2 --runs "$runs" --export-json "$work/single.json" "${cmds[@]}" >&2
# stop needs a fresh container before each run (hyperfine takes one --prepare per command only in a run of its own)
hyperfine --warmup 1 --runs "$runs" --export-json "$work/stop.json" \
  -n "docker stop (dockerd)" --prepare "$ondocker rm -f bench-stop >/dev/null 2>&1; $ondocker run -d --network none --name bench-stop bench/busybox sh -c '$trap_loop' >/dev/null; sleep 0.2" "$ondocker stop bench-stop" \
  -n "docker stop (berthd)" --prepare "$onberth rm -f bench-stop >/dev/null 2>&1; $onberth run -d --name bench-stop bench/busybox sh -c '$trap_loop' >/dev/null; sleep 0.2" "$onberth stop bench-stop" >&2

fifty() { echo "seq 50 | xargs -P10 -I{} $1 run --rm $2 bench/busybox true >/dev/null"; }
hyperfine --warmup 1 --runs 3 --export-json "$work/fifty.json" \
  -n "50 containers (dockerd)" "$(fifty "$ondocker" '--network none')" \
  -n "50 containers (berthd)" "$(fifty "$onberth" '')" >&2

echo "== memory: 10 idle containers each" >&2
for i in $(seq 1 10); do
  $berth run -d --name "bench-idle-$i" bench/busybox sleep 100000 >/dev/null
  $ondocker run -d --network none --name "bench-idle-$i" bench/busybox sleep 100000 >/dev/null
done
sleep 2
rss_of() { ps -o rss= -p "$1" 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
avg_rss() { local pids; pids=$(pgrep -f "$1" || true); [ -z "$pids" ] && { echo 0; return; }; ps -o rss= -p $(echo $pids | tr ' ' ',') | awk '{s+=$1; n++} END {printf "%.0f", s/n}'; }
berth_shim=$(avg_rss "berth-shim --dir $work/berth-run")
docker_shim=$(avg_rss "containerd-shim-runc-v2 .*$work/docker-exec|containerd-shim-runc-v2 -namespace moby")
for i in $(seq 1 10); do $berth rm -f "bench-idle-$i" >/dev/null; $ondocker rm -f "bench-idle-$i" >/dev/null; done
$berth rm -f bench-exec >/dev/null; $ondocker rm -f bench-exec >/dev/null
# idle: 10 s without requests (berthd gives a burst's memory back after a few quiet seconds: src/lib/idle-gc.ts)
sleep 10
berthd_rss=$(rss_of "$berthd_pid")
containerd_pid=$(pgrep -f "containerd --config $work/docker-exec" || pgrep -f "containerd.*$work/docker-exec" | head -1 || true)
dockerd_rss=$(( $(rss_of "$docker_pid") + $(rss_of "${containerd_pid:-0}") ))

node -e '
  const fs = require("fs");
  const results = process.argv.slice(1, 4).flatMap((f) => JSON.parse(fs.readFileSync(f)).results);
  const med = Object.fromEntries(results.map((x) => [x.command, x.median * 1000]));
  const [bshim, dshim, bd, dd] = process.argv.slice(4).map(Number);
  const ms = (v) => (v === undefined ? "-" : v.toFixed(1) + " ms");
  const row = (what, ours, theirs, target) => console.log(`${what.padEnd(44)} ${ms(ours).padStart(10)} ${ms(theirs).padStart(10)}   ${(theirs / ours).toFixed(2)}x  (target ${target})`);
  console.log(`${"".padEnd(44)} ${"berth".padStart(10)} ${"docker".padStart(10)}   speed-up`);
  row("berth CLI vs docker CLI+dockerd: run --rm", med["berth run --rm"], med["docker run --rm (dockerd)"], "2.5x");
  row("docker CLI, berthd vs dockerd: run --rm", med["docker run --rm (berthd)"], med["docker run --rm (dockerd)"], "5x");
  row("docker CLI, berthd vs dockerd: run -d --rm", med["docker run -d --rm (berthd)"], med["docker run -d --rm (dockerd)"], "-");
  row("docker CLI, berthd vs dockerd: exec", med["docker exec (berthd)"], med["docker exec (dockerd)"], "3x");
  row("docker CLI, berthd vs dockerd: stop", med["docker stop (berthd)"], med["docker stop (dockerd)"], "-");
  row("50 containers, 10 at a time", med["50 containers (berthd)"], med["50 containers (dockerd)"], "5x");
  if (med["podman run --rm"]) console.log(`podman run --rm: ${ms(med["podman run --rm"])}`);
  console.log(`idle monitor RSS per container: berth-shim ${bshim} KiB, containerd-shim-runc-v2 ${dshim} KiB (target <= 1024 KiB)`);
  console.log(`idle daemon RSS: berthd ${(bd / 1024).toFixed(1)} MiB, dockerd + containerd ${(dd / 1024).toFixed(1)} MiB (target berthd <= 60 MiB)`);
' "$work/single.json" "$work/stop.json" "$work/fifty.json" "$berth_shim" "$docker_shim" "$berthd_rss" "$dockerd_rss"
