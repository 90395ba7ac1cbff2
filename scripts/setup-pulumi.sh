#!/usr/bin/env bash
# Builds the Pulumi CLI from the Go module proxy (no GitHub release downloads
# are possible here) into .tools/pulumi/bin/, for the provider e2e tests.
#
#   npm run setup:pulumi
#
# Idempotent: an up-to-date .tools/pulumi/bin/pulumi is kept as is, and built
# binaries are cached outside the repo (CI works on fresh clones) in
#   ${LIVERELAY_TOOLS_CACHE:-$HOME/.cache/liverelay-tools}/pulumi-v<version>/
# The first build takes several minutes; later runs copy from the cache.
set -euo pipefail

PULUMI_VERSION="3.248.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE_DIR="$ROOT/test/e2e/pulumi-cli"
TOOLS_DIR="$ROOT/.tools/pulumi"
BIN_DIR="$TOOLS_DIR/bin"
CACHE_DIR="${LIVERELAY_TOOLS_CACHE:-$HOME/.cache/liverelay-tools}/pulumi-v$PULUMI_VERSION"
NPM_PULUMI_DIR="$ROOT/node_modules/@pulumi/pulumi"
LANGHOST_MODULE="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"

log() { echo "[setup-pulumi] $*"; }
die() { echo "[setup-pulumi] ERROR: $*" >&2; exit 1; }

# Succeeds when $1 is an executable pulumi CLI of the pinned version.
is_wanted_cli() {
  [[ -x "$1" ]] && [[ "$("$1" version 2>/dev/null || true)" == "v$PULUMI_VERSION" ]]
}

mkdir -p "$BIN_DIR"

if is_wanted_cli "$BIN_DIR/pulumi"; then
  log "pulumi v$PULUMI_VERSION already in .tools/pulumi/bin"
elif is_wanted_cli "$CACHE_DIR/pulumi"; then
  log "copying cached binaries from $CACHE_DIR"
  for f in "$CACHE_DIR"/pulumi "$CACHE_DIR"/pulumi-language-*; do
    [[ -f "$f" ]] || continue
    cp -f "$f" "$BIN_DIR/.tmp.$(basename "$f")"
    mv -f "$BIN_DIR/.tmp.$(basename "$f")" "$BIN_DIR/$(basename "$f")"
  done
else
  command -v go >/dev/null 2>&1 || die "Go toolchain not found (needed to build the Pulumi CLI)"
  export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
  # A local toolchain is enough; never try to download another one.
  export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

  log "building pulumi v$PULUMI_VERSION from the Go module proxy (first time: several minutes)"
  start=$SECONDS
  (
    cd "$MODULE_DIR"
    go build -o "$BIN_DIR/.tmp.pulumi" \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  mv -f "$BIN_DIR/.tmp.pulumi" "$BIN_DIR/pulumi"
  log "built pulumi in $((SECONDS - start))s"

  # The Node.js language host lives in its own module. It is optional:
  # Automation API inline programs run their own language server in-process.
  log "trying to build pulumi-language-nodejs ($LANGHOST_MODULE@v$PULUMI_VERSION)"
  langtmp="$(mktemp -d)"
  if (
    cd "$langtmp"
    go mod init liverelay.local/pulumi-language-nodejs >/dev/null 2>&1
    go get "$LANGHOST_MODULE@v$PULUMI_VERSION" &&
      go build -o "$BIN_DIR/.tmp.pulumi-language-nodejs" \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
        "$LANGHOST_MODULE"
  ) >"$langtmp/build.log" 2>&1; then
    mv -f "$BIN_DIR/.tmp.pulumi-language-nodejs" "$BIN_DIR/pulumi-language-nodejs"
    log "built pulumi-language-nodejs"
  else
    rm -f "$BIN_DIR/.tmp.pulumi-language-nodejs"
    log "NOTE: pulumi-language-nodejs could not be built; continuing without it."
    log "      (Automation API inline programs work without it; 'pulumi up' in a"
    log "      project directory does not.) Reason:"
    grep -E 'go: |error' "$langtmp/build.log" | head -n 3 | sed 's/^/[setup-pulumi]        /' || true
  fi
  rm -rf "$langtmp"

  is_wanted_cli "$BIN_DIR/pulumi" ||
    die "built binary reports '$("$BIN_DIR/pulumi" version 2>&1 || true)', expected v$PULUMI_VERSION"
fi

# (Re)fill the out-of-repo cache so the next fresh clone skips the build.
if ! is_wanted_cli "$CACHE_DIR/pulumi"; then
  log "caching binaries in $CACHE_DIR"
  mkdir -p "$CACHE_DIR"
  for f in "$BIN_DIR"/pulumi "$BIN_DIR"/pulumi-language-*; do
    [[ -f "$f" ]] || continue
    cp -f "$f" "$CACHE_DIR/.tmp.$(basename "$f")"
    mv -f "$CACHE_DIR/.tmp.$(basename "$f")" "$CACHE_DIR/$(basename "$f")"
  done
fi

# Launcher scripts shipped with the npm package (e.g. the dynamic provider
# plugin pulumi-resource-pulumi-nodejs); the CLI finds them next to itself.
if [[ -d "$NPM_PULUMI_DIR" ]]; then
  copied=0
  for f in "$NPM_PULUMI_DIR"/pulumi-*; do
    [[ -f "$f" && "$f" != *.cmd ]] || continue
    cp -f "$f" "$BIN_DIR/"
    chmod +x "$BIN_DIR/$(basename "$f")"
    copied=$((copied + 1))
  done
  log "copied $copied launcher script(s) from node_modules/@pulumi/pulumi"
else
  log "NOTE: node_modules/@pulumi/pulumi not found (run 'npm ci' first);"
  log "      dynamic-provider launcher pulumi-resource-pulumi-nodejs not installed"
fi

is_wanted_cli "$BIN_DIR/pulumi" || die "$BIN_DIR/pulumi does not report v$PULUMI_VERSION"
log "pulumi $("$BIN_DIR/pulumi" version) ready: $BIN_DIR/pulumi"
