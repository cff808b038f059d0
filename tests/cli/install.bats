#!/usr/bin/env bats
# Installing as an admin would: `make install` puts in place everything the registrar can
# register, wherever PREFIX points, and every program says which version it is and which QEMU it
# uses. The builds here go to their own O= and PREFIX under the test's directory; /etc is an overlay
# in a private mount namespace, so the host's /etc stays as it was.

load helpers

VERSION=$(sed -n 's/^VERSION *?= *//p' "$REPO/Makefile")

@test "--version on every program: the version, then the QEMU it uses" {
        local p
        for p in binfmt check-arch archbuild archway; do
                run "$BUILD/bin/$p" --version
                assert_success
                assert_line --index 0 "$p (archway) $VERSION"
                assert_line --index 1 --regexp '^qemu: (archway QEMU [0-9.]+ \(Debian source .*\) in /.*: |none in /)'
        done
        run "$ARCHSHIM" --version
        assert_success
        assert_line --index 0 "archshim (archway) $VERSION engine=exec"
        assert_line --index 1 --regexp '^qemu: '
        # debian/changelog carries the same version: one version everywhere.
        [[ $(sed -n '1s/^archway (\([^)]*\)).*/\1/p' "$REPO/debian/changelog") == "$VERSION" ]]
}

# make_in_ns ARGS...: make in this repository with /etc as an overlay (writes land in the test's
# directory), as root of a private mount namespace.
make_in_ns() {
        mkdir -p "$BATS_TEST_TMPDIR/etc-upper" "$BATS_TEST_TMPDIR/etc-work"
        unshare --mount --propagation private sh -c '
                mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc || exit 99
                shift 2; exec make -C "$REPO" --no-print-directory "$@"' _ \
                "$BATS_TEST_TMPDIR/etc-upper" "$BATS_TEST_TMPDIR/etc-work" "$@"
}

@test "make install PREFIX=X: binfmt --install arm64 --shim runs an arm64 busybox in a chroot without archway files; PREFIX=Y rebuilds for Y" {
        require_binfmt_ns
        [[ $(id -u) -eq 0 ]] || skip "needs root (a mount namespace with /etc as an overlay)"
        local o=$BATS_TEST_TMPDIR/o x=$BATS_TEST_TMPDIR/x y=$BATS_TEST_TMPDIR/y root=$BATS_TEST_TMPDIR/root
        local targets="aarch64 arm" # the test targets: in the cache after make check's emulators
        export BB ROOT=$root X=$x
        BB=$(fixture busybox-arm64)
        run make_in_ns -j2 O="$o" all
        assert_success
        run make_in_ns -j2 O="$o" install PREFIX="$x" QEMU_TARGETS="$targets"
        assert_success
        assert_output --partial "install-emulators: installed qemu-{aarch64,arm} and qemu-{aarch64,arm}-archway into $x/libexec/archway"
        [[ -x $x/bin/binfmt && -x $x/libexec/archway/archshim && -f $x/libexec/archway/qemu/manifest ]]
        [[ -x $x/libexec/archway/qemu/qemu-aarch64 && -x $x/libexec/archway/qemu-aarch64-archway ]]
        [[ -x $x/libexec/archway/qemu-arm-archway && -f $x/lib/systemd/system/archway-binfmt.service ]]
        grep -qx "arch = installed" "$BATS_TEST_TMPDIR/etc-upper/archway/binfmt.conf"
        # A root with nothing but Debian's arm64 busybox: the pinned interpreter is all it needs.
        mkdir -p "$root/bin"
        cp "$BB" "$root/bin/busybox"
        run binfmt_ns '
                "$X/bin/binfmt" --config /dev/null --binfmt-dir "$BINFMT_DIR" --install arm64 --shim >/dev/null 2>&1; echo "rc=$?"
                sed -n "s/^interpreter //p" "$BINFMT_DIR/qemu-aarch64"
                chroot "$ROOT" /bin/busybox uname -m
                find "$ROOT" -iname "*archway*" | wc -l'
        assert_success
        assert_line --index 0 "rc=0"
        assert_line --index 1 "$x/libexec/archway/qemu-aarch64-archway"
        assert_line --index 2 "aarch64"
        assert_line --index 3 "0"
        # Another PREFIX rebuilds (the config stamp changed): the new binaries look in Y, not X.
        run make_in_ns -j2 O="$o" install PREFIX="$y" QEMU_TARGETS="$targets"
        assert_success
        assert_output --partial "  CC     $o/binfmt/main.o"
        run env -u ARCHWAY_QEMU_DIR "$y/bin/binfmt" --config /dev/null --version
        assert_line --index 1 --partial "in $y/libexec/archway/qemu: aarch64 arm"
        grep -q "$y/libexec/archway" "$y/bin/binfmt" "$y/libexec/archway/archshim" "$y/bin/archbuild"
        ! grep -q "$x/" "$y/bin/binfmt" "$y/libexec/archway/archshim" "$y/bin/archbuild"
        # The same values again: nothing is compiled.
        run make_in_ns -j2 O="$o" all PREFIX="$y"
        assert_success
        refute_output --partial "  CC "
}
