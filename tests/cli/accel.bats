#!/usr/bin/env bats
# archway accel: native twins in an arm64 root, routed by archshim in private binfmt_misc instances
# only. A routed compile + link makes a working arm64 program; each fall-back condition leaves the
# rule unfired (archshim's debug line names the condition); --verify finds no difference.
#
# Needs: an arm64 Debian root with gcc-12 (ARCHWAY_ACCEL_ROOT, default scripts/fetch-fixtures' one),
# for C++ one with g++-12 too (ARCHWAY_ACCEL_CXX_ROOT, default fetch-fixtures' gxx-root-arm64), the
# host's gcc-12-aarch64-linux-gnu (g++-12-aarch64-linux-gnu) + binutils-aarch64-linux-gnu, our QEMU
# (ARCHWAY_QEMU_DIR) or qemu-user-static, Linux >= 6.7.
# The root is never modified: each run installs into a hard-linked copy (every file we write is
# written by rename or after unlink, so the shared inodes stay untouched).

load helpers

ARCHWAY=${ARCHWAY:-$BUILD/bin/archway}
TWIN_LAUNCH=${TWIN_LAUNCH:-$BUILD/libexec/archway-twin-launch}
ACCEL_ROOT=${ARCHWAY_ACCEL_ROOT:-$FIXTURES/gcc-root-arm64}
GXX_ROOT=${ARCHWAY_ACCEL_CXX_ROOT:-$FIXTURES/gxx-root-arm64}
# Our QEMU when make check names it (ARCHWAY_QEMU_DIR), else Debian's.
if [[ -z ${QEMU:-} ]]; then
        QEMU=/usr/bin/qemu-aarch64-static
        [[ -x ${ARCHWAY_QEMU_DIR:-/nonexistent}/qemu-aarch64 ]] && QEMU=$ARCHWAY_QEMU_DIR/qemu-aarch64
fi

