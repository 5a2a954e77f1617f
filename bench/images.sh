#!/usr/bin/env bash
# Times the image operations of the issue "Images and layers" in one run,
# berth against Docker and Podman (where installed), with hyperfine:
#   import   a 100 MiB root filesystem tar (busybox + 100 files of 1 MiB)
#   commit   50 MiB of changes in a container (podman's written through
#            podman mount: it cannot run containers on this host)
#   save     the imported image to a tar file
#   load     that tar file back (before each run every image holding that
#            layer is removed, so each engine stores and unpacks it anew)
# Each engine keeps its state in a private directory: a dockerd and a berthd
# of their own (no network, no iptables), podman with --root/--runroot.
# Prints the medians and berth's speed-up over the faster of the others.
# As root.
#
#   bench/images.sh            RUNS=10 bench/images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runs=${RUNS:-5}
work=$(mktemp -d /var/tmp/berth-bench-images.XXXXXX)
dsock=$work/docker.sock
bsock=$work/berth.sock
docker_pid=
berthd_pid=

cleanup() {
  if [ -n "$berthd_pid" ]; then
    env BERTH_AUTOSTART=0 BERTH_HOST=unix://$bsock "$repo/bin/berth" rm -f bench-c >/dev/null 2>&1 || true
    kill "$berthd_pid" 2>/dev/null || true
    wait "$berthd_pid" 2>/dev/null || true
  fi
  if [ -n "$docker_pid" ]; then
    DOCKER_HOST=unix://$dsock docker rm -f bench-c >/dev/null 2>&1 || true
    kill "$docker_pid" 2>/dev/null || true
    wait "$docker_pid" 2>/dev/null || true
  fi
  podman --root "$work/podman" --runroot "$work/podman-run" rm -f bench-c >/dev/null 2>&1 || true
  podman --root "$work/podman" --runroot "$work/podman-run" system reset -f >/dev/null 2>&1 || true
  for m in $(awk -v w="$work" '$5 ~ "^" w {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== making a 100 MiB root filesystem" >&2
mkdir -p "$work/rootfs/bin" "$work/rootfs/data" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh head true seq; do ln -sf busybox "$work/rootfs/bin/$applet"; done
for i in $(seq 1 100); do head -c 1048576 /dev/urandom > "$work/rootfs/data/file-$i"; done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .

# berth: a berthd of its own
"$repo/bin/berthd" --data-root "$work/berth" --exec-root "$work/berth-run" -H "unix://$bsock" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
berth="env BERTH_AUTOSTART=0 BERTH_HOST=unix://$bsock $repo/bin/berth"
for _ in $(seq 1 100); do $berth version >/dev/null 2>&1 && break; sleep 0.1; done
fill='for i in $(seq 1 50); do head -c 1048576 /dev/urandom > /tmp/f$i; done'

commands=()
add() { commands+=("$@"); }

# berth
$berth import "$work/rootfs.tar" bench/base >/dev/null
add -n "berth import" --prepare "$berth rmi -f bench/imp:1 >/dev/null 2>&1 || true" "$berth import $work/rootfs.tar bench/imp:1"
add -n "berth commit" --prepare "$berth rm -f bench-c >/dev/null 2>&1; $berth rmi -f bench/commit:1 >/dev/null 2>&1; $berth run --name bench-c bench/base sh -c '$fill'" "$berth commit bench-c bench/commit:1"
add -n "berth save" --prepare "rm -f $work/berth-save.tar" "$berth save -o $work/berth-save.tar bench/base"
$berth save -o "$work/berth-load.tar" bench/base
add -n "berth load" --prepare "$berth rm -f bench-c >/dev/null 2>&1; $berth rmi -f bench/commit:1 bench/imp:1 >/dev/null 2>&1; $berth rmi -f bench/base >/dev/null" "$berth load -q -i $work/berth-load.tar"

# docker, a private daemon
if command -v dockerd >/dev/null; then
  echo '{}' > "$work/daemon.json"
  dockerd --config-file "$work/daemon.json" --data-root "$work/docker" --exec-root "$work/docker-exec" \
    --pidfile "$work/docker.pid" -H "unix://$dsock" --bridge=none --iptables=false --ip-masq=false \
    --ip-forward=false >"$work/dockerd.log" 2>&1 &
  docker_pid=$!
  for _ in $(seq 1 100); do DOCKER_HOST=unix://$dsock docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker="env DOCKER_HOST=unix://$dsock docker"
  $docker import "$work/rootfs.tar" bench/base >/dev/null
  add -n "docker import" --prepare "$docker rmi -f bench/imp:1 >/dev/null 2>&1 || true" "$docker import $work/rootfs.tar bench/imp:1"
  add -n "docker commit" --prepare "$docker rm -f bench-c >/dev/null 2>&1; $docker rmi -f bench/commit:1 >/dev/null 2>&1; $docker run --network none --name bench-c bench/base sh -c 'for i in \$(seq 1 50); do head -c 1048576 /dev/urandom > /tmp/f\$i; done'" "$docker commit bench-c bench/commit:1"
  add -n "docker save" --prepare "rm -f $work/docker-save.tar" "$docker save -o $work/docker-save.tar bench/base"
  $docker save -o "$work/docker-load.tar" bench/base
  add -n "docker load" --prepare "$docker rm -f bench-c >/dev/null 2>&1; $docker rmi -f bench/commit:1 bench/imp:1 >/dev/null 2>&1; $docker rmi -f bench/base >/dev/null" "$docker load -q -i $work/docker-load.tar"
fi

# podman
if command -v podman >/dev/null; then
  podman="podman --root $work/podman --runroot $work/podman-run --runtime runc --cgroup-manager cgroupfs --events-backend none"
  $podman import -q "$work/rootfs.tar" bench/base >/dev/null
  add -n "podman import" --prepare "$podman rmi -f bench/imp:1 >/dev/null 2>&1 || true" "$podman import -q $work/rootfs.tar bench/imp:1"
  # podman cannot run a container on this kind of host (it raises hard rlimits
  # without CAP_SYS_RESOURCE), so its container gets the same 50 MiB through
  # podman mount instead of a shell inside it
  cat > "$work/podman-prepare.sh" <<PREP
$podman rm -f bench-c >/dev/null 2>&1; $podman rmi -f bench/commit:1 >/dev/null 2>&1
$podman create --name bench-c bench/base true >/dev/null
mnt=\$($podman mount bench-c)
for i in \$(seq 1 50); do head -c 1048576 /dev/urandom > "\$mnt/tmp/f\$i"; done
$podman umount bench-c >/dev/null
PREP
  add -n "podman commit" --prepare "bash $work/podman-prepare.sh" "$podman commit -q bench-c bench/commit:1"
  add -n "podman save" --prepare "rm -f $work/podman-save.tar" "$podman save -q -o $work/podman-save.tar bench/base"
  $podman save -q -o "$work/podman-load.tar" bench/base
  add -n "podman load" --prepare "$podman rm -f bench-c >/dev/null 2>&1; $podman rmi -f bench/commit:1 bench/imp:1 >/dev/null 2>&1; $podman rmi -f bench/base >/dev/null" "$podman load -q -i $work/podman-load.tar"
fi

hyperfine --warmup 1 --runs "$runs" --export-json "$work/result.json" "${commands[@]}" >&2

node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1])).results;
  const med = Object.fromEntries(r.map((x) => [x.command, x.median * 1000]));
  console.log("operation   berth (ms)   docker (ms)   podman (ms)   berth speed-up vs the faster");
  for (const op of ["import", "commit", "save", "load"]) {
    const b = med["berth " + op], d = med["docker " + op], p = med["podman " + op];
    const best = Math.min(...[d, p].filter((v) => v !== undefined));
    const f = (v) => (v === undefined ? "-" : v.toFixed(0)).padStart(10);
    console.log(op.padEnd(10), f(b), "  ", f(d), "  ", f(p), "  ", Number.isFinite(best) ? (best / b).toFixed(2) + "x" : "-");
  }
' "$work/result.json"
