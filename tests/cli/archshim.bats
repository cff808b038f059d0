#!/usr/bin/env bats
# archshim, registered as the binfmt_misc interpreter in private instances only (binfmt_ns), running
# real Debian foreign binaries and synthetic ELFs for the cases Debian has no binary for. Each
# diagnostic is checked for its line and exit code.

load helpers

# Magic and mask of QEMU's scripts/qemu-binfmt-conf.sh for the rows used here, except mips32el and
# aarch64_be which are wider than QEMU's (the shim tells the ABIs apart). Written by hand until
# `binfmt --install --shim` exists; then these become that command.
SHIM_FUNCS='
MASK_LE="\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"
MASK_BE="\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff"
declare -A MAGIC=(
        [aarch64]="\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00"
        [arm]="\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00"
        [mips32el]="\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x08\x00"
        [aarch64_be]="\x7fELF\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7"
)
# register TARGET FLAGS [INTERPRETER]
register() {
        local mask=$MASK_LE
        [[ $1 == *_be ]] && mask=$MASK_BE
        printf "%s" ":archway-$1:M::${MAGIC[$1]}:$mask:${3:-$ARCHSHIM}:$2" >"$BINFMT_DIR/register"
}
'

setup() {
        [[ -x $ARCHSHIM ]] || skip "archshim not built: make O=... (ARCHSHIM=$ARCHSHIM)"
        BB=$(fixture busybox-arm64)
        export BB BATS_TEST_TMPDIR
}

# mkelf OUT CLASS(32|64) DATA(lsb|msb) MACHINE FLAGS [INTERP [CODE]]: a minimal ELF executable:
# header, a PT_INTERP when INTERP is not empty, one PT_LOAD covering the whole 4 KiB file, and CODE
# (hex bytes) at the entry point.
mkelf() {
        /usr/bin/python3 - "$@" <<'EOF'
import struct, sys
out, cls, data, machine, flags = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4], 0), int(sys.argv[5], 0)
interp = (sys.argv[6].encode() + b"\0") if len(sys.argv) > 6 and sys.argv[6] else b""
code = bytes.fromhex(sys.argv[7]) if len(sys.argv) > 7 else b""
e = "<" if data == "lsb" else ">"
size = 4096
if cls == 64:
    ehsize, phsize, ph = 64, 56, e + "IIQQQQQQ"
else:
    ehsize, phsize, ph = 52, 32, e + "IIIIIIII"
nph = 2 if interp else 1
ioff = ehsize + nph * phsize
ident = b"\x7fELF" + bytes([1 if cls == 32 else 2, 1 if data == "lsb" else 2, 1]) + b"\0" * 9
W = "Q" if cls == 64 else "I"
hdr = ident + struct.pack(e + "HHI" + W + W + W + "IHHHHHH", 2, machine, 1, 0x10000 + ioff + len(interp), ehsize, 0, flags,
                          ehsize, phsize, nph, 0, 0, 0)
phs = b""
if interp:
    if cls == 64:
        phs += struct.pack(ph, 3, 4, ioff, 0x10000 + ioff, 0x10000 + ioff, len(interp), len(interp), 1)
    else:
        phs += struct.pack(ph, 3, ioff, 0x10000 + ioff, 0x10000 + ioff, len(interp), len(interp), 4, 1)
if cls == 64:
    phs += struct.pack(ph, 1, 5, 0, 0x10000, 0x10000, size, size, 0x1000)
else:
    phs += struct.pack(ph, 1, 0, 0x10000, 0x10000, size, size, 5, 0x1000)
body = hdr + phs + interp + code
open(out, "wb").write(body + b"\0" * (size - len(body)))
EOF
        chmod 755 "$1"
}

# --- running ----------------------------------------------------------------------------------

@test "busybox arm64 runs through the shim and prints aarch64 (flags F P)" {
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                \"\$BB\" uname -m"
        assert_success
        assert_output aarch64
}