setup_file() {
        [[ -x $ARCHWAY && -x $TWIN_LAUNCH && -x $ARCHSHIM ]] || return 0
        [[ -x $ACCEL_ROOT/usr/lib/gcc/aarch64-linux-gnu/12/cc1 ]] || return 0
        command -v aarch64-linux-gnu-gcc-12 >/dev/null || return 0
        export ROOT=$BATS_FILE_TMPDIR/root QDIR=$BATS_FILE_TMPDIR/qemu
        cp -al "$ACCEL_ROOT" "$ROOT"
        rm -rf "$ROOT/.archway" "$ROOT/tmp"/*
        mkdir -p "$QDIR" "$ROOT/.archway/qemu"
        cp "$QEMU" "$QDIR/qemu-aarch64"
        # The host's twins only: a version-exact compiler in the cache (scripts/build-cross-gcc) has
        # tests of its own below. The make built from the root's source (make twin-tools) is used.
        mkdir -p "$BATS_FILE_TMPDIR/no-cache"
        ln -s "${ARCHWAY_CACHE_DIR:-/var/cache/archway}/twin-tools" "$BATS_FILE_TMPDIR/no-cache/twin-tools"
        env -u LIBRARY_PATH ARCHWAY_CACHE_DIR="$BATS_FILE_TMPDIR/no-cache" "$ARCHWAY" accel install \
                --platform linux/arm64 --root "$ROOT" --launcher "$TWIN_LAUNCH" >&3
        printf 'int main(void) { return 0; }\n' >"$ROOT/tmp/empty.c"
        printf '#include <stdio.h>\nint main(int c, char **v) { printf("arm64 says %%d\\n", c * 21); return 0; }\n' \
                >"$ROOT/tmp/hello.c"
}

setup() {
        [[ -x $ARCHWAY ]] || skip "archway not built (ARCHWAY=$ARCHWAY)"
        [[ -x $TWIN_LAUNCH ]] || skip "archway-twin-launch not built (TWIN_LAUNCH=$TWIN_LAUNCH)"
        [[ -x $ARCHSHIM ]] || skip "archshim not built (ARCHSHIM=$ARCHSHIM)"
        [[ -x $ACCEL_ROOT/usr/lib/gcc/aarch64-linux-gnu/12/cc1 ]] ||
                skip "no arm64 root with gcc-12 at $ACCEL_ROOT: run scripts/fetch-fixtures, or set ARCHWAY_ACCEL_ROOT"
        command -v aarch64-linux-gnu-gcc-12 >/dev/null || skip "gcc-12-aarch64-linux-gnu not installed on the host"
        [[ -x $QEMU ]] || skip "no $QEMU"
        [[ -f $ROOT/.archway/routes.idx ]] || skip "twins were not installed in setup_file"
}

# in_root 'commands': run in a private binfmt_misc instance with archshim registered for arm64 (F,P)
# and QEMU reachable at /.archway/qemu. `run_gcc ENV... -- ARGS...` runs the root's gcc with
# ARCHWAY_SHIM_DEBUG=1 and a clean environment plus ENV.
in_root() {
        binfmt_ns '
echo ":archway-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$ARCHSHIM"':FP" >"$BINFMT_DIR/register"
mount --bind "'"$QDIR"'" "'"$ROOT"'/.archway/qemu"
R="'"$ROOT"'"
run_gcc() { local e=(); while [ "$1" != -- ]; do e+=("$1"); shift; done; shift
        env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu ARCHWAY_SHIM_DEBUG=1 "${e[@]}" chroot "$R" gcc "$@"; }
'"$1"
}

@test "install: one rule per tool, keyed by the root's own build-id, conditions included" {
        local id
        id=$(aarch64-linux-gnu-readelf -n "$ROOT/usr/bin/aarch64-linux-gnu-gcc-12" | awk '/Build ID/ { print $3 }')
        run grep -A3 '^# /usr/bin/aarch64-linux-gnu-gcc-12' "$ROOT/.archway/routes.conf"
        assert_output --partial "build-id = $id"
        # 9 for the toolchain (drivers and binutils the root has; 10 with g++), 2 for objdump and
        # readelf, the rest for build tools
        run grep -c '^# /usr/bin/aarch64-linux-gnu-' "$ROOT/.archway/routes.conf"
        assert_output $((11 + $([[ -x $ROOT/usr/bin/aarch64-linux-gnu-g++-12 ]] && echo 1 || echo 0)))
        run grep -c '^keep-argv0 = yes$' "$ROOT/.archway/routes.conf"
        [[ $output -ge 10 ]]
        run "$ARCHSHIM" --check-routes "$ROOT/.archway/routes.conf"
        assert_success
        [[ -x $ROOT/.archway/native/host-lib/ld-linux-x86-64.so.2 ]]
        [[ -L $ROOT/.archway/native/usr/lib/gcc-cross/aarch64-linux-gnu/12/crtbeginS.o ]]
}

@test "routed compile and link make a working arm64 program" {
        run in_root 'run_gcc -- -O2 /tmp/hello.c -o /tmp/hello-routed && env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu chroot "$R" /tmp/hello-routed a b'
        assert_success
        assert_output --partial "route line"
        assert_output --partial "exec /.archway/native/usr/bin/aarch64-linux-gnu-gcc-12"
        assert_output --partial "arm64 says 63"
        run file "$ROOT/tmp/hello-routed"
        assert_output --partial "ARM aarch64"
}

@test "routed and emulated objects are identical except .comment" {
        run in_root 'run_gcc -- -O2 -g -c /tmp/hello.c -o /tmp/h-routed.o && run_gcc ARCHWAY_SHIM=qemu -- -O2 -g -c /tmp/hello.c -o /tmp/h-emu.o'
        assert_success
        aarch64-linux-gnu-objcopy -R .comment "$ROOT/tmp/h-routed.o" "$BATS_TEST_TMPDIR/a.o"
        aarch64-linux-gnu-objcopy -R .comment "$ROOT/tmp/h-emu.o" "$BATS_TEST_TMPDIR/b.o"
        cmp "$BATS_TEST_TMPDIR/a.o" "$BATS_TEST_TMPDIR/b.o"
}

# fallback ENV... -- ARGS...: the gcc rule must not fire, and the debug line names why.
fallback() {
        run in_root "run_gcc $* -E /tmp/empty.c -o /dev/null"
        refute_output --partial "route line"
        assert_output --partial "does not apply: unless-"
        assert_output --partial "trying /.archway/qemu/qemu-aarch64 /usr/bin/gcc"
        refute_output --partial "no emulator"
}

@test "fall-back: -march=native" { fallback -- -march=native; assert_output --partial "unless-arg -march=native"; }
@test "fall-back: -mcpu=native" { fallback -- -mcpu=native; assert_output --partial "unless-arg -mcpu=native"; }
@test "fall-back: -fplugin" { fallback -- -fplugin=/tmp/x.so; assert_output --partial "unless-arg -fplugin=/tmp/x.so"; }
@test "fall-back: -print-* names the twin's files" { fallback -- -print-libgcc-file-name; assert_output --partial "unless-arg -print-libgcc-file-name"; }
@test "fall-back: -fstack-protector (CVE-2023-4039, twin 12.2.0-14 vs root 12.2.0-14+deb12u1)" {
        fallback -- -fstack-protector-strong
        assert_output --partial "unless-arg -fstack-protector-strong"
}
@test "fall-back: LIBRARY_PATH naming a directory of the root" {
        fallback LIBRARY_PATH=/nonexistent:/tmp -- ; assert_output --partial "unless-env-dir LIBRARY_PATH"
}
@test "fall-back: LPATH naming a directory of the root" { fallback LPATH=/tmp -- ; assert_output --partial "unless-env-dir LPATH"; }
@test "fall-back: LIBRARY_PATH with an empty entry (the cwd)" { fallback LIBRARY_PATH=/nonexistent: -- ; }

@test "LIBRARY_PATH naming no directory of the root (the host's CUDA stubs): twinned" {
        run in_root 'run_gcc LIBRARY_PATH=/usr/local/cuda/lib64/stubs:/nonexistent -- -O2 /tmp/hello.c -o /tmp/h-lp'
        assert_success
        assert_output --partial "route line"
        refute_output --partial "does not apply"
}

@test "why LIBRARY_PATH is a condition: the native driver links from it, the twin driver ignores it" {
        # libarchwaytest.a only in /tmp/lp: found through LIBRARY_PATH by the root's own gcc; the twin,
        # started directly (no shim), reads LIBRARY_PATH before its specs say cross_compile 0.
        mkdir -p "$ROOT/tmp/lp"
        printf 'int archway_test(void) { return 42; }\n' >"$ROOT/tmp/lp/t.c"
        printf 'int archway_test(void);\nint main(void) { return archway_test() != 42; }\n' >"$ROOT/tmp/lpmain.c"
        run in_root 'run_gcc -- -c /tmp/lp/t.c -o /tmp/lp/t.o && chroot "$R" /.archway/native/usr/bin/aarch64-linux-gnu-ar rc /tmp/lp/libarchwaytest.a /tmp/lp/t.o &&
                run_gcc LIBRARY_PATH=/tmp/lp -- /tmp/lpmain.c -larchwaytest -o /tmp/lp-native && echo native-linked
                env -i PATH=/usr/sbin:/usr/bin:/bin LIBRARY_PATH=/tmp/lp chroot "$R" /.archway/native/usr/bin/gcc /tmp/lpmain.c -larchwaytest -o /tmp/lp-twin 2>&1; echo "twin=$?"'
        assert_line native-linked
        assert_output --partial "unless-env-dir LIBRARY_PATH"
        assert_output --partial "cannot find -larchwaytest"
        refute_line "twin=0"
}

@test "build tools: the shell and file tools run as the host's, with their own argv[0]; uname stays emulated" {
        grep -q '^# /bin/dash (dash)' "$ROOT/.archway/routes.conf" || skip "dash is not twinned here (host and root versions differ?)"
        printf 'echo "$0 $#"; uname -m; printf "b\\na\\n" | sort | head -n1; expr 6 \\* 7\n' >"$ROOT/tmp/t.sh"
        run in_root 'run_gcc ARCHWAY_ACCEL_LOG=/tmp/tools.log -- --version >/dev/null 2>&1; rm -f "$R/tmp/tools.log"
                env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu ARCHWAY_ACCEL_LOG=/tmp/tools.log chroot "$R" /bin/sh /tmp/t.sh x y
                env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu ARCHWAY_SHIM=qemu chroot "$R" /bin/sh /tmp/t.sh x y'
        assert_success
        # the same four lines both ways; the machine is the emulated one
        assert_equal "$(sed -n 1,4p <<<"$output")" "$(sed -n 5,8p <<<"$output")"
        assert_line --index 0 "/tmp/t.sh 2"
        assert_line --index 1 "aarch64"
        assert_line --index 3 "42"
        run cat "$ROOT/tmp/tools.log"
        assert_line --regexp $'^twinned\t/bin/sh\t/.archway/native/bin/dash$'
        assert_line --regexp $'^twinned\t/usr/bin/sort\t'
        assert_line --regexp $'^twinned\t/usr/bin/expr\t'
        # uname has no rule: emulated, and the log says it ran without a twin
        refute_line --regexp $'^twinned\t.*uname'
        assert_line --regexp $'^emulated\t(/usr)?/bin/uname\tno-rule$'
        run "$ARCHWAY" accel report "$ROOT/tmp/tools.log"
        assert_line --regexp '^  no twin uname +1$'
}

@test "build tools: LD_PRELOAD (fakeroot) keeps them emulated, and says so" {
        grep -q '^# /usr/bin/sort (coreutils)' "$ROOT/.archway/routes.conf" || skip "sort is not twinned here"
        run in_root 'env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu ARCHWAY_SHIM_DEBUG=1 LD_PRELOAD=/nonexistent.so chroot "$R" /usr/bin/sort /dev/null'
        assert_output --partial "does not apply: unless-env LD_PRELOAD"
        refute_output --partial "route line"
}

@test "build tools: nothing that reports the machine is twinned (uname, dpkg; make and bash only as our builds)" {
        run grep -c '^# /usr/bin/uname\|^# /bin/uname\|^# /usr/bin/dpkg \|^# /usr/bin/dpkg-architecture\|^# /usr/bin/perl' \
                "$ROOT/.archway/routes.conf"
        assert_output 0
        run grep '^# /usr/bin/make \|^# /bin/bash ' "$ROOT/.archway/routes.conf"
        refute_output --partial "the host's own"
}

@test "ARCHWAY_ACCEL_LOG: one line per decision; accel report sums them up" {
        local log=$ROOT/tmp/accel.log
        rm -f "$log"
        run in_root 'run_gcc ARCHWAY_ACCEL_LOG=/tmp/accel.log -- -O2 -c /tmp/hello.c -o /tmp/h-log.o
                run_gcc ARCHWAY_ACCEL_LOG=/tmp/accel.log -- -march=native -E /tmp/empty.c -o /dev/null'
        assert_success
        run cat "$log"
        assert_line --regexp $'^twinned\t/usr/bin/(aarch64-linux-gnu-)?gcc(-12)?\t/.archway/native/usr/bin/aarch64-linux-gnu-gcc-12$'
        assert_line --regexp $'^emulated\t/usr/bin/(aarch64-linux-gnu-)?gcc(-12)?\tunless-arg -march=native$'
        run "$ARCHWAY" accel report "$log"
        assert_success
        assert_line "compiler drivers: 1 of 2 twinned (50.0 %)"
        assert_output --regexp "emulated because unless-arg -march=native +1"
}
@test "ARCHWAY_ACCEL_LOG that cannot be written (read-only, like BuildKit's /.archway mount): the program runs, debug says why" {
        mkdir -p "$ROOT/tmp/ro"
        run in_root 'mount --bind "$R/tmp/ro" "$R/tmp/ro" && mount -o remount,bind,ro "$R/tmp/ro"
                run_gcc ARCHWAY_ACCEL_LOG=/tmp/ro/accel.log -- -O2 -c /tmp/hello.c -o /tmp/h-ro.o && echo compiled
                env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu ARCHWAY_ACCEL_LOG=/tmp/ro/accel.log chroot "$R" gcc -O2 -c /tmp/hello.c -o /tmp/h-ro2.o 2>&1 && echo quiet-compiled'
        assert_success
        assert_line compiled
        assert_output --partial "route line"
        assert_output --partial "ARCHWAY_ACCEL_LOG /tmp/ro/accel.log: cannot append: Read-only file system"
        # without ARCHWAY_SHIM_DEBUG nothing reaches the compiler's stderr (configure reads it)
        assert_equal "$(grep -c 'cannot append' <<<"$output")" 1
        assert_line quiet-compiled
        [[ ! -e $ROOT/tmp/ro/accel.log ]]
}
@test "fall-back: COMPILER_PATH" { fallback COMPILER_PATH=/tmp -- ; assert_output --partial "unless-env COMPILER_PATH"; }
@test "fall-back: GCC_EXEC_PREFIX" { fallback GCC_EXEC_PREFIX=/usr/lib/gcc/ -- ; assert_output --partial "unless-env GCC_EXEC_PREFIX"; }
@test "fall-back: version mismatch (the root's gcc replaced: another build-id)" {
        # A different gcc binary at the same path: copy the real one with one byte of its build-id
        # changed. The rule keys on the build-id, so it must not fire.
        local g=$ROOT/usr/bin/aarch64-linux-gnu-gcc-12 off
        off=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.index(b"GNU\0")+4)' "$g")
        cp "$g" "$BATS_TEST_TMPDIR/gcc" && rm "$g" && cp "$BATS_TEST_TMPDIR/gcc" "$g"
        printf '\x00' | dd of="$g" bs=1 seek="$off" conv=notrunc status=none
        run in_root 'run_gcc -- -E /tmp/empty.c -o /dev/null'
        cp "$BATS_TEST_TMPDIR/gcc" "$g"
        refute_output --partial "route line"
        assert_output --partial "trying /.archway/qemu/qemu-aarch64 /usr/bin/gcc"
}

@test "a twin's tools are found by the twin driver, not through the shim (as, collect2, ld)" {
        run in_root 'run_gcc -- -v -O2 /tmp/hello.c -o /tmp/h2 2>&1'
        # -v is a condition (it prints the twin's paths), so this one is emulated; the routed one is not:
        assert_output --partial "unless-arg -v"
        run in_root 'run_gcc -- -save-temps=obj -O2 /tmp/hello.c -o /tmp/h3'
        assert_success
        [[ -s $ROOT/tmp/h3-hello.i || -s $ROOT/tmp/hello.i || -s $ROOT/tmp/h3.i ]]
}

@test "--verify: emulated and routed agree on -dumpmachine, -E, objects, link and output" {
        run env -u LIBRARY_PATH ARCHWAY_SHIM="$ARCHSHIM" ARCHWAY_CACHE_DIR="$BATS_FILE_TMPDIR/no-cache" "$ARCHWAY" accel \
                install --platform linux/arm64 --root "$ROOT" --launcher "$TWIN_LAUNCH" --verify
        assert_success
        assert_output --partial "no difference"
        assert_output --partial ".comment differs as expected"
}

# A compiler proper (cc1, cc1plus, lto1) built from exactly the root's gcc source by
# scripts/build-cross-gcc, in the cache: hardened compiles are twinned and identical, .comment too.
use_exact_compiler() {
        local cache=${ARCHWAY_CACHE_DIR:-/var/cache/archway} v
        v=$(strings "$ACCEL_ROOT/usr/bin/aarch64-linux-gnu-gcc-12" | grep -o -m1 '(Debian [^)]*)' | sed 's/(Debian //; s/)//')
        EXACT=$cache/cross-gcc/$v-aarch64-linux-gnu
        grep -qx 'recipe=2' "$EXACT/manifest" 2>/dev/null ||
                skip "no compiler built from gcc-12 $v (recipe 2) in $cache/cross-gcc: make cross-gcc (docs/accel.md, Hardened compiles)"
        export R3=$BATS_TEST_TMPDIR/r3
        cp -al "$ACCEL_ROOT" "$R3"
        rm -rf "$R3/.archway" "$R3/tmp"/*
        mkdir -p "$R3/.archway/qemu"
        cp "$ROOT/tmp/hello.c" "$ROOT/tmp/empty.c" "$R3/tmp/"
        run env -u LIBRARY_PATH ARCHWAY_CACHE_DIR="$cache" "$ARCHWAY" accel install --platform linux/arm64 --root "$R3" \
                --launcher "$TWIN_LAUNCH"
        assert_success
        assert_output --partial "compiler: cc1, cc1plus, lto1 from $EXACT"
        refute_output --partial "stack-protected compiles stay emulated"
}

@test "version-exact compiler: no -fstack-protector condition; hardened compiles twinned" {
        use_exact_compiler
        run grep -c 'fstack-protector' "$R3/.archway/routes.conf"
        assert_output 0
        cmp "$EXACT/cc1" "$R3/.archway/native/real/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1"
        ROOT=$R3 run in_root 'run_gcc -- -O2 -fstack-protector-strong -c /tmp/hello.c -o /tmp/h-sp.o'
        assert_success
        assert_output --partial "route line"
}

@test "version-exact compiler: --verify finds whole files identical, hardened and plain" {
        use_exact_compiler
        run env -u LIBRARY_PATH ARCHWAY_SHIM="$ARCHSHIM" "$REPO/scripts/accel-verify" "$R3"
        assert_success
        assert_output --partial "no difference"
        assert_output --partial "whole files, .comment included"
}

# ---- build tools beyond the host's package: make (our build), dpkg-deb (and its libraries), tar,
# objdump, readelf, dwz

# both_ways ROOT: run ROOT/tmp/both.sh emulated (ARCHWAY_SHIM=qemu) into tmp/both.emu and routed into
# tmp/both.twin; the routed run's decisions go to tmp/both.log.
both_ways() {
        rm -f "$1/tmp/both.log" "$1/tmp/both.emu" "$1/tmp/both.twin"
        mkdir -p "$1/.archway/qemu"
        ROOT=$1 in_root 'for m in emu twin; do
                sw=ARCHWAY_SHIM=qemu; [ $m = twin ] && sw=ARCHWAY_ACCEL_LOG=/tmp/both.log
                env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu $sw chroot "$R" /bin/sh /tmp/both.sh >"$R/tmp/both.$m" 2>&1
        done'
}

# fresh_root NAME: a hard-linked copy of the fixture root without twins, at $BATS_TEST_TMPDIR/NAME.
fresh_root() {
        local r=$BATS_TEST_TMPDIR/$1
        cp -al "$ACCEL_ROOT" "$r"
        rm -rf "$r/.archway" "$r/tmp"/*
        echo "$r"
}

# set_changelog ROOT PACKAGE VERSION: the root's record of a package's version (an extracted root's
# changelog; dpkg's status file in a configured root), replaced by a new file (the copy's other files
# stay shared with the fixture).
set_changelog() {
        local f=$1/usr/share/doc/$2/changelog.Debian.gz s=$1/var/lib/dpkg/status
        [[ -e $f ]] || f=$1/usr/share/doc/$2/changelog.gz
        rm -f "$f"
        printf '%s (%s) bookworm; urgency=medium\n' "$2" "$3" | gzip -n >"$f"
        [[ -s $s ]] || return 0
        awk -v p="$2" -v v="$3" '$1 == "Package:" { pk = $2 } $1 == "Version:" && pk == p { $0 = "Version: " v } 1' \
                "$s" >"$s.new" && mv "$s.new" "$s"
}

install_into() { # ROOT
        run env -u LIBRARY_PATH ARCHWAY_CACHE_DIR="$BATS_FILE_TMPDIR/no-cache" "$ARCHWAY" accel install \
                --platform linux/arm64 --root "$1" --launcher "$TWIN_LAUNCH"
}

@test "make: twinned by a native build of the root's make-dfsg version; the same output both ways, MAKE_HOST the target's" {
        grep -q '^# /usr/bin/make (make) -> its twin, built from the same source' "$ROOT/.archway/routes.conf" ||
                skip "make is not twinned: no build of the root's make in the cache (make twin-tools)"
        mkdir -p "$ROOT/tmp/mk"
        cat >"$ROOT/tmp/mk/Makefile" <<'MK'
SRCS := a.c b.c c.c
all: $(SRCS:.c=.o) sub
	@echo "host=$(MAKE_HOST) version=$(MAKE_VERSION) make=$(MAKE) features=$(.FEATURES)"
	@echo "shell=$(shell uname -m) $(sort $(SRCS) z.c) $(patsubst %.c,%.h,$(SRCS))"
%.o: %.c
	@echo "pattern $@ from $< stem $*"; cp $< $@
sub:
	@$(MAKE) --no-print-directory leaf
leaf:
	@echo "leaf level=$(MAKELEVEL) host=$(MAKE_HOST)"
$(SRCS):
	@echo "int $(basename $@);" >$@
MK
        echo 'cd /tmp/mk && rm -f *.o *.c && make -j2 all >out 2>&1; echo "status $?"; sort out; make --version | head -n 2' \
                >"$ROOT/tmp/both.sh"
        both_ways "$ROOT"
        run cat "$ROOT/tmp/both.twin"
        assert_line "status 0"
        assert_line --partial "host=aarch64-unknown-linux-gnu version=4.3 make=make features=target-specific"
        assert_line "shell=aarch64 a.c b.c c.c z.c a.h b.h c.h"
        assert_line "leaf level=1 host=aarch64-unknown-linux-gnu"
        assert_line "Built for aarch64-unknown-linux-gnu"
        refute_output --partial x86_64
        cmp "$ROOT/tmp/both.emu" "$ROOT/tmp/both.twin"
        run grep -c $'^twinned\t/usr/bin/make\t/.archway/native/usr/bin/make$' "$ROOT/tmp/both.log"
        assert_output 3 # make, the sub-make, make --version
}

@test "make: a root whose make is another version gets no make twin; install names the build it lacks" {
        local r
        r=$(fresh_root r-make)
        set_changelog "$r" make 4.3-4.1+archway1
        install_into "$r"
        assert_success
        assert_output --partial "/usr/bin/make: no make built from make 4.3-4.1+archway1 in $BATS_FILE_TMPDIR/no-cache/twin-tools (scripts/build-twin-tools)"
        run grep -c '^# /usr/bin/make ' "$r/.archway/routes.conf"
        assert_output 0
}

@test "dpkg-deb: another dpkg version, or another version of a library it compresses with: no twin, and install says which" {
        local r host_lzma host_dpkg
        host_lzma=$(dpkg-query -W -f='${Version}' liblzma5)
        host_dpkg=$(dpkg-query -W -f='${Version}' dpkg)
        r=$(fresh_root r-dpkg)
        set_changelog "$r" dpkg 1.21.0
        set_changelog "$r" liblzma5 5.0.0-1
        install_into "$r"
        assert_success
        assert_output --partial "/usr/bin/dpkg-deb: dpkg host $host_dpkg, root 1.21.0"
        run grep -c '^# /usr/bin/dpkg-' "$r/.archway/routes.conf"
        assert_output 0
        set_changelog "$r" dpkg "$host_dpkg"
        install_into "$r"
        assert_output --partial "/usr/bin/dpkg-deb: liblzma5 host $host_lzma, root 5.0.0-1"
        # dpkg-split compresses nothing: the library does not matter to it
        run grep -c '^# /usr/bin/dpkg-split ' "$r/.archway/routes.conf"
        assert_output 1
}

@test "dpkg-deb and tar: the same .deb both ways with each compressor; -W (binary:Package) stays emulated" {
        local r lib
        r=$(fresh_root r-deb)
        # The fixture is an older bookworm snapshot than the host: in this copy the root's records of
        # dpkg-deb's compression libraries say the host's versions, so dpkg-deb is twinned and its
        # output is compared with that of the root's own (older) libraries.
        for lib in liblzma5 libzstd1 zlib1g libbz2-1.0; do
                set_changelog "$r" "$lib" "$(dpkg-query -W -f='${Version}' "$lib")"
        done
        install_into "$r"
        assert_success
        grep -q '^# /usr/bin/dpkg-deb (dpkg)' "$r/.archway/routes.conf" || skip "dpkg-deb not twinned: $output"
        grep -q '^# /bin/tar (tar)' "$r/.archway/routes.conf" || skip "tar not twinned: $output"
        cat >"$r/tmp/both.sh" <<'SH'
cd /tmp && rm -rf pk *.deb && mkdir -p pk/DEBIAN pk/usr/share/doc/t && seq 1 20000 >pk/usr/share/doc/t/data
printf 'Package: archway-t\nVersion: 1.0\nArchitecture: arm64\nMaintainer: a <a@b>\nDescription: t\n x\n' >pk/DEBIAN/control
cp /usr/bin/cmp pk/usr/share/doc/t/
for z in xz gzip zstd none; do SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group -Z$z --build pk t-$z.deb; md5sum t-$z.deb; done
dpkg-deb -c t-xz.deb; dpkg-deb -I t-xz.deb; dpkg-deb -W --showformat='${binary:Package}\n' t-zstd.deb
SH
        both_ways "$r"
        run cat "$r/tmp/both.twin"
        assert_line "archway-t"
        assert_line --regexp '^-rwxr-xr-x root/root .* ./usr/share/doc/t/cmp$'
        cmp "$r/tmp/both.emu" "$r/tmp/both.twin"
        run cat "$r/tmp/both.log"
        assert_line --regexp $'^twinned\t/usr/bin/dpkg-deb\t/.archway/native/usr/bin/dpkg-deb$'
        assert_line --regexp $'^twinned\t(/usr)?/bin/tar\t/.archway/native/bin/tar$'
        assert_line --regexp $'^emulated\t/usr/bin/dpkg-deb\tunless-arg -W$'
        # why: the host's dpkg-deb qualifies an arm64 package, the root's own does not
        ROOT=$r run in_root 'chroot "$R" /.archway/native/usr/bin/dpkg-deb -W --showformat="\${binary:Package}" /tmp/t-zstd.deb'
        assert_output "archway-t:arm64"
}

@test "objdump, readelf: twinned; what dpkg-shlibdeps and dh_* read is the same both ways" {
        grep -q '^# /usr/bin/aarch64-linux-gnu-objdump ' "$ROOT/.archway/routes.conf" || skip "objdump is not twinned here"
        echo 'objdump -w -f -p -T -R /usr/bin/cmp; readelf -d /usr/bin/cmp; readelf -aW /usr/lib/gcc/aarch64-linux-gnu/12/cc1 | md5sum
                objdump -d /usr/bin/cmp | md5sum; readelf --debug-dump=info /usr/lib/aarch64-linux-gnu/crt1.o' >"$ROOT/tmp/both.sh"
        both_ways "$ROOT"
        run cat "$ROOT/tmp/both.twin"
        assert_line --partial "NEEDED               libc.so.6"
        assert_line --partial "architecture: aarch64"
        cmp "$ROOT/tmp/both.emu" "$ROOT/tmp/both.twin"
        run cat "$ROOT/tmp/both.log"
        assert_line --regexp $'^twinned\t/usr/bin/objdump\t/.archway/native/usr/bin/aarch64-linux-gnu-objdump$'
        assert_line --regexp $'^twinned\t/usr/bin/readelf\t/.archway/native/usr/bin/aarch64-linux-gnu-readelf$'
}

@test "dwz: the same compressed debug info both ways" {
        [[ -x $ROOT/usr/bin/dwz ]] || skip "no dwz in the root (the fixture has none; ARCHWAY_ACCEL_ROOT=a root with debhelper)"
        grep -q '^# /usr/bin/dwz (dwz)' "$ROOT/.archway/routes.conf" || skip "dwz is not twinned here (versions differ?)"
        printf 'int f(int x) { return x * 2; }\nint main(void) { return f(0); }\n' >"$ROOT/tmp/dw.c"
        run in_root 'run_gcc ARCHWAY_SHIM=qemu -- -O2 -g /tmp/dw.c -o /tmp/dw'
        assert_success
        echo 'cd /tmp && cp dw dw.1 && cp dw dw.2 && dwz -m dw.m dw.1 dw.2; echo "status $?"; md5sum dw.1 dw.2 dw.m' >"$ROOT/tmp/both.sh"
        both_ways "$ROOT"
        cmp "$ROOT/tmp/both.emu" "$ROOT/tmp/both.twin"
        run cat "$ROOT/tmp/both.log"
        assert_line --regexp $'^twinned\t/usr/bin/dwz\t'
}

@test "bash: twinned by a native build of the root's version; HOSTTYPE, MACHTYPE, --version the target's; the same output both ways" {
        [[ -x $ROOT/bin/bash ]] || skip "no bash in the root (the fixture has none; ARCHWAY_ACCEL_ROOT=a buildd root)"
        grep -q '^# /bin/bash (bash) -> its twin, built from the same source' "$ROOT/.archway/routes.conf" ||
                skip "bash is not twinned: no build of the root's bash in the cache (scripts/build-twin-tools --root ROOT)"
        cat >"$ROOT/tmp/both.sh" <<'SH'
bash -c 'echo "$HOSTTYPE $MACHTYPE $OSTYPE $BASH ${BASH_VERSINFO[5]}"; a=(x y); [[ b =~ (.) ]] && echo "${a[1]} ${BASH_REMATCH[1]}"
        shopt | md5sum; help | md5sum; mapfile -t l < <(printf "1\n2\n"); echo "${l[*]}"; uname -m'
bash --version | head -n 1
SH
        both_ways "$ROOT"
        run cat "$ROOT/tmp/both.twin"
        assert_line "aarch64 aarch64-unknown-linux-gnu linux-gnu /usr/bin/bash aarch64-unknown-linux-gnu"
        assert_line --regexp '^GNU bash, version .*\(aarch64-unknown-linux-gnu\)$'
        refute_output --partial x86_64
        cmp "$ROOT/tmp/both.emu" "$ROOT/tmp/both.twin"
        run grep -Ec $'^twinned\t(/usr)?/bin/bash\t/.archway/native/bin/bash$' "$ROOT/tmp/both.log"
        assert_output 2
}

@test "file: the same answers both ways, from the root's magic database" {
        grep -q '^# /usr/bin/file (file)' "$ROOT/.archway/routes.conf" || skip "file is not twinned here (the fixture has none)"
        echo 'file /usr/bin/cmp /usr/lib/aarch64-linux-gnu/crt1.o /etc/passwd /usr/share/doc/*/changelog.Debian.gz | md5sum; file -b /usr/bin/cmp' \
                >"$ROOT/tmp/both.sh"
        both_ways "$ROOT"
        run cat "$ROOT/tmp/both.twin"
        assert_line --partial "ARM aarch64"
        cmp "$ROOT/tmp/both.emu" "$ROOT/tmp/both.twin"
        run cat "$ROOT/tmp/both.log"
        assert_line --regexp $'^twinned\t/usr/bin/file\t'
}

