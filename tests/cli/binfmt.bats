#!/usr/bin/env bats
# binfmt: every test runs in a private binfmt_misc instance of its own user namespace (helpers.bash:
# binfmt_ns), never against the host's global table. Emulators: $ARCHWAY_QEMU_DIR when set (our
# build, scripts/build-qemu --print-dir), else Debian's qemu-user-static.

load helpers

setup() {
        [[ -x $BINFMT ]] || skip "binfmt not built at $BINFMT"
        [[ -x /usr/bin/qemu-aarch64-static || -n ${ARCHWAY_QEMU_DIR:-} ]] ||
                skip "no emulator: install qemu-user-static or set ARCHWAY_QEMU_DIR"
        export BUSYBOX_ARM64 CONF="$BATS_TEST_TMPDIR/binfmt.conf"
        BUSYBOX_ARM64=$(fixture busybox-arm64)
        # Tests pass --config explicitly so that /etc/archway on this host never leaks in.
        : >"$CONF"
        # Register strings written by hand (as another tool would), without the interpreter and flags.
        export ARM64_RULE=':M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'
        export RISCV64_RULE=':M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'
}

# A file the kernel refuses with ENOEXEC: exit 126 and "Exec format error" from bash.
@test "install arm64: busybox prints aarch64; uninstall: ENOEXEC again" {
        run binfmt_ns '
                "$BUSYBOX_ARM64" uname -m; echo "before=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64 >/dev/null || exit 10
                "$BUSYBOX_ARM64" uname -m; echo "installed=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --uninstall qemu-aarch64 >/dev/null || exit 11
                "$BUSYBOX_ARM64" uname -m; echo "after=$?"'
        assert_success
        assert_line "before=126"
        assert_line "aarch64"
        assert_line "installed=0"
        assert_line "after=126"
        assert_output --partial "Exec format error"
}

@test "a bare registration of our QEMU runs the default CPU of lib/qemu-cpu.c, not QEMU's max" {
        local dir
        dir=$("$REPO/scripts/build-qemu" --print-dir --no-build --targets aarch64 2>/dev/null) ||
                skip "our QEMU is not built: run scripts/build-qemu (make qemu)"
        # neoverse-n1 (lib/qemu-cpu.c): MIDR part 0xd0c, no SVE; max would report 0x051 and sve.
        ARCHWAY_QEMU_DIR=$dir run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64 >/dev/null || exit 10
                grep "^interpreter" "$BINFMT_DIR/qemu-aarch64"
                env -u QEMU_CPU "$BUSYBOX_ARM64" grep -m1 "^CPU part" /proc/cpuinfo
                env -u QEMU_CPU "$BUSYBOX_ARM64" grep -c "^Features.* sve" /proc/cpuinfo'
        assert_line "interpreter $dir/qemu-aarch64"
        assert_line --regexp "^CPU part.*: 0xd0c$"
        assert_line 0
}

@test "the entry is built as documented: F and P, QEMU's magic, our interpreter" {
        run binfmt_ns '"$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install linux/arm64 -q >/dev/null && cat "$BINFMT_DIR/qemu-aarch64"'
        assert_success
        assert_line "enabled"
        assert_line --regexp "^interpreter /.*qemu-aarch64(-static)?$"
        assert_line "flags: PF"
        assert_line "magic 7f454c460201010000000000000000000200b700"
        assert_line "mask ffffffffffffff00fffffffffffffffffeffffff"
}

@test "argv0 is preserved (P): a symlink named uname runs the uname applet" {
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64 -q >/dev/null 2>&1 || exit 10
                ln -s "$BUSYBOX_ARM64" "$BATS_TEST_TMPDIR/uname" && "$BATS_TEST_TMPDIR/uname" -m'
        assert_success
        assert_output "aarch64"
}