@test "registered by the registrar: binfmt --install arm64 --shim, its probe passes through the shim" {
        [[ -x $BINFMT ]] || skip "binfmt not built ($BINFMT)"
        printf 'shim = %s\n' "$ARCHSHIM" >"$BATS_TEST_TMPDIR/binfmt.conf"
        run binfmt_ns "
                \$BINFMT --config \$BATS_TEST_TMPDIR/binfmt.conf --binfmt-dir \$BINFMT_DIR --install arm64 --shim >/dev/null 2>&1 || echo \"binfmt failed: \$?\"
                sed -n 's/^interpreter //p' \$BINFMT_DIR/qemu-aarch64
                \"\$BB\" uname -m"
        assert_success
        # --shim prefers the QEMU build with the shim linked in, beside archshim, when it exists.
        local want=$ARCHSHIM linked
        linked=$(dirname "$ARCHSHIM")/qemu-aarch64-archway
        [[ -x $linked ]] && want=$linked
        assert_line --index 0 "$want"
        assert_line --index 1 aarch64
}

@test "argv0 is preserved: a symlink named uname makes busybox run its uname applet" {
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                ln -s \"\$BB\" \"\$BATS_TEST_TMPDIR/uname\"
                \"\$BATS_TEST_TMPDIR/uname\" -m
                cd \"\$BATS_TEST_TMPDIR\" && PATH=.:\$PATH uname -m"
        assert_success
        assert_output $'aarch64\naarch64'
}

@test "without P (plain convention) the arguments still arrive" {
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 F
                \"\$BB\" echo one 'two words' three"
        assert_success
        assert_output 'one two words three'
}

@test "flag O: the program comes as AT_EXECFD and QEMU gets it as /proc/self/fd/N" {
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FPO
                ARCHWAY_SHIM_DEBUG=1 \"\$BB\" uname -m"
        assert_success
        # The path may carry a note on where it came from, e.g. "(ARCHWAY_QEMU_DIR)".
        assert_line --regexp '^archshim\[debug\]: trying [^ ]*qemu-aarch64[^ ]* /proc/self/fd/[0-9]+( \(.*\))?$'
        assert_line aarch64
}

@test "QEMU_LD_PREFIX: a dynamic arm64 program finds its loader under the prefix" {
        DYN=$(fixture arm64-dyn)
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                QEMU_LD_PREFIX=$DYN $DYN/usr/bin/hello"
        assert_success
        assert_output 'Hello, world!'
}

@test "ARCHWAY_SHIM_DEBUG=1 prints the decision; QEMU_CPU replaces the per-target -cpu" {
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                ARCHWAY_SHIM_DEBUG=1 \"\$BB\" true
                ARCHWAY_SHIM_DEBUG=1 QEMU_CPU=cortex-a53 \"\$BB\" true"
        assert_success
        # The per-target default (lib/qemu-cpu.c) is added only without QEMU_CPU.
        assert_line --regexp 'linux/arm64 \(static\) -> qemu-aarch64 via exec engine, -cpu [^ ]+$'
        assert_line --regexp 'linux/arm64 \(static\) -> qemu-aarch64 via exec engine$'
}

@test "--explain prints identity and the exact QEMU argv" {
        run "$ARCHSHIM" --explain "$BB" uname -m
        assert_success
        assert_line --index 0 "program: $BB: linux/arm64 (static), build-id present"
        assert_line --index 1 --regexp "^qemu: /[^ ]*qemu-aarch64[^ ]* -0 $BB -cpu [^ ]+ -- $BB uname -m\$"
}

# --- routes -----------------------------------------------------------------------------------

# A route to a native command: the host's echo, so the output proves which side ran.
write_routes() {
        local id
        id=$(readelf -n "$BB" | sed -n 's/.*Build ID: //p')
        cat >"$BATS_TEST_TMPDIR/routes.conf" <<EOF
# native twin for busybox
[route]
platform = linux/arm64
build-id = $id
exec = /bin/echo
argv0 = echo
arg = native:
unless-arg = -march=native
unless-env = NO_ROUTE
EOF
        run "$ARCHSHIM" --compile-routes "$BATS_TEST_TMPDIR/routes.conf"
        assert_success
        assert_output --partial '1 route -> '
}

@test "a route runs the native command with its arguments; conditions make it fall back to QEMU" {
        write_routes
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                export ARCHWAY_ROUTES=\$BATS_TEST_TMPDIR/routes.idx
                \"\$BB\" uname -m
                \"\$BB\" uname -march=native 2>&1 | head -1
                NO_ROUTE=1 \"\$BB\" uname -m
                ARCHWAY_SHIM=qemu \"\$BB\" uname -m"
        assert_success
        assert_line --index 0 'native: uname -m'
        assert_line --index 1 --regexp '^uname: (unrecognized|invalid) option' 
        assert_line --index 2 aarch64
        assert_line --index 3 aarch64
}

