#!/bin/sh
# Installs what the browser test (tests/browser/) needs and nothing else needs: Debian's chromium
# and node, and the `ws` package from the npm registry at the version tests/browser/package-lock.json
# pins, into tests/browser/node_modules. Run by that test itself; safe to run again.
set -eu
cd "$(dirname "$0")/.."
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    echo "browser-deps: installing$missing"
    SUDO=""
    if [ "$(id -u)" != "0" ]; then
        SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ ! -d tests/browser/node_modules/ws ]; then
    echo "browser-deps: npm ci (ws)"
    (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
