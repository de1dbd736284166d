#!/bin/sh
# Runs a test executable without privileges. As a normal user: as it is. As root (CI): as the
# user OMSGW_TEST_USER (default: nobody), created with useradd when it does not exist, through
# setpriv, with /tmp for temporary folders. When that user cannot reach the executable (a checkout
# under a private folder, as mktemp -d makes), the executable and the test data it reads
# (OMSGW_SOURCE_DIR/tests/data and samples) are copied into a folder of its own and run from there (its gcov
# counters are then not written).
set -eu
if [ "$(id -u)" != 0 ]; then
    exec "$@"
fi
user=${OMSGW_TEST_USER:-nobody}
if ! id -u "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
fi
uid=$(id -u "$user")
gid=$(id -g "$user")
as_user() {
    setpriv --reuid="$uid" --regid="$gid" --clear-groups env HOME=/tmp TMPDIR=/tmp "$@"
}
echo "as_user.sh: running $1 as $user (uid $uid)" >&2
if as_user test -x "$1"; then
    exec setpriv --reuid="$uid" --regid="$gid" --clear-groups env HOME=/tmp TMPDIR=/tmp "$@"
fi
copy_dir=$(mktemp -d /tmp/omsgw-as-user.XXXXXX)
trap 'rm -rf "$copy_dir"' EXIT
chmod 755 "$copy_dir"
executable="$copy_dir/$(basename "$1")"
cp "$1" "$executable"
chmod 755 "$executable"
shift
if [ -n "${OMSGW_SOURCE_DIR:-}" ] && [ -d "$OMSGW_SOURCE_DIR/tests/data" ]; then
    mkdir -p "$copy_dir/source/tests"
    cp -R "$OMSGW_SOURCE_DIR/tests/data" "$copy_dir/source/tests/data"
    [ ! -d "$OMSGW_SOURCE_DIR/samples" ] || cp -R "$OMSGW_SOURCE_DIR/samples" "$copy_dir/source/samples"
    chmod -R a+rX "$copy_dir/source"
    OMSGW_SOURCE_DIR="$copy_dir/source"
    OMSGW_TEST_DATA="$copy_dir/source/tests/data"
    export OMSGW_SOURCE_DIR OMSGW_TEST_DATA
fi
echo "as_user.sh: $user cannot reach the build tree; running a copy, $executable" >&2
status=0
as_user "$executable" "$@" || status=$?
exit "$status"