@test "a path rule matches a relative exec after lexical normalisation; a glob rule too" {
        mkdir -p "$BATS_TEST_TMPDIR/bin"
        cp "$BB" "$BATS_TEST_TMPDIR/bin/busybox"
        cp "$BB" "$BATS_TEST_TMPDIR/bin/busybox-x"
        printf '[route]\nplatform = arm64\npath = %s/bin/busybox\nexec = /bin/echo\narg = by-path:\n' \
                "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/routes.conf"
        printf '[route]\nplatform = arm64\npath = %s/*/busybox-*\nexec = /bin/echo\narg = by-glob:\n' \
                "$BATS_TEST_TMPDIR" >>"$BATS_TEST_TMPDIR/routes.conf"
        "$ARCHSHIM" --compile-routes "$BATS_TEST_TMPDIR/routes.conf" >/dev/null
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                export ARCHWAY_ROUTES=\$BATS_TEST_TMPDIR/routes.idx
                cd \$BATS_TEST_TMPDIR/bin && ./busybox one && ../bin/./busybox two
                ./busybox-x three
                cp busybox ../busybox-other && ../busybox-other uname -m"
        assert_success
        assert_output $'by-path: one\nby-path: two\nby-glob: three\naarch64'
}

@test "debug names the condition that vetoed a route" {
        write_routes
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                ARCHWAY_ROUTES=\$BATS_TEST_TMPDIR/routes.idx NO_ROUTE=1 ARCHWAY_SHIM_DEBUG=1 \"\$BB\" true"
        assert_success
        assert_line --partial 'line 2 does not apply: unless-env NO_ROUTE'
}

@test "in-root /.archway/routes.idx routes inside a chroot; a stale index is ignored until recompiled" {
        write_routes
        # A static native echo for the root (the host's /bin/echo is dynamic).
        printf '#include <stdio.h>\nint main(int c, char **v) { for (int i = 1; i < c; i++) printf("%%s%%s", v[i], i + 1 < c ? " " : "\\n"); return 0; }\n' \
                >"$BATS_TEST_TMPDIR/echo.c"
        cc -static -O2 -o "$BATS_TEST_TMPDIR/echo" "$BATS_TEST_TMPDIR/echo.c" || skip "no static libc for a native echo"
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                R=\$BATS_TEST_TMPDIR/root
                mkdir -p \$R/.archway \$R/bin
                cp \$BATS_TEST_TMPDIR/echo \$R/bin/echo
                cp \"\$BB\" \$R/bb
                cp \$BATS_TEST_TMPDIR/routes.conf \$R/.archway/routes.conf
                \$ARCHSHIM --compile-routes \$R/.archway/routes.conf >/dev/null
                chroot \$R /bb uname -m
                echo '# edited' >>\$R/.archway/routes.conf
                chroot \$R /bb uname -m; echo rc=\$?
                \$ARCHSHIM --compile-routes \$R/.archway/routes.conf >/dev/null
                chroot \$R /bb uname -m"
        assert_line --index 0 'native: uname -m'
        # Stale: ignored; the root has no QEMU, and the shim says it runs in another root.
        assert_line --index 1 --partial 'no emulator for linux/arm64 is reachable in this root (a container or chroot'
        assert_line --index 1 --partial 'binfmt --install arm64 --shim'
        assert_line --index 2 rc=127
        assert_line --index 3 'native: uname -m'
}