@test "JSON without arguments: tonistiigi/binfmt's shape, probes decide 'supported'" {
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install arm64,riscv64 >/dev/null 2>&1 || exit 10
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" 2>/dev/null'
        assert_success
        run python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sorted(set(d) - {"fallback", "handlers"})); print(" ".join(d["supported"])); print(" ".join(d["emulators"]))' "$output"
        assert_success
        assert_line "['emulators', 'supported']"
        assert_line --regexp "^linux/amd64 .*linux/arm64"
        assert_output --partial "linux/riscv64"
        assert_line "qemu-aarch64 qemu-riscv64"
}

@test "JSON as tonistiigi/binfmt prints it: archutil's order and names, emulators sorted by name" {
        [[ $(uname -m) == x86_64 ]] || skip "the expected list is written for an x86_64 host"
        # Registered in the order arm, riscv64, arm64: the JSON lists names sorted, as os.ReadDir does.
        run binfmt_ns '
                for a in arm riscv64 arm64; do
                        "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install $a >/dev/null 2>&1 || exit 10
                done
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" 2>/dev/null'
        assert_success
        run python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(" ".join(d["supported"])); print(" ".join(d["emulators"]))' "$output"
        assert_success
        # BuildKit's archutil: host, its amd64 levels, then arm64 riscv64 ... 386 ... arm/v7 arm/v6.
        assert_line --index 0 --regexp '^linux/amd64( linux/amd64/v[234])* linux/arm64 linux/riscv64 linux/386 linux/arm/v7 linux/arm/v6$'
        assert_line --index 1 'qemu-aarch64 qemu-arm qemu-riscv64'
        refute_output --partial 'arm/v5'
        refute_output --partial 'arm/v8'
}

@test "install all: every available emulator registers and every probe passes" {
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install all >/dev/null; echo "rc=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" status'
        assert_success
        assert_line "rc=0"
        refute_output --regexp " (noexec|failed|error)$"
        # On x86_64 Debian's qemu-user-static covers all 34 targets but the host's family (3).
        if [[ $(uname -m) == x86_64 && -z ${ARCHWAY_QEMU_DIR:-} ]]; then
                [[ $(grep -c ' ok$' <<<"$output") -eq 31 ]]
        fi
}

@test "the host's own family is refused; --force allows i386 but never x86_64" {
        [[ $(uname -m) == x86_64 ]] || skip "written for an x86_64 host"
        run binfmt_ns '"$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install linux/386 --no-probe'
        assert_failure 1
        assert_output --partial "Refusing to register qemu-i386"
        run binfmt_ns '"$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install amd64 --force --no-probe'
        assert_failure 1
        assert_output --partial "Refusing to register qemu-x86_64"
        run binfmt_ns '"$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install i386 --force --no-probe >/dev/null && ls "$BINFMT_DIR"'
        assert_success
        assert_line "qemu-i386"
}

@test "a foreign entry survives --install, reconcile and --uninstall 'qemu-*'" {
        echo "arch = arm64" >"$CONF"
        run binfmt_ns '
                mkdir -p "$BATS_TEST_TMPDIR/theirs" && cp /usr/bin/qemu-riscv64-static "$BATS_TEST_TMPDIR/theirs/qemu-riscv64"
                printf "%s" ":qemu-riscv64$RISCV64_RULE$BATS_TEST_TMPDIR/theirs/qemu-riscv64:F" >"$BINFMT_DIR/register" || exit 10
                printf ":someone-else:E::archwaytest::/bin/true:" >"$BINFMT_DIR/register" || exit 11
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install riscv64 >/dev/null; echo "install=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" reconcile; echo "reconcile=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --uninstall "qemu-*" >/dev/null; echo "uninstall=$?"
                ls "$BINFMT_DIR"; grep interpreter "$BINFMT_DIR/qemu-riscv64"'
        assert_success
        # theirs stays, ours is registered beside it (docs/binfmt.md, Coexistence)
        assert_output --partial "qemu-riscv64 is registered by someone else (interpreter $BATS_TEST_TMPDIR/theirs/qemu-riscv64); leaving it alone, ours is qemu-riscv64-archway"
        assert_line "install=0"
        assert_line "reconcile=0"
        assert_line "uninstall=0"
        assert_line "qemu-riscv64"
        assert_line "someone-else"
        refute_line "qemu-aarch64"
        assert_line "interpreter $BATS_TEST_TMPDIR/theirs/qemu-riscv64"
}