# ---- C++: g++ (and c++, the alternatives name) routed to the twin g++, cc1plus its compiler proper --

# use_cxx_root [exact]: RX, a hard-linked copy of the g++ root with twins installed: the host's cross
# g++ only, or with `exact` the version-exact cc1plus of the cache (skips when it is not built).
use_cxx_root() {
        [[ -x $GXX_ROOT/usr/lib/gcc/aarch64-linux-gnu/12/cc1plus ]] ||
                skip "no arm64 root with g++-12 at $GXX_ROOT: run scripts/fetch-fixtures, or set ARCHWAY_ACCEL_CXX_ROOT"
        command -v aarch64-linux-gnu-g++-12 >/dev/null || skip "g++-12-aarch64-linux-gnu not installed on the host"
        local cache=$BATS_FILE_TMPDIR/no-cache
        if [[ ${1:-} == exact ]]; then
                use_exact_compiler
                cache=${ARCHWAY_CACHE_DIR:-/var/cache/archway}
        fi
        export RX=$BATS_TEST_TMPDIR/rx
        cp -al "$GXX_ROOT" "$RX"
        rm -rf "$RX/.archway" "$RX/tmp"/*
        mkdir -p "$RX/.archway/qemu"
        cp "$REPO/tests/cli/data/twin-sample.cc" "$RX/tmp/"
        run env -u LIBRARY_PATH ARCHWAY_CACHE_DIR="$cache" "$ARCHWAY" accel install --platform linux/arm64 --root "$RX" \
                --launcher "$TWIN_LAUNCH"
        assert_success
        grep -q '^# /usr/bin/aarch64-linux-gnu-g++-12 (g++-12) -> its twin' "$RX/.archway/routes.conf"
        [[ -x $RX/.archway/native/real/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1plus ]]
}

# cxx_both 'flags' 'link flags': in RX, compile /tmp/twin-sample.cc to an object and link it with c++
# (the alternatives name: c++ -> g++ -> g++-12 -> aarch64-linux-gnu-g++-12), once routed (/tmp/twins/,
# with ARCHWAY_ACCEL_LOG=/tmp/accel.log) and once emulated (/tmp/emulated/), debug lines on; then run
# both programs (emulated, as the target's code always is) with "4 x 38 4".
cxx_both() {
        ROOT=$RX run in_root '
for mode in twins emulated; do
        sw=ARCHWAY_ACCEL_LOG=/tmp/accel.log; [ $mode = emulated ] && sw=ARCHWAY_SHIM=qemu
        mkdir -p "$R/tmp/$mode"
        cxx() { env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu ARCHWAY_SHIM_DEBUG=1 $sw chroot "$R" c++ "$@" 2>&1; }
        cxx '"$1"' -c /tmp/twin-sample.cc -o /tmp/$mode/sample.o || echo "$mode: compile failed"
        cxx '"$2"' /tmp/$mode/sample.o -o /tmp/$mode/sample || echo "$mode: link failed"
        env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu chroot "$R" /tmp/$mode/sample 4 x 38 4 || echo "$mode: run failed"
done'
}

# Both programs printed what the sample prints for "4 x 38 4"; nothing failed; the twins' compile and
# link went native (debug lines), and only those.
cxx_expect() {
        assert_success
        refute_output --partial "failed"
        [[ $(grep -c '^parse: not a number: .x.$' <<<"$output") -eq 2 ]]
        [[ $(grep -c '^twin-sample: sum 46, bad 1, square 2.25, rect 7, 38\*1, 4\*2, x\*1$' <<<"$output") -eq 2 ]]
        [[ $(grep -c 'route line [0-9]*: exec /.archway/native/usr/bin/aarch64-linux-gnu-g++-12' <<<"$output") -eq 2 ]]
        [[ $(grep -c 'ARCHWAY_SHIM=qemu: routes skipped' <<<"$output") -ge 2 ]]
        run cat "$RX/tmp/accel.log"
        assert_line --index 0 --regexp $'^twinned\t/usr/bin/(aarch64-linux-gnu-)?[cg][+][+](-12)?\t/.archway/native/usr/bin/aarch64-linux-gnu-g[+][+]-12$'
        assert_line --index 1 --regexp $'^twinned\t/usr/bin/(aarch64-linux-gnu-)?[cg][+][+](-12)?\t/.archway/native/usr/bin/aarch64-linux-gnu-g[+][+]-12$'
        [[ ${#lines[@]} -eq 2 ]]
}

@test "C++: c++/g++ routed to the twin g++ (host's cc1plus); objects identical except .comment; the program runs" {
        use_cxx_root
        cxx_both '-O2 -g' '-O2'
        cxx_expect
        for m in twins emulated; do
                aarch64-linux-gnu-objcopy -R .comment "$RX/tmp/$m/sample.o" "$BATS_TEST_TMPDIR/$m.o"
        done
        cmp "$BATS_TEST_TMPDIR/twins.o" "$BATS_TEST_TMPDIR/emulated.o"
        run aarch64-linux-gnu-readelf -p .comment "$RX/tmp/twins/sample.o"
        assert_output --partial "(Debian 12.2.0-14)"
}

@test "C++: g++ -E identical to the root's, line markers included; with CPLUS_INCLUDE_PATH, -isystem, -nostdinc++" {
        # The twin's C++ directories are C++-aware system directories like the native ones (flags "3",
        # not "3 4"), after the user's -isystem and CPLUS_INCLUDE_PATH, and gone with -nostdinc++.
        use_cxx_root
        mkdir -p "$RX/tmp/inc" "$RX/tmp/sys"
        printf '#pragma once\nint user_header;\n' >"$RX/tmp/inc/user.h"
        printf '#pragma once\nint sys_header;\n' >"$RX/tmp/sys/sys.h"
        printf '#include <vector>\n#include <user.h>\n#include <sys.h>\n' >"$RX/tmp/e.cc"
        printf '#include <user.h>\n#include <sys.h>\n' >"$RX/tmp/nostd.cc"
        ROOT=$RX run in_root '
cxx() { env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu ARCHWAY_SHIM_DEBUG=1 "$@" 2>&1; }
for mode in twins emulated; do
        sw=ARCHWAY_ACCEL_LOG=/tmp/e.log; [ $mode = emulated ] && sw=ARCHWAY_SHIM=qemu
        cxx $sw CPLUS_INCLUDE_PATH=/tmp/inc chroot "$R" g++ -isystem /tmp/sys -E /tmp/e.cc -o /tmp/e-$mode.ii || echo "$mode: failed"
        cxx $sw CPLUS_INCLUDE_PATH=/tmp/inc: chroot "$R" g++ -nostdinc++ -isystem /tmp/sys -E /tmp/nostd.cc -o /tmp/nostd-$mode.ii || echo "$mode: failed"
done'
        assert_success
        refute_output --partial "failed"
        run grep -c $'^twinned\t' "$RX/tmp/e.log"
        assert_output 2
        cmp "$RX/tmp/e-twins.ii" "$RX/tmp/e-emulated.ii"
        cmp "$RX/tmp/nostd-twins.ii" "$RX/tmp/nostd-emulated.ii"
        grep -q '^# 1 "/usr/include/c++/12/vector" 1 3$' "$RX/tmp/e-twins.ii"
        grep -q '^# 1 "/tmp/inc/user.h" 1 3$' "$RX/tmp/e-twins.ii"
        grep -q '^# 1 "/tmp/sys/sys.h" 1 3 4$' "$RX/tmp/e-twins.ii"
}

@test "C++: hardened g++ compiles (-fstack-protector-strong) stay emulated without a version-exact cc1plus" {
        use_cxx_root
        run grep -A40 '^# /usr/bin/aarch64-linux-gnu-g++-12' "$RX/.archway/routes.conf"
        assert_output --partial 'unless-arg = -fstack-protector*'
}

@test "version-exact compiler: C++ with dpkg-buildflags, twinned and emulated: objects and program byte-identical, runs" {
        use_cxx_root exact
        run grep -c 'fstack-protector' "$RX/.archway/routes.conf"
        assert_output 0
        cmp "$EXACT/cc1plus" "$RX/.archway/native/real/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1plus"
        # bookworm's arm64 dpkg-buildflags: CXXFLAGS + CPPFLAGS, and LDFLAGS for the link
        cxx_both '-g -O2 -ffile-prefix-map=/tmp=. -fstack-protector-strong -Wformat -Werror=format-security -Wdate-time -D_FORTIFY_SOURCE=2' \
                '-g -O2 -Wl,-z,relro'
        cxx_expect
        # whole files, .comment (the root's version string) included
        cmp "$RX/tmp/twins/sample.o" "$RX/tmp/emulated/sample.o"
        cmp "$RX/tmp/twins/sample" "$RX/tmp/emulated/sample"
        run aarch64-linux-gnu-readelf -p .comment "$RX/tmp/twins/sample.o"
        assert_output --partial "(Debian 12.2.0-14+deb12u1)"
        # the hardening is there: the stack protector
        run aarch64-linux-gnu-nm -D "$RX/tmp/twins/sample"
        assert_output --partial "__stack_chk_fail"
}

@test "version-exact compiler: --verify covers the C++ sample, whole files identical" {
        use_cxx_root exact
        run env -u LIBRARY_PATH ARCHWAY_SHIM="$ARCHSHIM" QEMU="$QEMU" "$REPO/scripts/accel-verify" "$RX"
        assert_success
        assert_output --partial "no difference (2 samples"
        assert_output --partial "whole files, .comment included"
}

@test "remove: twins and routes go, the root's own files stay" {
        cp -al "$ROOT" "$BATS_TEST_TMPDIR/r2"
        run "$ARCHWAY" accel remove --root "$BATS_TEST_TMPDIR/r2"
        assert_success
        [[ ! -e $BATS_TEST_TMPDIR/r2/.archway/native && ! -e $BATS_TEST_TMPDIR/r2/.archway/routes.idx ]]
        [[ -x $BATS_TEST_TMPDIR/r2/usr/bin/aarch64-linux-gnu-gcc-12 ]]
}

@test "usage errors exit 2" {
        run "$ARCHWAY" accel install --root
        assert_failure 2
        run "$ARCHWAY" accel frobnicate --root /
        assert_failure 2
}

# ---- bash, m4, mawk in a configured buildd root (scripts/pkgbuild-roots: the fixture has none of them)

# buildd_twins: BR = a hard-linked copy of a configured arm64 bookworm buildd root (ARCHWAY_BUILDD_ROOT,
# else bench/pkgbuild's in the cache) with twins installed, made once per file.
buildd_twins() {
        local src=${ARCHWAY_BUILDD_ROOT:-}
        [[ -n $src ]] || src=$(ls -d "${ARCHWAY_CACHE_DIR:-/var/cache/archway}"/pkgbuild-roots/*/arm64 2>/dev/null | head -n 1)
        [[ -n $src && -x $src/bin/bash && -x $src/usr/bin/m4 ]] ||
                skip "no configured arm64 buildd root (scripts/pkgbuild-roots arm64, or ARCHWAY_BUILDD_ROOT)"
        BR=$BATS_FILE_TMPDIR/buildd
        if [[ ! -f $BR/.archway/routes.idx ]]; then
                rm -rf "$BR"
                cp -al "$src" "$BR"
                rm -rf "$BR/.archway" "$BR/tmp"/*
                install_into "$BR"
                assert_success
                echo "$output" >"$BATS_FILE_TMPDIR/buildd.install"
        fi
}

# set_status ROOT PACKAGE VERSION: the root's dpkg record of a package's version, in a new file.
set_status() {
        local f=$1/var/lib/dpkg/status
        awk -v p="$2" -v v="$3" '/^Package: / { cur = $2 } cur == p && /^Version: / { $0 = "Version: " v } { print }' \
                "$f" >"$f.new"
        rm -f "$f" && mv "$f.new" "$f"
}

@test "bash: printf's floating point is the target's binary128 long double; high bytes hash as unsigned chars" {
        buildd_twins
        grep -q '^# /bin/bash (bash)' "$BR/.archway/routes.conf" || skip "bash is not twinned: $(cat "$BATS_FILE_TMPDIR/buildd.install")"
        # A plain x86_64 build of the same source differs on each line marked *: x87's 80-bit long
        # double rounds 1.115 to 1.12 and prints %a as 0xcp-3; a signed char hashes 0xe9 otherwise.
        cat >"$BR/tmp/both.sh" <<'SH'
bash -c 'printf "%.2f %.2f %.25f %a %La %g %#g %+010.3e|%-8.1f|\n" 1.115 2.675 0.1 1.5 1 1e4000 2 -1.5e-300 99.95 # *
        for i in $(seq 1 3000); do printf "%.2f %.1f %.17g %.3e %.30g\n" "$i.${i: -1}05" "$i.25" "0.$i" "$i.0005" "1$i.7"; done | md5sum
        printf "%f %f %e %s\n" inf -nan 0x1p-16382 "$(printf %.3f "'"'"'A")"; printf "%.3f\n" 1..2 2>&1
        declare -A m; for k in $'"'"'\xe9'"'"' $'"'"'\xff\xfe'"'"' é ü a b z; do m[$k]=1; done; declare -p m | od -An -tx1 # *
        x=$'"'"'caf\xc3\xa9\xff'"'"'; echo "${#x} ${x^^}" | od -An -tx1; echo $(( -9223372036854775807 - 1 )) $(( 1 << 63 ))'
SH
        both_ways "$BR"
        run cat "$BR/tmp/both.twin"
        assert_line --index 0 "1.11 2.67 0.1000000000000000000000000 0x1.8p+0 0x1p+0 1e+4000 2.00000 -1.500e-300|100.0   |"
        refute_output --partial x86_64
        cmp "$BR/tmp/both.emu" "$BR/tmp/both.twin"
        run grep -c $'^twinned\t/usr/bin/bash\t/.archway/native/bin/bash$' "$BR/tmp/both.log"
        assert_output 1
}

@test "bash: loadable builtins in the root (bash-builtins' /usr/lib/bash) mean no twin; BASH_LOADABLES_PATH keeps it emulated" {
        buildd_twins
        grep -q '^# /bin/bash (bash)' "$BR/.archway/routes.conf" || skip "bash is not twinned here"
        # enable -f loads a target .so into bash: the twin cannot
        run grep -A8 '^# /bin/bash (bash)' "$BR/.archway/routes.conf"
        assert_line "unless-env = BASH_LOADABLES_PATH"
        ROOT=$BR run in_root 'env -i PATH=/usr/sbin:/usr/bin:/bin ARCHWAY_QEMU_DIR=/.archway/qemu ARCHWAY_SHIM_DEBUG=1 BASH_LOADABLES_PATH=/usr/lib/bash chroot "$R" /bin/bash -c "echo \$MACHTYPE"'
        assert_output --partial "does not apply: unless-env BASH_LOADABLES_PATH"
        assert_line "aarch64-unknown-linux-gnu"
        local r=$BATS_TEST_TMPDIR/r-loadables
        cp -al "$BR" "$r"
        rm -rf "$r/.archway"
        mkdir -p "$r/usr/lib/bash"
        install_into "$r"
        assert_success
        assert_output --partial "/bin/bash: the root has /usr/lib/bash"
        run grep -c '^# /bin/bash ' "$r/.archway/routes.conf"
        assert_output 0
}

@test "bash: another version in the root gets no bash twin; install names the build it lacks" {
        buildd_twins
        local r=$BATS_TEST_TMPDIR/r-bash
        cp -al "$BR" "$r"
        rm -rf "$r/.archway"
        set_status "$r" bash 5.2.15-3+b1
        install_into "$r"
        assert_success
        assert_output --partial "/bin/bash: no bash built from bash 5.2.15-3 in"
        run grep -c '^# /bin/bash ' "$r/.archway/routes.conf"
        assert_output 0
}

@test "m4 and mawk: the host's of the same version; the same output both ways, nothing of the host's machine" {
        buildd_twins
        grep -q '^# /usr/bin/m4 (m4)' "$BR/.archway/routes.conf" || skip "m4 is not twinned: $(cat "$BATS_FILE_TMPDIR/buildd.install")"
        grep -q '^# /usr/bin/mawk (mawk)' "$BR/.archway/routes.conf" || skip "mawk is not twinned: $(cat "$BATS_FILE_TMPDIR/buildd.install")"
        cat >"$BR/tmp/both.sh" <<'SH'
m4 --version | head -n 1; mawk -W version 2>&1
printf '%s\n' 'define(`sq'"'"', `eval($1*$1)'"'"')dnl' 'sq(12) __gnu__ __unix__ len(archway) format(`%5.2f|%x'"'"', 3.14159, 255)' \
        'translit(`hello'"'"', `a-z'"'"', `A-Z'"'"') syscmd(`uname -m'"'"')esyscmd(`echo es'"'"')' \
        'divert(1)later divert(0)now patsubst(`a1b22'"'"', `[0-9]+'"'"', `<\&>'"'"')' | m4 2>&1
mawk 'BEGIN { srand(7); r = rand(); for (i = 1; i < 2000; i++) printf "%.17g %.17g %.17g %.17g %d\n", exp(i / 7.3), sin(i * 1.1), log(i * 0.37), atan2(i, 3.3), int(i * 0.1 * 3) }' | md5sum
printf 'b 2\na 10\nc 1\n' | mawk '{ s += $2; n[$1] = $2 } END { printf "%d %s %s %.3f %s\n", s, toupper("mawk"), substr("archway", 2, 3), s / 3, sprintf("%c%5.1e", 65, 12345) }'
echo 'x=1,y=22' | mawk -F'[=,]' '{ print NF, $2 $4, length($0), index($0, "y"), match($0, /2+/), RSTART, RLENGTH; gsub(/[0-9]/, "#"); print }'
SH
        both_ways "$BR"
        run cat "$BR/tmp/both.twin"
        assert_line "m4 (GNU M4) 1.4.19"
        assert_line "mawk 1.3.4 20200120"
        assert_line "144   7  3.14|ff"
        assert_line "HELLO aarch64"
        refute_output --regexp 'x86_64|x86-64|amd64'
        cmp "$BR/tmp/both.emu" "$BR/tmp/both.twin"
        run cat "$BR/tmp/both.log"
        assert_line --regexp $'^twinned\t/usr/bin/m4\t/.archway/native/usr/bin/m4$'
        assert_line --regexp $'^twinned\t/usr/bin/mawk\t/.archway/native/usr/bin/mawk$'
}

@test "m4 and mawk: a root with other versions gets no twin of them; install says which" {
        buildd_twins
        local r=$BATS_TEST_TMPDIR/r-m4
        cp -al "$BR" "$r"
        rm -rf "$r/.archway"
        set_status "$r" m4 1.4.19-8
        set_status "$r" mawk 1.3.4.20250131-1
        install_into "$r"
        assert_success
        assert_output --partial "/usr/bin/m4: m4 host $(dpkg-query -W -f='${Version}' m4), root 1.4.19-8"
        assert_output --partial "/usr/bin/mawk: mawk host $(dpkg-query -W -f='${Version}' mawk), root 1.3.4.20250131-1"
        run grep -c '^# /usr/bin/m4 \|^# /usr/bin/mawk ' "$r/.archway/routes.conf"
        assert_output 0
}

# perl_twins: the buildd root's twins ($BR, buildd_twins), where `archway accel install` ran
# scripts/accel-perl; skips with its reasons when it declined.
perl_twins() {
        buildd_twins
        grep -q '^# perl twin (scripts/accel-perl)' "$BR/.archway/routes.conf" ||
                skip "$(grep 'perl' "$BATS_FILE_TMPDIR/buildd.install" || echo 'no perl twin')"
}

@test "perl: twinned with the root's Config, @INC and modules, host XS builds; the same output both ways" {
        perl_twins
        cat >"$BR/tmp/perl.pl" <<'PL'
use Config; use POSIX (); use Errno (); use Storable qw(freeze); use Digest::MD5 qw(md5_hex);
use Encode (); use List::Util qw(sum); use Data::Dumper; use XML::Parser; use XML::LibXML;
use Text::CharWidth qw(mbswidth); use Locale::gettext; use Clone qw(clone); use HTML::Parser;
use Net::SSLeay;
print "X=$^X\nINC=@INC\nuname=", join(" ", (POSIX::uname())[0, 4]), "\n";
print Config::myconfig(), scalar(() = Config::config_sh() =~ /\n/g), " $Config{archname} $Config{cc}\n";
print join(",", sort grep { !/^(Dumper|XML|HTML|Net|Text|Locale|Clone)/ } keys %INC), "\n";
print scalar(keys %Errno::), " ", md5_hex(freeze([1 .. 50])), " ", sum(1 .. 100), "\n";
print md5_hex(Encode::encode("UTF-16LE", "\x{263a}abc")), " ", mbswidth("ab\x{4e00}"), "\n";
my $t = XML::Parser->new(Style => 'Tree')->parse('<a x="1"><b>hi</b></a>'); print Dumper($t);
print XML::LibXML->load_xml(string => '<a><b>x</b></a>')->toString, XML::LibXML::LIBXML_DOTTED_VERSION(), "\n";
print clone({ a => [1, 2] })->{a}[1], " $HTML::Parser::VERSION ", Net::SSLeay::SSLeay_version(0), "\n";
printf "%.20g %s %s\n", 0.1, 1e300 * 1e10, join("", keys %{ { map { $_ => 1 } 'a' .. 'z' } });
print `/usr/bin/perl5.36.0 -e 'print \$^X'`, " ", `perl -w -MPOSIX -e 'print +(POSIX::uname())[4]' 2>&1`, "\n";
PL
        printf 'export PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0\nperl -w /tmp/perl.pl\n' >"$BR/tmp/both.sh"
        both_ways "$BR"
        run cat "$BR/tmp/both.twin"
        assert_line "X=/usr/bin/perl"
        assert_line "uname=Linux aarch64"
        assert_line --partial "archname=aarch64-linux-gnu-thread-multi"
        assert_line "/usr/bin/perl5.36.0 aarch64"
        refute_output --regexp 'x86_64|x86-64|amd64|archway perl twin'
        cmp "$BR/tmp/both.emu" "$BR/tmp/both.twin"
        run grep -c $'^twinned\t/usr/bin/perl\t' "$BR/tmp/both.log"
        assert_output 2
        run grep -c $'^twinned\t/usr/bin/perl5.36.0\t' "$BR/tmp/both.log"
        assert_output 1
}

@test "perl: debhelper and dpkg's perl tools give the same output both ways" {
        perl_twins
        rm -rf "$BR/tmp/pk" && mkdir -p "$BR/tmp/pk/debian"
        cat >"$BR/tmp/pk/debian/control" <<'CTL'
Source: pk
Section: misc
Priority: optional
Maintainer: A <a@example.org>
Build-Depends: debhelper-compat (= 13)
Rules-Requires-Root: no

Package: pk
Architecture: any
Depends: ${misc:Depends}, ${shlibs:Depends}
Description: test
 test

Package: pk-doc
Architecture: all
Description: test docs
 test
CTL
        printf 'pk (1.0-1) unstable; urgency=medium\n\n  * x\n\n -- A <a@example.org>  Thu, 01 Jan 2026 00:00:00 +0000\n' \
                >"$BR/tmp/pk/debian/changelog"
        printf 'README text\n' >"$BR/tmp/pk/README"
        cat >"$BR/tmp/both.sh" <<'SH'
cd /tmp/pk && rm -rf debian/pk debian/pk-doc debian/.debhelper debian/*.substvars debian/files
dpkg-parsechangelog -S Version; dpkg-architecture -qDEB_HOST_MULTIARCH; dpkg-buildflags --get CFLAGS
dh_listpackages; dh_testdir && dh_prep && dh_installdirs -ppk usr/bin && dh_installdocs README
dh_installchangelogs && dh_compress && dh_fixperms && dh_gencontrol 2>&1 && dh_md5sums
find debian/pk debian/pk-doc | sort; cat debian/pk/DEBIAN/control debian/pk-doc/DEBIAN/md5sums
echo '@node Top' | makeinfo --plaintext -o - - 2>&1 | head -n 3
SH
        both_ways "$BR"
        run cat "$BR/tmp/both.twin"
        assert_line "Architecture: arm64"
        assert_line "aarch64-linux-gnu"
        refute_output --regexp 'x86_64|x86-64|amd64|archway perl twin'
        cmp "$BR/tmp/both.emu" "$BR/tmp/both.twin"
        run grep -c $'^twinned\t/usr/bin/perl\t' "$BR/tmp/both.log"
        [[ $output -ge 12 ]]
}

@test "perl: -v, -V, PERL5LIB, PERL5OPT, LD_PRELOAD stay emulated; an XS module the twin lacks fails in one line" {
        perl_twins
        mkdir -p "$BR/tmp/xs/auto/Fake"
        cp "$BR/usr/lib/aarch64-linux-gnu/perl5/5.36/auto/Clone/Clone.so" "$BR/tmp/xs/auto/Fake/Fake.so"
        cat >"$BR/tmp/both.sh" <<'SH'
perl -v | grep 'built for'; perl -V:archname; PERL5LIB=/tmp perl -e 1; PERL5OPT=-w perl -e 1
LD_PRELOAD= perl -e 1; perl -I/tmp/xs -e 'package Fake; require DynaLoader; our @ISA = "DynaLoader"; bootstrap Fake' 2>&1
echo done
SH
        both_ways "$BR"
        run cat "$BR/tmp/both.twin"
        assert_line --partial "built for aarch64-linux-gnu-thread-multi"
        assert_line "archname='aarch64-linux-gnu-thread-multi';"
        assert_line "archway perl twin: cannot load /tmp/xs/auto/Fake/Fake.so: not an XS module of the root's perl with a host twin (run this with ARCHWAY_SHIM=qemu)"
        run cat "$BR/tmp/both.log"
        assert_line $'emulated\t/usr/bin/perl\tunless-arg -v'
        assert_line $'emulated\t/usr/bin/perl\tunless-arg -V:archname'
        assert_line $'emulated\t/usr/bin/perl\tunless-env PERL5LIB'
        assert_line $'emulated\t/usr/bin/perl\tunless-env PERL5OPT'
        assert_line $'emulated\t/usr/bin/perl\tunless-env LD_PRELOAD'
}

@test "perl: an XS module without a host build, another module or library version: no perl twin, and accel install says which" {
        buildd_twins
        local r=$BATS_TEST_TMPDIR/r-perl
        cp -al "$BR" "$r"
        rm -rf "$r/.archway"
        mkdir -p "$r/usr/lib/aarch64-linux-gnu/perl5/5.36/auto/Fake"
        cp "$r/usr/lib/aarch64-linux-gnu/perl5/5.36/auto/Clone/Clone.so" "$r/usr/lib/aarch64-linux-gnu/perl5/5.36/auto/Fake/"
        set_status "$r" libclone-perl 0.46-9
        set_status "$r" libexpat1 2.5.0-9
        install_into "$r"
        assert_success
        assert_line "no perl twin: /usr/lib/aarch64-linux-gnu/perl5/5.36/auto/Fake/Clone.so: no host build (in no package of the root)"
        assert_line "no perl twin: /usr/lib/aarch64-linux-gnu/perl5/5.36/auto/Clone/Clone.so: libclone-perl host $(dpkg-query -W -f='${Version}' libclone-perl), root 0.46-9"
        assert_line "no perl twin: library libexpat.so.1: libexpat1 host $(dpkg-query -W -f='${Version}' libexpat1), root 2.5.0-9"
        run grep -c '^# perl twin' "$r/.archway/routes.conf"
        assert_output 0
        # the same root with the records restored: the other twins stay, perl gets one
        rm -rf "$r/usr/lib/aarch64-linux-gnu/perl5/5.36/auto/Fake"
        cp "$BR/var/lib/dpkg/status" "$r/var/lib/dpkg/status.new" && mv "$r/var/lib/dpkg/status.new" "$r/var/lib/dpkg/status"
        install_into "$r"
        assert_success
        refute_output --partial "no perl twin"
        run grep -c '^path = /usr/bin/perl' "$r/.archway/routes.conf"
        assert_output 2
}
