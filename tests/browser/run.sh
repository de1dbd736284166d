#!/bin/sh
# The browser test as ctest runs it: dependencies first (scripts/browser-deps.sh), then the driver.
# $1: the output folder for screenshots and the server's log.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
"$here/../../scripts/browser-deps.sh"
rm -rf "$1"
exec node "$here/console_test.mjs" "$1"