@test "in-root routes survive an image layer's whole-second mtimes; an edit of the same size is stale" {
        write_routes
        printf '#include <stdio.h>\nint main(int c, char **v) { for (int i = 1; i < c; i++) printf("%%s%%s", v[i], i + 1 < c ? " " : "\\n"); return 0; }\n' \
                >"$BATS_TEST_TMPDIR/echo.c"
        cc -static -O2 -o "$BATS_TEST_TMPDIR/echo" "$BATS_TEST_TMPDIR/echo.c" || skip "no static libc for a native echo"
        # ustar keeps whole seconds, as docker's and BuildKit's layers do.
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                S=\$BATS_TEST_TMPDIR/src R=\$BATS_TEST_TMPDIR/root
                mkdir -p \$S/.archway \$S/bin \$R
                cp \$BATS_TEST_TMPDIR/echo \$S/bin/echo
                cp \"\$BB\" \$S/bb
                cp \$BATS_TEST_TMPDIR/routes.conf \$S/.archway/routes.conf
                touch -d '2024-01-02 03:04:05.678901234' \$S/.archway/routes.conf
                \$ARCHSHIM --compile-routes \$S/.archway/routes.conf >/dev/null
                tar -C \$S --format=ustar -cf - . | tar -C \$R -xf -
                stat -c %y \$R/.archway/routes.conf
                ARCHWAY_SHIM_DEBUG=1 chroot \$R /bb uname -m 2>\$BATS_TEST_TMPDIR/debug
                grep -o 'content identical' \$BATS_TEST_TMPDIR/debug
                sed -i 's/native/NATIVE/' \$R/.archway/routes.conf
                chroot \$R /bb uname -m; echo rc=\$?"
        assert_line --index 0 --partial '03:04:05.000000000'
        assert_line --index 1 'native: uname -m'
        assert_line --index 2 'content identical'
        # The edit keeps the size; the content tells it apart: the index is ignored.
        assert_line --index 3 --partial 'no emulator for linux/arm64 is reachable in this root'
        assert_line --index 4 rc=127
}

@test "--check-routes reports file:line for a bad rule" {
        printf '[route]\nplatform = linux/arm64\npath = relative/gcc\n' >"$BATS_TEST_TMPDIR/bad.conf"
        run "$ARCHSHIM" --check-routes "$BATS_TEST_TMPDIR/bad.conf"
        assert_failure 1
        assert_output "archshim: $BATS_TEST_TMPDIR/bad.conf:3: path= must be absolute"
}

@test "fallback: without our QEMU the standalone shim says it runs Debian's, on stderr and in --explain" {
        [[ -x /usr/bin/qemu-aarch64-static ]] || skip "Debian's qemu-user-static is not installed"
        run "$ARCHSHIM" --version
        [[ $output == *"qemu: none in "* ]] || skip "our QEMU is installed where archshim looks: no fallback to show"
        run env -u ARCHWAY_QEMU_DIR "$ARCHSHIM" --explain "$BB" true
        assert_success
        assert_line --regexp "^fallback: /usr/bin/qemu-aarch64-static \(configured: /.*/qemu/qemu-aarch64, absent\)$"
        assert_line --regexp "^qemu: /usr/bin/qemu-aarch64-static -0 $BB "
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                unset ARCHWAY_QEMU_DIR
                \"\$BB\" uname -m"
        assert_success
        assert_line aarch64
        assert_line --regexp "^archshim: warning: our QEMU /.*/qemu/qemu-aarch64 is not installed; running $BB with /usr/bin/qemu-aarch64-static instead$"
}

# --- diagnostics ------------------------------------------------------------------------------

@test "no emulator installed: 127 and the binfmt --install command" {
        run -127 binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                ARCHWAY_QEMU_DIR=/nonexistent \"\$BB\" true"
        assert_failure 127
        assert_output "archshim: $BB is linux/arm64 (static) but no emulator for linux/arm64 is installed (looked for qemu-aarch64 in /nonexistent); run: binfmt --install arm64"
}

@test "dynamic program without its loader: 127 naming the loader" {
        DYN=$(fixture arm64-dyn)
        run -127 binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                $DYN/usr/bin/hello"
        assert_failure 127
        assert_output "archshim: $DYN/usr/bin/hello is a glibc binary for linux/arm64 and needs /lib/ld-linux-aarch64.so.1, which this root lacks (no linux/arm64 libc here at all: wrong image, or a missing libc package?)"
}

@test "glibc program in a musl root: 127 saying glibc vs musl" {
        DYN=$(fixture arm64-dyn)
        MUSL=$(fixture musl-arm64)
        run -127 binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                R=\$BATS_TEST_TMPDIR/root && mkdir \$R && cp -a $MUSL/. \$R/ && cp $DYN/usr/bin/hello \$R/hello
                chroot \$R /hello"
        assert_failure 127
        assert_output "archshim: /hello is a glibc binary for linux/arm64 and needs /lib/ld-linux-aarch64.so.1, but this root has musl (/lib/ld-musl-aarch64.so.1), not glibc"
}

