#!/usr/bin/env bash
# Runs the README's run command exactly as written (npm ci && npm run build && npx liverelay serve),
# on free ports with a temporary data dir, and fails unless /readyz answers 200.
set -uo pipefail
cd "$(dirname "$0")/.."

data_dir=$(mktemp -d)
log="$data_dir/serve.log"
cleanup() {
  [[ -n "${pid:-}" ]] && kill -TERM -- "-$pid" 2>/dev/null
  rm -rf "$data_dir"
}
trap cleanup EXIT

# node-gyp builds the native addons against the installed Node's headers rather than downloading them.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
[[ -f "$node_prefix/include/node/node.h" ]] && export npm_config_nodedir="$node_prefix"

echo "[readme-run] npm ci && npm run build && npx liverelay serve (free ports, data dir $data_dir)"
setsid bash -c "npm ci --no-audit --no-fund && npm run build && npx liverelay serve --http-port 0 --rtmp-port 0 --srt-port 0 --data-dir '$data_dir/data'" >"$log" 2>&1 &
pid=$!

deadline=$((SECONDS + 1200))
while (( SECONDS < deadline )); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "[readme-run] FAILED: the command exited before the service was ready" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  port=$(grep -o '"msg":"liverelay ready: http http://[^:]*:[0-9]*' "$log" | grep -o '[0-9]*$' | head -n 1)
  if [[ -n "$port" ]]; then
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")
    if [[ "$code" == 200 ]]; then
      echo "[readme-run] ok: /readyz answered 200 on port $port"
      kill -TERM -- "-$pid"
      wait "$pid" 2>/dev/null
      pid=
      exit 0
    fi
  fi
  sleep 1
done
echo "[readme-run] FAILED: /readyz did not answer 200 in time" >&2
tail -n 40 "$log" >&2
exit 1