@test "--uninstall of a named foreign entry fails unless --force" {
        run binfmt_ns '
                printf ":theirs:E::archwaytest::/bin/true:" >"$BINFMT_DIR/register" || exit 10
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --uninstall theirs --no-probe >/dev/null; echo "plain=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --uninstall theirs --force --no-probe >/dev/null; echo "forced=$?"
                ls "$BINFMT_DIR"'
        assert_success
        assert_line "plain=1"
        assert_output --partial "Leaving theirs alone"
        assert_line "forced=0"
        refute_line "theirs"
}

@test "reconcile is idempotent and fixes drift of our own entries" {
        printf 'arch = arm64 riscv64\n' >"$CONF"
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" reconcile 2>&1 | grep -c "^binfmt: registered"
                before=$(stat -c %i "$BINFMT_DIR/qemu-aarch64")
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" reconcile 2>&1 | grep -c "^binfmt: registered"
                [ "$(stat -c %i "$BINFMT_DIR/qemu-aarch64")" = "$before" ] && echo "untouched"
                # Drift: our interpreter, but no flags.
                interp=$(sed -n "s/^interpreter //p" "$BINFMT_DIR/qemu-aarch64")
                echo -1 >"$BINFMT_DIR/qemu-aarch64"
                printf "%s" ":qemu-aarch64$ARM64_RULE$interp:" >"$BINFMT_DIR/register"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" reconcile 2>&1 | grep "^binfmt: replaced"
                grep flags "$BINFMT_DIR/qemu-aarch64"'
        assert_success
        assert_line --index 0 "2"
        assert_line --index 1 "0"
        assert_line "untouched"
        assert_line --partial "binfmt: replaced qemu-aarch64"
        assert_line "flags: PF"
}

@test "reconcile removes our entries that are no longer configured" {
        printf 'arch = arm64\n' >"$CONF"
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install riscv64 >/dev/null
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q reconcile
                ls "$BINFMT_DIR"'
        assert_success
        assert_line "qemu-aarch64"
        refute_line "qemu-riscv64"
}

# A reboot gives an empty instance: what a new user namespace's first mount gives, too.
@test "persistence: the unit's ExecStart brings a fresh instance back to the configured set" {
        local exec
        exec=$(sed -n 's/^ExecStart=@BINDIR@\/binfmt //p' "$REPO/systemd/archway-binfmt.service.in")
        [[ -n $exec ]] || fail "no ExecStart in systemd/archway-binfmt.service.in"
        printf 'arch = arm64\n' >"$CONF"
        run binfmt_ns '"$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install arm64 >/dev/null 2>&1 && ls "$BINFMT_DIR"'
        assert_line "qemu-aarch64"
        export EXEC=$exec
        run binfmt_ns '
                ls "$BINFMT_DIR" | grep -c qemu-
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" $EXEC 2>/dev/null; echo "rc=$?"
                "$BUSYBOX_ARM64" uname -m
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" status | grep "^\* qemu-aarch64"'
        assert_success
        assert_line --index 0 "0"
        assert_line "rc=0"
        assert_line "aarch64"
        assert_line --regexp "^\* qemu-aarch64 .* ok$"
}

@test "export writes systemd-binfmt files the kernel accepts" {
        run binfmt_ns '
                mkdir "$BATS_TEST_TMPDIR/binfmt.d"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" export --binfmt-d "$BATS_TEST_TMPDIR/binfmt.d" arm64 2>/dev/null || exit 10
                ls "$BATS_TEST_TMPDIR/binfmt.d"
                grep -v "^#" "$BATS_TEST_TMPDIR/binfmt.d/qemu-aarch64.conf" | tr -d "\n" >"$BINFMT_DIR/register" || exit 11
                "$BUSYBOX_ARM64" uname -m'
        assert_success
        assert_line "qemu-aarch64.conf"
        assert_line "aarch64"
}

