#!/usr/bin/env bash
# Runs the test suites with Node's test runner: unit tests beside the code
# (no root), then conformance, integration and interop tests (root, real
# kernel features, real docker/podman). Usage: scripts/run-tests.sh [unit|all]
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-all}
files=$(find src -name '*.test.ts' | sort)
if [ "$scope" = all ]; then
  for dir in test/conformance test/integration test/interop; do
    [ -d "$dir" ] && files="$files $(find "$dir" -name '*.test.ts' | sort)"
  done
fi
# shellcheck disable=SC2086
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec $files
