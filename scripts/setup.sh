#!/usr/bin/env bash
# Installs whatever is missing to run (or, with --test, to test) LiveRelay on Debian/Ubuntu
# with Node.js >= 20: system packages, npm dependencies, the build, and for tests the Pulumi CLI.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=false
system_only=false
for arg in "$@"; do
  case "$arg" in
    --test) want_tests=true ;;
    --system-only) system_only=true ;; # only the Debian packages (CI then runs the README's npm ci itself)
    *) echo "usage: $0 [--test] [--system-only]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
(( node_major >= 20 )) || die "Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))"

# ffmpeg runs the relay workers; libsrt + a compiler build the SRT ingest addon.
runtime_pkgs=(ffmpeg libsrt-openssl-dev pkg-config g++ make python3)
# Real peers the tests publish with and relay to: GStreamer (rtmp2sink, srtsink), srt-live-transmit, nginx-rtmp, stunnel (RTMPS) with an openssl-made test CA.
# postgresql: a throw-away PostgreSQL 15 cluster per test file (the PostgreSQL store).
# python3-venv: the venv schemathesis (API fuzzing from /openapi.json) runs in.
test_pkgs=(python3-venv srt-tools gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav nginx libnginx-mod-rtmp stunnel4 openssl chromium postgresql)
pkgs=("${runtime_pkgs[@]}")
$want_tests && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} > 0 )); then
  say "installing system packages: ${missing[*]}"
  sudo_cmd=()
  (( EUID == 0 )) || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if $system_only; then say "system packages ready"; exit 0; fi

# node-gyp must use the headers of the installed Node.js, never download them.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [[ -f "$node_prefix/include/node/node.h" ]]; then export npm_config_nodedir="$node_prefix"; fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

say "building (npm run build)"
npm run build --silent

if $want_tests; then
  # Pinned: the fuzz test's schemathesis.toml and its checks are written for this version.
  schemathesis_version=4.32.5
  if ! .tools/venv/bin/schemathesis --version 2>/dev/null | grep -qx "schemathesis, version $schemathesis_version"; then
    say "schemathesis $schemathesis_version in .tools/venv (API fuzz test)"
    python3 -m venv .tools/venv
    .tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
  fi
  if [[ -f scripts/setup-pulumi.sh ]]; then
    say "Pulumi CLI for the provider's end-to-end tests"
    bash scripts/setup-pulumi.sh
  fi
fi
say "ready"