@test "doctor: names the missing entry, the handler, shadowed entries and the ELF loader" {
        local dyn
        dyn=$(fixture arm64-dyn)
        export DYN=$dyn
        run binfmt_ns '"$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" doctor "$BUSYBOX_ARM64"'
        assert_failure 1
        assert_output --partial "no binfmt_misc entry handles this file"
        assert_output --partial "fix: binfmt --install linux/arm64"
        run binfmt_ns '
                printf "%s" ":old-arm64${ARM64_RULE}/usr/bin/qemu-aarch64-static:F" >"$BINFMT_DIR/register"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install arm64 >/dev/null
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" doctor "$BUSYBOX_ARM64"'
        assert_success
        assert_line --partial "handler: qemu-aarch64"
        assert_line --partial "shadowed: old-arm64"
        assert_line --partial "ok: executing"
        prog=$(find "$dyn" -type f -perm -u+x -path '*bin*' | head -1)
        [[ -n $prog ]] || skip "no program in $dyn"
        export PROG=$prog
        run binfmt_ns '"$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install arm64 >/dev/null
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" doctor --root "$DYN" "$PROG"; echo "rc=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" doctor --root "$BATS_TEST_TMPDIR" "$PROG"; echo "rc=$?"'
        assert_line --partial "loader: /lib/ld-linux-aarch64.so.1 found under"
        assert_line "rc=0"
        assert_output --partial "its ELF loader /lib/ld-linux-aarch64.so.1 is missing"
        assert_output --partial "libc6:arm64"
        assert_line "rc=1"
}

@test "without CAP_SYS_ADMIN the error says so, exit 4" {
        command -v setpriv >/dev/null || skip "setpriv missing"
        run binfmt_ns 'setpriv --inh-caps=-all --bounding-set=-all "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64'
        assert_failure 4
        assert_output --partial "needs CAP_SYS_ADMIN in the user namespace that owns this binfmt_misc instance"
}

@test "usage and configuration errors exit 2 and name the line" {
        run "$BINFMT" --config "$CONF" frobnicate
        assert_failure 2
        printf 'arch = arm64\nemulator = qemu-user\n' >"$CONF"
        run "$BINFMT" --config "$CONF" status
        assert_failure 2
        assert_output --partial "$CONF:2: invalid line"
}

@test "systemd units verify" {
        command -v systemd-analyze >/dev/null || skip "systemd-analyze missing"
        local d=$BATS_TEST_TMPDIR/units u
        mkdir "$d"
        for u in archway-binfmt.service archway-binfmt-check.service; do
                sed -e "s|@BINDIR@|$(dirname "$BINFMT")|g" -e 's|@SYSCONFDIR@|/etc|g' "$REPO/systemd/$u.in" >"$d/$u"
        done
        cp "$REPO/systemd/archway-binfmt-check.timer" "$d/"
        run systemd-analyze verify --man=no "$d/archway-binfmt.service" "$d/archway-binfmt-check.service" \
                "$d/archway-binfmt-check.timer"
        assert_success
        assert_output ""
}

