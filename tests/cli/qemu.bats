#!/usr/bin/env bats
# Our user-mode QEMU (scripts/build-qemu) runs real Debian programs of each built target, and its
# manifest tells the truth about the binaries.
#
# The QEMU under test: ARCHWAY_QEMU_DIR (an installed copy: qemu-* and manifest side by side), else
# the cache entry `scripts/build-qemu --print-dir --no-build` names. Nothing is built here: without
# a cached aarch64 build every test skips, saying so. Fixtures: busybox-<debianarch> from
# scripts/fetch-fixtures (ARCHWAY_FIXTURES); x86_64 runs the host's own Debian uname.

load helpers

# These helpers set variables instead of printing: skip only works in the test's own shell, never
# inside $(...).

# use_qemu_dir: set QDIR to the directory holding our qemu-* and manifest, or skip.
use_qemu_dir() {
        if [[ -n ${ARCHWAY_QEMU_DIR:-} ]]; then
                QDIR=$ARCHWAY_QEMU_DIR
        elif ! QDIR=$("$REPO/scripts/build-qemu" --print-dir --no-build --targets aarch64 2>/dev/null); then
                skip "our QEMU is not built: run scripts/build-qemu (make qemu) or set ARCHWAY_QEMU_DIR"
        fi
        [[ -f $QDIR/manifest ]] || skip "no manifest in $QDIR"
}

# use_qemu TARGET: set Q to qemu-TARGET, or skip when that target was not built.
use_qemu() {
        use_qemu_dir
        grep -Eq "^targets=(.* )?$1( .*)?\$" "$QDIR/manifest" ||
                skip "qemu-$1 not built (scripts/build-qemu --targets $1)"
        Q=$QDIR/qemu-$1
}

# use_fixture NAME: set BB to the fetched fixture, or skip.
use_fixture() {
        BB=$FIXTURES/$1
        [[ -e $BB ]] || skip "fixture $BB missing: run scripts/fetch-fixtures"
}

# run_busybox TARGET DEBIANARCH WANT_MACHINE: the fixture's uname, echo, shell arithmetic in a
# pipeline and sha256sum, all emulated, must print what a real machine prints; then some real work
# (seq, awk arithmetic, sort, a gzip round trip, sha256sum of 50000 lines), which translates and
# runs enough code to catch a wrong translator (our patches change QEMU's common TCG code).
run_busybox() {
        use_qemu "$1"
        use_fixture "busybox-$2"
        run "$Q" "$BB" uname -m
        assert_success
        assert_output "$3"
        run "$Q" "$BB" echo hello from "$2"
        assert_success
        assert_output "hello from $2"
        run "$Q" "$BB" sh -c 'i=0; while [ $i -lt 100 ]; do i=$((i + 1)); done; echo $((i * 6 + 42)) | tr 0-9 a-j'
        assert_success
        assert_output "gec"
        run "$Q" "$BB" sh -c 'printf archway | sha256sum'
        assert_success
        assert_output "$(printf archway | sha256sum)"
        run "$Q" "$BB" sh -c 'seq 1 20000 | awk "{ s += \$1 * \$1 % 977 } END { print s }"'
        assert_success
        assert_output "$(seq 1 20000 | awk '{ s += $1 * $1 % 977 } END { print s }')"
        run "$Q" "$BB" sh -c 'seq 1 50000 | sort -r | gzip -9 | gzip -d | sha256sum'
        assert_success
        assert_output "$(seq 1 50000 | LC_ALL=C sort -r | sha256sum)"
}

# The -cpu value the shim passes for TARGET (lib/qemu-cpu.c), printed by a tiny program built here.
default_cpu() {
        local prog=$BATS_FILE_TMPDIR/qemu-cpu-arg
        if [[ ! -x $prog ]]; then
                printf '%s\n' '#include <stdio.h>' '#include "qemu-cpu.h"' \
                        'int main(int c, char **v) { const char *s = qemu_cpu_arg(v[1], NULL); if (s) puts(s); return 0; }' \
                        >"$prog.c"
                cc -std=gnu11 -D_GNU_SOURCE -I"$REPO/lib" -o "$prog" "$prog.c" "$REPO/lib/qemu-cpu.c"
        fi
        "$prog" "$1"
}

@test "the manifest names the version and the sha256 of every binary, and each is static" {
        local dir t want list
        use_qemu_dir
        dir=$QDIR
        run grep -c '^version=1:10\.0\.' "$dir/manifest"
        assert_output 1
        read -r -a list < <(sed -n 's/^targets=//p' "$dir/manifest")
        [[ ${#list[@]} -ge 1 ]]
        for t in "${list[@]}"; do
                want=$(sed -n "s/^sha256.qemu-$t=//p" "$dir/manifest")
                run sha256sum "$dir/qemu-$t"
                assert_output "$want  $dir/qemu-$t"
                run file -b "$dir/qemu-$t"
                assert_output --regexp 'static(-pie)? linked'
                run "$dir/qemu-$t" --version
                assert_success
                assert_line --index 0 --regexp '^qemu-'"$t"' version 10\.0\.[0-9]+'
        done
}

@test "aarch64 runs Debian's arm64 busybox" {
        run_busybox aarch64 arm64 aarch64
}

@test "aarch64 runs under the default CPU of lib/qemu-cpu.c and under QEMU_CPU" {
        local cpu
        use_qemu aarch64
        use_fixture busybox-arm64
        cpu=$(default_cpu aarch64)
        [[ -n $cpu ]] || skip "lib/qemu-cpu.c keeps QEMU's default for aarch64"
        run "$Q" -cpu "$cpu" "$BB" echo ok
        assert_success
        assert_output ok
        # QEMU_CPU is read by QEMU itself; a bad model there must fail, proving it is honoured.
        QEMU_CPU=no-such-cpu run "$Q" "$BB" echo ok
        assert_failure
        QEMU_CPU=cortex-a53 run "$Q" "$BB" echo ok
        assert_success
}

# MIDR part numbers QEMU reports in the guest's /proc/cpuinfo (target/arm/cpu64.c, cpu.c) for the
# models lib/qemu-cpu.c may name.
cpu_part() {
        case $1 in
        neoverse-n1) echo 0xd0c ;;
        cortex-a76) echo 0xd0b ;;
        cortex-a72) echo 0xd08 ;;
        *) echo unknown ;;
        esac
}