@test "musl program in a glibc root: 127 saying musl vs glibc" {
        DYN=$(fixture arm64-dyn)
        run -127 binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                R=\$BATS_TEST_TMPDIR/root && mkdir \$R && cp -a $DYN/. \$R/
                # hello relinked by hand: its PT_INTERP string replaced by musl's loader path.
                /usr/bin/python3 -c '
import sys
b = open(sys.argv[1], \"rb\").read()
old, new = b\"/lib/ld-linux-aarch64.so.1\", b\"/lib/ld-musl-aarch64.so.1\"
open(sys.argv[2], \"wb\").write(b.replace(old, new + b\"\\0\" * (len(old) - len(new)), 1))' \$R/usr/bin/hello \$R/musl-hello
                chmod 755 \$R/musl-hello
                chroot \$R /musl-hello"
        assert_failure 127
        assert_output "archshim: /musl-hello is a musl binary for linux/arm64 and needs /lib/ld-musl-aarch64.so.1, but this root has glibc (/lib/ld-linux-aarch64.so.1), not musl"
}

@test "armel soft-float program in an armhf root: 127 naming the float ABIs" {
        mkelf "$BATS_TEST_TMPDIR/armel-app" 32 lsb 40 0x05000200 /lib/ld-linux.so.3
        run -127 binfmt_ns "$SHIM_FUNCS
                register arm FP
                R=\$BATS_TEST_TMPDIR/root && mkdir -p \$R/lib && touch \$R/lib/ld-linux-armhf.so.3
                cp \$BATS_TEST_TMPDIR/armel-app \$R/app
                chroot \$R /app"
        assert_failure 127
        assert_output "archshim: /app is a glibc soft-float (armel) binary for linux/arm/v5 and needs /lib/ld-linux.so.3, but this root is hard-float (armhf) (/lib/ld-linux-armhf.so.3)"
}

@test "MIPS n32 program without a mipsn32el emulator: 127 naming the ABI and the platform" {
        # EF_MIPS_ABI2 (0x20): n32. Only qemu-mips64el is offered, which runs n64 only.
        mkelf "$BATS_TEST_TMPDIR/n32-app" 32 lsb 8 0x20
        run -127 binfmt_ns "$SHIM_FUNCS
                register mips32el FP
                mkdir \$BATS_TEST_TMPDIR/q && ln -s /usr/bin/qemu-mips64el-static \$BATS_TEST_TMPDIR/q/qemu-mips64el
                ARCHWAY_QEMU_DIR=\$BATS_TEST_TMPDIR/q \$BATS_TEST_TMPDIR/n32-app"
        assert_failure 127
        assert_output --partial "n32-app is linux/mipsn32el (MIPS n32, static) but no emulator for linux/mipsn32el is installed"
        assert_output --partial "run: binfmt --install mipsn32el"
}

@test "big-endian aarch64 program: 126, wrong byte order" {
        mkelf "$BATS_TEST_TMPDIR/be-app" 64 msb 183 0
        run -126 binfmt_ns "$SHIM_FUNCS
                register aarch64_be FP
                \$BATS_TEST_TMPDIR/be-app"
        assert_failure 126
        assert_output "archshim: $BATS_TEST_TMPDIR/be-app is a 64-bit big-endian aarch64 binary: wrong byte order or class for any emulator here (aarch64 is little-endian)"
}

@test "truncated programs: 126, cut in the segments and cut in the headers" {
        head -c 3000 "$BB" >"$BATS_TEST_TMPDIR/cut-segments"
        head -c 60 "$BB" >"$BATS_TEST_TMPDIR/cut-header"
        chmod 755 "$BATS_TEST_TMPDIR"/cut-*
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP
                \$BATS_TEST_TMPDIR/cut-segments; echo rc=\$?
                \$BATS_TEST_TMPDIR/cut-header; echo rc=\$?"
        assert_line --index 0 --regexp "^archshim: $BATS_TEST_TMPDIR/cut-segments is truncated: 3000 bytes, but its segments need [0-9]+ \(an interrupted download or copy\?\)\$"
        assert_line --index 1 rc=126
        assert_line --index 2 "archshim: $BATS_TEST_TMPDIR/cut-header is truncated (60 bytes): its ELF headers run past the end of the file"
        assert_line --index 3 rc=126
}

# --- security ---------------------------------------------------------------------------------

@test "setuid foreign binary (flag C) with a hostile environment: nothing in it changes what runs" {
        cat >"$BATS_TEST_TMPDIR/suid.sh" <<'EOF'
# busybox picks its applet from argv[0]: the copies keep "busybox" in their names.
d=$(mktemp -d /tmp/archshim-suid.XXXXXX) && chmod 1777 "$d" && cd "$d"
trap 'rm -rf "$d"' EXIT
cp "$BB" "$d/busybox-suid" && chown 0:0 "$d/busybox-suid" && chmod 4755 "$d/busybox-suid"
cp "$BB" "$d/busybox-plain" && chmod 755 "$d/busybox-plain"
# busybox drops setuid for applets that do not need it, so the effective uid is shown by a program
# of our own: exit(geteuid()) in four aarch64 instructions (mov x8,#175; svc 0; mov x8,#93; svc 0).
cp "$BATS_TEST_TMPDIR/euid" "$d/euid-suid" && chown 0:0 "$d/euid-suid" && chmod 4755 "$d/euid-suid"
mkdir "$d/evilqemu"
printf '#!/bin/sh\ntouch %s/pwned-qemu\n' "$d" >"$d/evilqemu/qemu-aarch64"
chmod 755 "$d/evilqemu/qemu-aarch64"
printf '[route]\nplatform = arm64\npath = /*/*/*\nexec = /usr/bin/touch\narg = %s/pwned-route\n' "$d" >"$d/evil.conf"
"$ARCHSHIM" --compile-routes "$d/evil.conf" >/dev/null && chmod 644 "$d/evil.idx"
hostile=(QEMU_STRACE=1 QEMU_LD_PREFIX=/nonexistent QEMU_SET_ENV=EVIL=1 QEMU_CPU=bogus
         ARCHWAY_QEMU_DIR="$d/evilqemu" ARCHWAY_ROUTES="$d/evil.idx" ARCHWAY_SHIM_DEBUG=1)
as_user() { setpriv --reuid 1000 --regid 1000 --clear-groups env "$@"; }
as_user "${hostile[@]}" "$d/euid-suid"; echo "euid: $?"
echo "env: $(as_user "${hostile[@]}" "$d/busybox-suid" env | grep -c -e '^QEMU_' -e '^EVIL=')"
echo "stderr: $(as_user "${hostile[@]}" "$d/busybox-suid" true 2>&1 | wc -l)"
ls "$d" | grep pwned || echo 'no markers'
# Controls: the same variables on a copy without setuid do take effect.
as_user ARCHWAY_QEMU_DIR="$d/evilqemu" "$d/busybox-plain" true
as_user ARCHWAY_ROUTES="$d/evil.idx" "$d/busybox-plain" true
echo "control: $(ls "$d" | grep pwned | tr '\n' ' ')"
EOF
        mkelf "$BATS_TEST_TMPDIR/euid" 64 lsb 183 0 "" e81580d2010000d4a80b80d2010000d4
        run binfmt_ns_full "$SHIM_FUNCS
                register aarch64 FPC
                source \$BATS_TEST_TMPDIR/suid.sh"
        assert_success
        assert_line 'euid: 0'
        assert_line 'env: 0'
        assert_line 'stderr: 0'
        assert_line 'no markers'
        assert_line 'control: pwned-qemu pwned-route '
}

# --- the linked build: QEMU with the shim inside (scripts/link-shim-qemu) ------------------------

linked() {
        ARCHSHIM_LINKED=${ARCHSHIM_LINKED:-$BUILD/libexec/qemu-aarch64-archway}
        [[ -x $ARCHSHIM_LINKED ]] || skip "no $ARCHSHIM_LINKED: run scripts/link-shim-qemu (needs our QEMU build tree)"
        export ARCHSHIM_LINKED
}

@test "linked: busybox runs, argv0 is preserved, flags P and O handled by QEMU in-process" {
        linked
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP \$ARCHSHIM_LINKED
                ln -s \"\$BB\" \"\$BATS_TEST_TMPDIR/uname\"
                \"\$BATS_TEST_TMPDIR/uname\" -m
                ARCHWAY_SHIM_DEBUG=1 \"\$BB\" echo 'a b' c
                echo -1 >\$BINFMT_DIR/archway-aarch64
                register aarch64 FPO \$ARCHSHIM_LINKED
                \"\$BATS_TEST_TMPDIR/uname\" -m"
        assert_success
        assert_line --index 0 aarch64
        assert_line --regexp 'linux/arm64 \(static\) -> qemu-aarch64 via linked engine, -cpu [^ ]+$'
        assert_line 'a b c'
        assert_line --index -1 aarch64
}

@test "linked: a dynamic arm64 program runs in a chroot that has no QEMU" {
        linked
        DYN=$(fixture arm64-dyn)
        run binfmt_ns "$SHIM_FUNCS
                register aarch64 FP \$ARCHSHIM_LINKED
                R=\$BATS_TEST_TMPDIR/root && mkdir \$R && cp -a $DYN/. \$R/
                chroot \$R /usr/bin/hello"
        assert_success
        assert_output 'Hello, world!'
}

@test "linked: by hand with an option first it is plain QEMU" {
        linked
        run "$ARCHSHIM_LINKED" --version
        assert_success
        assert_line --index 0 --partial 'qemu-aarch64 version'
        run "$ARCHSHIM_LINKED" -cpu cortex-a53 "$BB" uname -m
        assert_success
        assert_output aarch64
}

@test "linked: setuid program with a hostile environment (flag C)" {
        linked
        mkelf "$BATS_TEST_TMPDIR/euid" 64 lsb 183 0 "" e81580d2010000d4a80b80d2010000d4
        cat >"$BATS_TEST_TMPDIR/suid.sh" <<'EOF'
d=$(mktemp -d /tmp/archshim-suid.XXXXXX) && chmod 1777 "$d" && cd "$d"
trap 'rm -rf "$d"' EXIT
cp "$BB" "$d/busybox-suid" && chown 0:0 "$d/busybox-suid" && chmod 4755 "$d/busybox-suid"
cp "$BATS_TEST_TMPDIR/euid" "$d/euid-suid" && chown 0:0 "$d/euid-suid" && chmod 4755 "$d/euid-suid"
hostile=(QEMU_STRACE=1 QEMU_LD_PREFIX=/nonexistent QEMU_SET_ENV=EVIL=1 QEMU_CPU=bogus ARCHWAY_SHIM_DEBUG=1)
as_user() { setpriv --reuid 1000 --regid 1000 --clear-groups env "$@"; }
as_user "${hostile[@]}" "$d/euid-suid"; echo "euid: $?"
echo "env: $(as_user "${hostile[@]}" "$d/busybox-suid" env | grep -c -e '^QEMU_' -e '^EVIL=')"
echo "stderr: $(as_user "${hostile[@]}" "$d/busybox-suid" true 2>&1 | wc -l)"
EOF
        run binfmt_ns_full "$SHIM_FUNCS
                register aarch64 FPC \$ARCHSHIM_LINKED
                source \$BATS_TEST_TMPDIR/suid.sh"
        assert_success
        assert_line 'euid: 0'
        assert_line 'env: 0'
        assert_line 'stderr: 0'
}

# buildah (Debian's package) builds an image whose RUN step is arm64, --isolation chroot, in a
# private instance with a full uid map. The standalone shim cannot reach QEMU from inside the
# build root and says so; the linked one runs the step.
@test "buildah: an arm64 RUN step with --isolation chroot runs through the linked shim" {
        linked
        command -v buildah >/dev/null || skip "buildah not installed"
        mkdir "$BATS_TEST_TMPDIR/ctx"
        cp "$BB" "$BATS_TEST_TMPDIR/ctx/busybox"
        printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "uname", "-m"]\n' \
                >"$BATS_TEST_TMPDIR/ctx/Dockerfile"
        run binfmt_ns_full "$SHIM_FUNCS
                S=\$BATS_TEST_TMPDIR/storage
                bah() { buildah --root \$S/root --runroot \$S/run --storage-driver vfs \"\$@\"; }
                register aarch64 FP
                bah bud --isolation chroot --platform linux/arm64 -t shim-standalone \$BATS_TEST_TMPDIR/ctx 2>&1 | grep archshim:
                echo -1 >\$BINFMT_DIR/archway-aarch64
                register aarch64 FP \$ARCHSHIM_LINKED
                bah bud --isolation chroot --platform linux/arm64 -t shim-linked \$BATS_TEST_TMPDIR/ctx 2>&1
                bah inspect --format '{{.OCIv1.Architecture}}' shim-linked
                chmod -R u+w \$S 2>/dev/null; rm -rf \$S"
        assert_success
        assert_line --index 0 --partial 'archshim: /bin/busybox is linux/arm64 (static) but no emulator for linux/arm64 is reachable in this root'
        assert_line 'aarch64'
        assert_line --index -1 arm64
}