# buildah (Debian package) with --isolation chroot, in a private instance of a user namespace with a
# full uid/gid map: the arm64 RUN step runs through the entry we registered (F: the emulator is pinned,
# the image has none of our files).
@test "buildah builds a Dockerfile with an arm64 RUN step after binfmt --install arm64" {
        command -v buildah >/dev/null || skip "buildah missing"
        export ROOTFS=$BATS_TEST_TMPDIR/rootfs CTX=$BATS_TEST_TMPDIR/ctx STORE=$BATS_TEST_TMPDIR/store
        mkdir -p "$ROOTFS/bin" "$CTX" "$STORE"
        cp "$BUSYBOX_ARM64" "$ROOTFS/bin/busybox"
        for a in sh uname cat; do ln -s busybox "$ROOTFS/bin/$a"; done
        printf 'FROM localhost/busybox-arm64\nRUN uname -m >/arch && cat /arch\n' >"$CTX/Dockerfile"
        chmod -R a+rwX "$BATS_TEST_TMPDIR"
        run binfmt_ns_full '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install arm64 >/dev/null || exit 10
                B="buildah --root $STORE/root --runroot $STORE/run --storage-driver vfs"
                ctr=$($B from --arch arm64 scratch) || exit 11
                $B copy "$ctr" "$ROOTFS/" / >/dev/null && $B config --arch arm64 --os linux "$ctr" &&
                        $B commit -q "$ctr" localhost/busybox-arm64 >/dev/null || exit 12
                $B build --isolation chroot --platform linux/arm64 --pull=never -t localhost/out "$CTX" 2>&1'
        assert_success
        assert_line "STEP 2/2: RUN uname -m >/arch && cat /arch"
        assert_line "aarch64"
}

