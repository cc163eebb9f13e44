#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, npm ci, build, lint, format, import
# cycles, unit + integration + browser tests. Installs what is missing when it can (root + apt),
# otherwise stops and prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v etcd >/dev/null 2>&1 || need_pkgs+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need_pkgs+=(etcd-client)
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test: installing missing system packages: ${need_pkgs[*]}"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "test: cannot install them here. Run: sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

echo "test: build (tsc)"
npm run --silent build
echo "test: typecheck (tests included)"
npx tsc -p tsconfig.json
echo "test: eslint + prettier"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "test: import cycles"
npx madge --circular --extensions ts --ts-config tsconfig.json src
echo "test: vitest"
mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
# One plain closing line that any CI reads: "tests: N passed, N failed".
node -e '
  const r = JSON.parse(require("node:fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit "$status"
