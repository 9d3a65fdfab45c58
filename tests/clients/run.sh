#!/usr/bin/env bash
# The real-client suite: installs the pinned clients, then runs tests/clients/*.test.ts inside a
# new loopback-only network namespace (unshare -rn), so no client can reach its vendor whatever
# it tries. The mocks, the sidecar and nginx run inside the same namespace.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ ! -x "$here/node_modules/.bin/claude" ] || [ "${CI:-}" = true ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$root"
exec unshare -rn bash -c 'ip link set lo up && exec node --import tsx --test --test-concurrency=1 --test-timeout=300000 tests/clients/*.test.ts'