@test "aarch64 without -cpu runs the default of lib/qemu-cpu.c built in (patch 0008); QEMU_CPU overrides" {
        local cpu part
        use_qemu aarch64
        use_fixture busybox-arm64
        cpu=$(default_cpu aarch64)
        [[ -n $cpu ]] || skip "lib/qemu-cpu.c keeps QEMU's default for aarch64"
        part=$(cpu_part "$cpu")
        [[ $part != unknown ]] || fail "add the MIDR part of $cpu to cpu_part()"
        # No option, no variable: what a bare binfmt_misc registration runs.
        run env -u QEMU_CPU "$Q" "$BB" grep -m1 '^CPU part' /proc/cpuinfo
        assert_success
        assert_output --regexp ": $part\$"
        run env -u QEMU_CPU "$Q" "$BB" grep -m1 '^Features' /proc/cpuinfo
        assert_output --partial ' atomics '
        refute_output --partial ' sve'
        refute_output --partial ' paca'
        # "max" is still one variable away, and so is any other model.
        QEMU_CPU=max run "$Q" "$BB" grep -m1 '^Features' /proc/cpuinfo
        assert_output --partial ' sve'
        QEMU_CPU=cortex-a72 run "$Q" "$BB" grep -m1 '^CPU part' /proc/cpuinfo
        assert_output --regexp ": 0xd08\$"
}

@test "aarch64 sees guest code that changes under a chained jump from another page" {
        local prog=$BATS_FILE_TMPDIR/stale-code
        use_qemu aarch64
        command -v aarch64-linux-gnu-gcc-12 >/dev/null ||
                skip "no arm64 cross compiler (scripts/install-deps test installs gcc-12-aarch64-linux-gnu)"
        aarch64-linux-gnu-gcc-12 -std=gnu11 -O2 -static -o "$prog" "$REPO/tests/cli/data/stale-code.c"
        run "$Q" "$prog"
        assert_success
        assert_output "1 2 3 4 segv"
        run "$Q" -cpu max "$prog"
        assert_success
        assert_output "1 2 3 4 segv"
}

@test "aarch64 runs eight guest threads calling through function pointers" {
        local prog=$BATS_FILE_TMPDIR/threads
        use_qemu aarch64
        command -v aarch64-linux-gnu-gcc-12 >/dev/null ||
                skip "no arm64 cross compiler (scripts/install-deps test installs gcc-12-aarch64-linux-gnu)"
        aarch64-linux-gnu-gcc-12 -std=gnu11 -O2 -static -pthread -o "$prog" "$REPO/tests/cli/data/threads.c"
        cc -std=gnu11 -O2 -pthread -o "$prog-host" "$REPO/tests/cli/data/threads.c"
        run "$Q" "$prog"
        assert_success
        assert_output "$("$prog-host")"
}

@test "aarch64 delivers signals to guest code spinning without system calls" {
        local prog=$BATS_FILE_TMPDIR/spin-signal
        use_qemu aarch64
        command -v aarch64-linux-gnu-gcc-12 >/dev/null ||
                skip "no arm64 cross compiler (scripts/install-deps test installs gcc-12-aarch64-linux-gnu)"
        aarch64-linux-gnu-gcc-12 -std=gnu11 -O2 -static -pthread -o "$prog" "$REPO/tests/cli/data/spin-signal.c"
        # A missed exit check spins forever, and QEMU then cannot act on SIGTERM either: KILL.
        run timeout -s KILL 120 "$Q" "$prog"
        assert_success
        assert_output "loop indirect thread"
        run timeout -s KILL 120 "$Q" -cpu max "$prog"
        assert_success
        assert_output "loop indirect thread"
}

@test "the manifest names our patches, and build-qemu applies them all" {
        local want
        use_qemu_dir
        want=$(cd "$REPO/scripts/qemu-patches" && ls -- *.patch | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
        run sed -n 's/^patches=//p' "$QDIR/manifest"
        assert_output "$want"
}

@test "arm runs Debian's armhf and armel busybox" {
        run_busybox arm armhf armv7l
        run_busybox arm armel armv7l
}

@test "i386 runs Debian's i386 busybox" {
        run_busybox i386 i386 i686
}

@test "mips64el runs Debian's mips64el busybox" {
        run_busybox mips64el mips64el mips64
}

@test "ppc64le runs Debian's ppc64el busybox" {
        run_busybox ppc64le ppc64el ppc64le
}

@test "s390x runs Debian's s390x busybox" {
        run_busybox s390x s390x s390x
}

@test "x86_64 runs the host's Debian uname" {
        use_qemu x86_64
        run "$Q" /usr/bin/uname -m
        assert_success
        assert_output x86_64
}

@test "riscv64 and loongarch64 have no Debian busybox fixture" {
        skip "Debian bookworm has no riscv64 or loong64 port: no busybox-static to run (built: see manifest)"
}
