#!/usr/bin/env bash
# Builds a busybox bundle from Debian's busybox-static and runs it with
# berth-runtime: the container is PID 1 in its own namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'bin/berth-runtime delete --force berth-demo >/dev/null 2>&1 || true; rm -rf "$bundle"' EXIT
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
