#!/usr/bin/env bash
# One command for a fresh Debian/Ubuntu machine (as root): installs every
# dependency, builds berth, and runs a demo container from a busybox bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/demo.sh
