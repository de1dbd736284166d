#!/bin/sh
# Installs the Debian 12 packages omsgw needs to build and test, skipping those already there.
# Run as root (or with sudo available). Safe to run again: a second run installs nothing.
set -eu

# libssl-dev: libcrypto (hashes, RS256). libgnutls28-dev: TLS on the listeners (libmicrohttpd's own
# TLS library; common/tls.c checks key pairs). libpq-dev: the PostgreSQL storage backend's client.
# postgresql: the server binaries (initdb, postgres) the tests start for themselves in a temporary
# folder; no system cluster is used.
PACKAGES="gcc make cmake pkg-config libmicrohttpd-dev libjson-c-dev libsqlite3-dev libcurl4-openssl-dev libcmocka-dev zlib1g-dev libpq-dev postgresql libssl-dev libgnutls28-dev"
if [ "${OMSGW_WITH_CLANG:-0}" = "1" ]; then
    PACKAGES="$PACKAGES clang"
fi
# gcovr: the per-folder coverage report of scripts/coverage.sh (it reads gcc's own gcov data).
if [ "${OMSGW_WITH_COVERAGE:-0}" = "1" ]; then
    PACKAGES="$PACKAGES gcovr"
fi

missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi

echo "deps: installing$missing"
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Installing the server must not create and start a system-wide cluster: omsgw's tests run their
# own throwaway servers, and a deployment points storage.url at the PostgreSQL it already runs.
case "$missing" in
*postgresql*)
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/omsgw-no-main-cluster.conf >/dev/null
    ;;
esac
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
