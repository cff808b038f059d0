#!/usr/bin/env bats
# The VM boot test: a Debian 12 guest on Debian's stock 6.1 kernel, booted twice (tests/vm/run; the
# guest's checks are tests/vm/check). setup_file boots it once; each test asserts the verdict lines
# of one check on both boots, so a failing check names itself. The serial log stays in
# build/vm/serial.log for reading. ARCHWAY_SKIP_VM=1 skips (saying so). ARCHWAY_VM_DEB=FILE (make
# check CHECK_DEB=1) installs that .deb in the guest with apt instead of `make install`.

load helpers

VM_LOG=$BUILD/vm/serial.log

setup_file() {
        [[ -z ${ARCHWAY_SKIP_VM:-} && $(id -u) -eq 0 ]] || return 0
        command -v qemu-system-x86_64 >/dev/null || return 0
        [[ -x $BINFMT && -x $ARCHBUILD ]] || return 0
        mkdir -p "$BUILD/vm"
        "$REPO/tests/vm/run" "$VM_LOG" >"$BUILD/vm/run.log" 2>&1 || true
}

setup() {
        [[ -z ${ARCHWAY_SKIP_VM:-} ]] || skip "ARCHWAY_SKIP_VM is set"
        [[ $(id -u) -eq 0 ]] || skip "the guest image is built as root (mmdebstrap, device nodes)"
        command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (scripts/install-deps test)"
        [[ -s $VM_LOG ]] || fail "no serial log: $(tail -n 5 "$BUILD/vm/run.log" 2>/dev/null)"
}

# verdict NAME: the check passed on both boots.
verdict() {
        local b line
        for b in 1 2; do
                line=$(grep -a "^archway-vm: boot=$b \(ok\|FAIL\) $1\(:\|$\)" "$VM_LOG" | tail -n1 || true)
                [[ -n $line ]] || fail "boot $b: no verdict for $1 (the guest stopped early? see $VM_LOG)"
                [[ $line == "archway-vm: boot=$b ok $1"* ]] || fail "$line"
        done
}

@test "vm: both boots ran, the second ended the test" {
        grep -aq '^archway-vm: boot=1 rebooting' "$VM_LOG" || fail "boot 1 did not finish: $(tail -n 5 "$VM_LOG")"
        grep -aq '^archway-vm: boot=2 done' "$VM_LOG" || fail "boot 2 did not finish: $(tail -n 5 "$VM_LOG")"
        ! grep -a '^archway-vm: boot=[12] FAIL' "$VM_LOG"
}

@test "vm: Debian's stock 6.1 kernel" { verdict kernel-6.1; }
@test "vm: archway installed as asked: apt install of ARCHWAY_VM_DEB (the package's unit, enabled by its postinst), else make install" {
        verdict installed-by
        local want="make install" b
        [[ -z ${ARCHWAY_VM_DEB:-} ]] || want="deb: archway $(dpkg-deb -f "$ARCHWAY_VM_DEB" Version) by apt"
        for b in 1 2; do
                grep -aq "^archway-vm: boot=$b ok installed-by: $want" "$VM_LOG" ||
                        fail "boot $b: $(grep -a "^archway-vm: boot=$b .* installed-by" "$VM_LOG"), not $want"
        done
}
@test "vm: archway-binfmt.service is active at boot" { verdict unit-active; }
@test "vm: an architecture without an emulator is reported and does not stop the others" {
        verdict unit-reports-missing
        verdict missing-named
}
@test "vm: with qemu-user-static installed, the kernel uses our entries for arm64 and armhf" {
        verdict arm64-ours
        verdict armhf-ours
        verdict debian-entry-kept
}
@test "vm: real Debian arm64 and armhf busybox run, through our QEMU" {
        verdict arm64-busybox
        verdict armhf-busybox
        verdict arm64-runs-ours
        verdict armhf-runs-ours
}
@test "vm: drift is repaired: an entry removed (reload), and systemctl restart systemd-binfmt" {
        verdict reload-works
        verdict drift-removed-repaired
        verdict systemd-binfmt-restart-repaired
        verdict debian-entry-after-restart
        verdict arm64-busybox-after-restart
        verdict unit-active-after-restart
        verdict reload-after-restart
}
@test "vm: another tool's entry survives our reload" { verdict foreign-survives-reload; }
@test "vm: archbuild on 6.1 builds two platforms with COPY and RUN, the arm64 RUN emulated through the host's entry" {
        verdict archbuild-bases
        verdict archbuild-two-platforms
        verdict archbuild-kernel-probe
        verdict archbuild-says-host-entry
        verdict archbuild-arm64-emulated
        verdict archbuild-amd64-native
        verdict archbuild-probe
}
@test "vm: archbuild stops before any work when no entry handles a platform" { verdict archbuild-stops-without-entry; }
@test "vm: archbuild as an unprivileged user on 6.1 (its own store, COPY and RUN, arm64 emulated)" { verdict archbuild-unprivileged; }
