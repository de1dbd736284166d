#!/bin/sh
# Runs a test executable without privileges. As a normal user: as it is. As root (CI): as the
# user OMSGW_TEST_USER (default: nobody), created with useradd when it does not exist, through
# setpriv, with /tmp for temporary folders. The build tree must be readable by that user.
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
echo "as_user.sh: running $1 as $user (uid $uid)" >&2
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups env HOME=/tmp TMPDIR=/tmp "$@"
