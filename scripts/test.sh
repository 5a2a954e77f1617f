#!/usr/bin/env bash
# The whole test suite, from a fresh clone (as root): installs what is
# missing, checks types and lint, then runs unit, conformance, integration
# and interop tests with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== typecheck and lint"
npx tsc --noEmit -p .
npx eslint .
echo "== tests"
scripts/run-tests.sh all
