#!/usr/bin/env bash
# Builds a busybox bundle from Debian's busybox-static and runs it with
# berth-runtime: the container is PID 1 in its own namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=$(mktemp -d /tmp/berth-demo.XXXXXX)
engine=
berthd_pid=
# cleanup never decides the exit status (under set -e a failing step in a trap would)
cleanup() {
  set +e
  bin/berth-runtime delete --force berth-demo >/dev/null 2>&1
  rm -rf "$bundle"
  if [ -n "$berthd_pid" ]; then
    bin/berth rm -f berth-demo >/dev/null 2>&1
    kill "$berthd_pid" 2>/dev/null
    wait "$berthd_pid" 2>/dev/null
  fi
  [ -n "$engine" ] && rm -rf "$engine"
  return 0
}
trap cleanup EXIT
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs"/{proc,sys,dev,tmp,etc}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$applet"; done
cd "$bundle"
"$OLDPWD/bin/berth-runtime" spec
# No terminal: the demo's output goes straight to this one.
sed -i 's/"terminal": true/"terminal": false/' config.json
node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync("config.json"));
  c.process.args = ["sh", "-c", "echo \"hello from $(hostname): I am PID $$ of my own PID namespace\""];
  fs.writeFileSync("config.json", JSON.stringify(c, null, 2));
'
"$OLDPWD/bin/berth-runtime" run berth-demo

# And the engine: a private berthd, a busybox image imported into it, and
# `berth run` as a user types it. The daemon and its state go at the end.
cd "$OLDPWD"
engine=$(mktemp -d /tmp/berth-demo-engine.XXXXXX)
export BERTH_HOST="unix://$engine/berth.sock"
# berth must not start a daemon of its own while this one is still coming up
export BERTH_AUTOSTART=0
bin/berthd --data-root "$engine/data" --exec-root "$engine/run" -H "$BERTH_HOST" >"$engine/berthd.log" 2>&1 &
berthd_pid=$!
for _ in $(seq 1 100); do bin/berth version >/dev/null 2>&1 && break; sleep 0.1; done
tar -C "$bundle/rootfs" -cf "$engine/busybox.tar" .
bin/berth import "$engine/busybox.tar" busybox >/dev/null
bin/berth run --rm --name berth-demo busybox sh -c 'echo "hello from berth run: container $(hostname), PID $$"'