# What systemd sees from `binfmt reconcile` (Type=oneshot, NotifyAccess=main): READY=1 and a STATUS=
# line on $NOTIFY_SOCKET. A Python datagram socket stands in for PID 1.
@test "reconcile reports READY=1 and STATUS= through sd_notify" {
        printf 'arch = arm64\n' >"$CONF"
        export SOCK=$BATS_TEST_TMPDIR/notify
        run binfmt_ns '
                python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
print(\"ready\", flush=True)
print(s.recv(4096).decode())" "$SOCK" >"$BATS_TEST_TMPDIR/msg" &
                until grep -q ready "$BATS_TEST_TMPDIR/msg" 2>/dev/null; do sleep 0.05; done
                NOTIFY_SOCKET=$SOCK "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q reconcile; echo "rc=$?"
                wait; cat "$BATS_TEST_TMPDIR/msg"'
        assert_success
        assert_line "rc=0"
        assert_line "READY=1"
        assert_line "STATUS=1 architectures configured, 1 changed, 0 failed, 0 not working"
}

# --- honest status ------------------------------------------------------------------------------

@test "fallback: Debian's QEMU instead of the configured one warns, shows in status and in the JSON" {
        [[ -x /usr/bin/qemu-aarch64-static ]] || skip "Debian's qemu-user-static is not installed"
        mkdir -p "$BATS_TEST_TMPDIR/empty"
        printf 'qemu-dir = %s\n' "$BATS_TEST_TMPDIR/empty" >"$CONF"
        run binfmt_ns '
                unset ARCHWAY_QEMU_DIR
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64 >"$BATS_TEST_TMPDIR/json"; echo "rc=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" status'
        assert_success
        assert_line "rc=0"
        assert_output --partial "qemu-aarch64 uses /usr/bin/qemu-aarch64-static, not $BATS_TEST_TMPDIR/empty/qemu-aarch64 as configured (emulator = auto): it is not installed"
        assert_line --regexp "^\* qemu-aarch64 +yes +linux/arm64 +/usr/bin/qemu-aarch64-static +PF +archway:debian +fallback +ok$"
        # tonistiigi's keys unchanged, first; ours is an extra key
        run python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(list(d)); print(d["emulators"]); print(d["fallback"])' "$BATS_TEST_TMPDIR/json"
        assert_success
        assert_line "['supported', 'emulators', 'handlers', 'fallback']"
        assert_line "['qemu-aarch64']"
        assert_line "[{'name': 'qemu-aarch64', 'interpreter': '/usr/bin/qemu-aarch64-static', 'configured': '$BATS_TEST_TMPDIR/empty/qemu-aarch64'}]"
}

@test "no fallback: the configured emulator gives an empty fallback list and 'configured' in status" {
        [[ -n ${ARCHWAY_QEMU_DIR:-} ]] || skip "needs our QEMU (ARCHWAY_QEMU_DIR, as make check sets it)"
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64 2>"$BATS_TEST_TMPDIR/err" | tr -d " \n"; echo
                cat "$BATS_TEST_TMPDIR/err"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" status'
        assert_success
        assert_output --partial '"fallback":[]}'
        refute_output --partial "warning"
        refute_output --partial "as configured"
        assert_line --regexp "^\* qemu-aarch64 .* archway:qemu-dir +configured +ok$"
}

@test "exits with a reason: no emulator, no shim (non-zero); another tool owning the name no longer blocks ours" {
        printf 'shim = %s\n' "$BATS_TEST_TMPDIR/no-such-archshim" >"$CONF"
        run binfmt_ns '
                mkdir -p "$BATS_TEST_TMPDIR/theirs" && cp /usr/bin/true "$BATS_TEST_TMPDIR/theirs/emu"
                printf "%s" ":qemu-aarch64$ARM64_RULE$BATS_TEST_TMPDIR/theirs/emu:F" >"$BINFMT_DIR/register" || exit 10
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64 --shim --no-probe >/dev/null; echo "shim-missing=$?"
                printf "shim = %s\n" "$ARCHSHIM" >"$CONF"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64 --shim --no-probe >/dev/null; echo "owned=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install riscv64 --emulator archway \
                        --qemu-dir "$BATS_TEST_TMPDIR/theirs" --no-probe >/dev/null; echo "no-emulator=$?"
                grep interpreter "$BINFMT_DIR/qemu-aarch64"'
        assert_success
        assert_line "shim-missing=1"
        assert_output --partial "No emulator for aarch64 (emulator = shim)"
        # another tool's qemu-aarch64 no longer blocks: ours is registered beside it
        assert_line "owned=0"
        assert_output --partial "qemu-aarch64 is registered by someone else (interpreter $BATS_TEST_TMPDIR/theirs/emu); leaving it alone, ours is qemu-aarch64-archway"
        assert_line "no-emulator=1"
        assert_output --partial "No emulator for riscv64 (emulator = archway)"
        assert_line "interpreter $BATS_TEST_TMPDIR/theirs/emu"
}

# The probe's bound is the CPU it uses (lib/binfmt-probe.h), not the wall clock, which in a stalled
# guest fails emulators that work. An emulator that spins is stopped after its CPU seconds: first its
# `--version` (asked to decide flag P; it was read to EOF without a bound), then its probe.
@test "a spinning emulator is stopped by the probe's CPU limit, --version and probe: 'timeout', exit 3" {
        local q=$BATS_TEST_TMPDIR/spin
        mkdir -p "$q"
        printf 'int main(void) { for (volatile int i = 0;; i++); }\n' >"$q/spin.c"
        env -u LIBRARY_PATH gcc -static -O1 -o "$q/qemu-aarch64" "$q/spin.c" || fail "cannot build the spinning emulator"
        run binfmt_ns '
                timeout 100 "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" --install arm64 --emulator archway --qemu-dir "'"$q"'" >/dev/null
                echo "rc=$?"
                pgrep -f "^'"$q"'/qemu-aarch64" || echo "none left"'
        assert_success
        assert_line "rc=3"
        assert_output --partial "qemu-aarch64 is registered but its probe program did not finish: it used 10 CPU seconds, or ran for 60 s."
        assert_line "none left"
}

@test "status lists entries newest first, the kernel's order, and marks the one it uses per platform" {
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install riscv64 --no-probe >/dev/null 2>&1 || exit 10
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --install arm64 --no-probe >/dev/null 2>&1 || exit 11
                # a newer entry of another tool for arm64 shadows ours
                printf "%s" ":theirs-arm64$ARM64_RULE/usr/bin/true:F" >"$BINFMT_DIR/register" || exit 12
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" status --no-probe | grep -E "^[* ] [a-z]"'
        assert_success
        assert_line --index 0 --regexp "^\* theirs-arm64 +yes +linux/arm64 .* foreign "
        assert_line --index 1 --regexp "^  qemu-aarch64 +yes +linux/arm64 "
        assert_line --index 2 --regexp "^\* qemu-riscv64 +yes +linux/riscv64 "
}

@test "--version prints the version and the QEMU it uses" {
        run "$BINFMT" --config "$CONF" --version
        assert_success
        assert_line --index 0 --regexp "^binfmt \(archway\) [0-9]+\.[0-9]+\.[0-9]+$"
        assert_line --index 1 --regexp "^qemu: (archway QEMU [0-9.]+ \(Debian source [^)]*\) in /.*: .*aarch64|none in /)"
        assert_line --regexp "^emulator: auto "
        if [[ -n ${ARCHWAY_QEMU_DIR:-} ]]; then
                assert_line --index 1 --partial "in $ARCHWAY_QEMU_DIR: "
        fi
}

@test "arch = installed: every target of the QEMU manifest but the host's family, nothing else" {
        [[ -n ${ARCHWAY_QEMU_DIR:-} ]] || skip "needs our QEMU (ARCHWAY_QEMU_DIR, as make check sets it)"
        [[ $(uname -m) == x86_64 ]] || skip "written for an x86_64 host"
        printf 'arch = installed\n' >"$CONF"
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q reconcile; echo "rc=$?"
                ls "$BINFMT_DIR" | grep qemu- | sort | tr "\n" " "; echo'
        assert_success
        assert_line "rc=0"
        local want="" t
        for t in $(sed -n 's/^targets=//p' "$ARCHWAY_QEMU_DIR/manifest"); do
                [[ $t == i386 || $t == x86_64 ]] || want+="qemu-$t "
        done
        assert_line "$(tr ' ' '\n' <<<"$want" | grep . | sort | tr '\n' ' ')"
}

# Debian's qemu-user-static registers qemu-aarch64 at every boot (systemd-binfmt runs first), and
# binfmt-support registers again when a package is installed: theirs is never changed, ours must be
# the newest match, which the kernel takes. "Theirs" is a copy of QEMU outside our paths (foreign).
@test "coexistence: another tool's qemu-aarch64 stays, ours is qemu-aarch64-archway and the kernel runs ours" {
        echo "arch = arm64" >"$CONF"
        run binfmt_ns '
                mkdir -p "$BATS_TEST_TMPDIR/theirs" && cp /usr/bin/qemu-aarch64-static "$BATS_TEST_TMPDIR/theirs/qemu-aarch64"
                printf "%s" ":qemu-aarch64$ARM64_RULE$BATS_TEST_TMPDIR/theirs/qemu-aarch64:F" >"$BINFMT_DIR/register" || exit 10
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" reconcile; echo "reconcile=$?"
                ls -U "$BINFMT_DIR" | grep qemu | tr "\n" " "; echo
                # polled until the fork has become busybox: a loaded host may take longer than any fixed sleep
                "$BUSYBOX_ARM64" sleep 30 & pid=$!
                for _ in $(seq 100); do e=$(readlink /proc/$pid/exe); [ "$e" != "$(readlink /proc/$$/exe)" ] && break; sleep 0.1; done
                echo "runs=$e"; kill $pid; wait
                # a later registration by the other tool: reconcile puts ours first again
                printf "%s" ":late-aarch64$ARM64_RULE$BATS_TEST_TMPDIR/theirs/qemu-aarch64:F" >"$BINFMT_DIR/register" || exit 11
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" status | sed -n "/^PLATFORM/,\$p"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" reconcile; echo "again=$?"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" status | grep "^linux/arm64"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" | python3 -c "import json,sys; h=json.load(sys.stdin)[\"handlers\"][\"linux/arm64\"]; print(\"json\", h[\"entry\"], h[\"owner\"], \" \".join(h[\"shadowed\"]))"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" doctor "$BUSYBOX_ARM64" | grep -E "^(handler|shadowed)"
                grep interpreter "$BINFMT_DIR/qemu-aarch64" "$BINFMT_DIR/late-aarch64"'
        assert_success
        assert_output --partial "qemu-aarch64 is registered by someone else"
        assert_line "reconcile=0"
        assert_line "qemu-aarch64-archway qemu-aarch64 "
        refute_line "runs=$BATS_TEST_TMPDIR/theirs/qemu-aarch64"
        assert_line --regexp "^runs=/.*qemu-aarch64(-static)?$"
        # before the second reconcile the late entry wins, and status says so
        assert_line --regexp "^linux/arm64 +late-aarch64 +foreign +qemu-aarch64-archway \(archway:.*\), qemu-aarch64 \(foreign\)$"
        assert_output --partial "late-aarch64 (interpreter $BATS_TEST_TMPDIR/theirs/qemu-aarch64) was registered after qemu-aarch64-archway"
        assert_line "again=0"
        assert_line --regexp "^linux/arm64 +qemu-aarch64-archway +archway:[a-z-]+ +late-aarch64 \(foreign\), qemu-aarch64 \(foreign\)$"
        assert_line --regexp "^json qemu-aarch64-archway archway:[a-z-]+ late-aarch64 qemu-aarch64$"
        assert_line --regexp "^handler: qemu-aarch64-archway \(interpreter .*, archway's\)$"
        assert_line --partial "shadowed: late-aarch64"
        # theirs are untouched
        assert_line --regexp "/qemu-aarch64:interpreter $BATS_TEST_TMPDIR/theirs/qemu-aarch64$"
        assert_line --regexp "/late-aarch64:interpreter $BATS_TEST_TMPDIR/theirs/qemu-aarch64$"
}

@test "coexistence: when the other tool's qemu-aarch64 goes, ours takes the name back; uninstall by arch removes ours" {
        echo "arch = arm64" >"$CONF"
        run binfmt_ns '
                mkdir -p "$BATS_TEST_TMPDIR/theirs" && cp /usr/bin/qemu-aarch64-static "$BATS_TEST_TMPDIR/theirs/qemu-aarch64"
                printf "%s" ":qemu-aarch64$ARM64_RULE$BATS_TEST_TMPDIR/theirs/qemu-aarch64:F" >"$BINFMT_DIR/register" || exit 10
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q reconcile || exit 11
                echo -1 >"$BINFMT_DIR/qemu-aarch64"
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q reconcile || exit 12
                ls "$BINFMT_DIR" | grep qemu | tr "\n" " "; echo
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" -q --uninstall arm64 >/dev/null; echo "uninstall=$?"
                ls "$BINFMT_DIR" | grep -c qemu; true'
        assert_success
        assert_line "qemu-aarch64 "
        assert_line "uninstall=0"
        assert_line "0"
}

# archway-binfmt.service counts exit 3 as success (SuccessExitStatus=3): one architecture without an
# emulator must not keep the others from being registered, nor fail the unit (reload needs it active).
@test "one configured architecture without an emulator: the others are registered, exit 3, STATUS= says so" {
        local qdir="$BATS_TEST_TMPDIR/qemu"
        mkdir -p "$qdir"
        cp "${ARCHWAY_QEMU_DIR:-/usr/bin}/qemu-aarch64$([[ -n ${ARCHWAY_QEMU_DIR:-} ]] || echo -static)" "$qdir/qemu-aarch64"
        printf 'emulator = archway\nqemu-dir = %s\narch = arm64 riscv64\n' "$qdir" >"$CONF"
        grep -q '^SuccessExitStatus=3$' "$REPO/systemd/archway-binfmt.service.in"
        run binfmt_ns '
                "$BINFMT" --config "$CONF" --binfmt-dir "$BINFMT_DIR" reconcile; echo "rc=$?"
                ls "$BINFMT_DIR" | grep qemu; "$BUSYBOX_ARM64" uname -m'
        assert_success
        assert_line "rc=3"
        assert_output --partial "No emulator for riscv64"
        assert_output --partial "2 architectures configured, 1 changed, 0 failed, 1 not working"
        assert_line "qemu-aarch64"
        refute_line "qemu-riscv64"
        assert_line "aarch64"
}
