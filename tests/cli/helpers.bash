# Shared bats helpers. `load helpers` from a suite in tests/cli/.
#
# The binaries under test come from environment variables with build-tree defaults, so the same
# suites can check an installed copy: BINFMT=/usr/local/bin/binfmt bats tests/cli/binfmt.bats

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
# shellcheck source=scripts/lib/userns.sh
source "$REPO/scripts/lib/userns.sh"
BUILD=${ARCHWAY_BUILD:-$REPO/build}
BINFMT=${BINFMT:-$BUILD/bin/binfmt}
CHECK_ARCH=${CHECK_ARCH:-$BUILD/bin/check-arch}
ARCHBUILD=${ARCHBUILD:-$BUILD/bin/archbuild}
ARCHSHIM=${ARCHSHIM:-$BUILD/libexec/archshim}
FIXTURES=${ARCHWAY_FIXTURES:-/var/cache/archway/fixtures}
export REPO BUILD BINFMT CHECK_ARCH ARCHBUILD ARCHSHIM FIXTURES

bats_require_minimum_version 1.5.0

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

# fixture NAME: print the path of a fetched fixture (scripts/fetch-fixtures), or skip saying why.
fixture() {
        local path="$FIXTURES/$1"
        [[ -e $path ]] || skip "fixture $path missing: run scripts/fetch-fixtures"
        printf '%s\n' "$path"
}

# Each user namespace has its own binfmt_misc instance since Linux 6.7; before that, mounting it in a
# user namespace fails and a test could only reach the host's global table, which tests never touch.
require_binfmt_ns() {
        local out
        if ! out=$(unshare --user --map-root-user --mount \
                sh -c 'd=$(mktemp -d) && mount -t binfmt_misc binfmt_misc "$d" && test -w "$d/register"' 2>&1); then
                skip "no private binfmt_misc instance (needs Linux >= 6.7 and user namespaces): $out"
        fi
}

# The script run inside the namespace: mount a fresh instance, expose it as BINFMT_DIR and also over
# /proc/sys/fs/binfmt_misc (private to this mount namespace), then run the test's script.
_binfmt_ns_prologue='set -e
BINFMT_DIR=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/binfmt.XXXXXX")
mount -t binfmt_misc binfmt_misc "$BINFMT_DIR"
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
export BINFMT_DIR
set +e
'

# binfmt_ns 'script': bash -c script as root of a new user namespace mapped to the caller only, with a
# private binfmt_misc instance. Whatever it registers dies with the namespace.
binfmt_ns() {
        require_binfmt_ns
        unshare --user --map-root-user --mount --propagation private \
                bash -c "$_binfmt_ns_prologue$1"
}

# binfmt_ns_full 'script': the same with a full 0:0:65536 uid/gid map, which container builders
# (buildah's setgroups, chown of image files) need. unshare(1) would go through newuidmap and
# /etc/subuid; a root parent may write the maps itself, so it does, while the child waits on a fifo.
binfmt_ns_full() {
        require_binfmt_ns
        [[ $(id -u) -eq 0 ]] || skip "a full uid/gid map needs a root parent"
        local sync pid rc
        sync=$(mktemp -u "${BATS_TEST_TMPDIR:-/tmp}/sync.XXXXXX")
        mkfifo "$sync"
        unshare --user --mount --propagation private \
                bash -c 'read -r -t 300 _ <>"$1" || exit 125; exec bash -c "$2"' _ "$sync" "$_binfmt_ns_prologue$1" &
        pid=$!
        userns_map "$pid" || { rm -f "$sync"; echo "binfmt_ns_full: cannot write the id maps" >&2; return 1; }
        echo go >"$sync"
        wait "$pid"
        rc=$?
        rm -f "$sync"
        return "$rc"
}
