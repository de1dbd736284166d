#!/bin/sh
# Installs what is missing, builds omsgw (Release) and starts the gateway (port 8080) with the
# bundled OCI core (port 8081), its SQLite files under ./data. Extra arguments go to `omsgw serve`.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DOMSGW_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target omsgw
exec ./build/release/app/omsgw serve --config samples/omsgw.json --data-dir ./data "$@"
