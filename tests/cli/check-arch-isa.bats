#!/usr/bin/env bats
# check-arch against CPU levels and models (--platform linux/amd64/v2, --cpu cortex-a72): binaries the
# tests compile with -march levels and intrinsics (gcc, Debian's cross compilers for arm64 and armhf),
# run-time-dispatched ones that must pass, real Debian binaries, an image and an archbuild step. Each
# verdict is confirmed where possible by running the binary under our QEMU with a -cpu model below and
# at the level.

load helpers

DATA="$BATS_TEST_DIRNAME/data/isa"

setup_file() {
        local d=$BATS_FILE_TMPDIR/bin m
        mkdir -p "$d"
        # the caller's LIBRARY_PATH (CUDA stubs here) must not reach the link
        unset LIBRARY_PATH
        for m in x86-64 x86-64-v2 x86-64-v3; do
                gcc -O2 -static -march=$m "$DATA/x86-levels.c" -o "$d/x86-$m" 2>/dev/null || true
        done
        gcc -O2 -static "$DATA/x86-dispatch.c" -o "$d/x86-dispatch" 2>/dev/null || true
        # declares its level: GNU_PROPERTY_X86_ISA_1_NEEDED x86-64-v3, which glibc's loader enforces
        gcc -O2 -Wl,-z,x86-64-v3 "$DATA/x86-levels.c" -o "$d/x86-needs-v3" 2>/dev/null || true
        if command -v aarch64-linux-gnu-gcc-12 >/dev/null; then
                aarch64-linux-gnu-gcc-12 -O2 -static -march=armv8.1-a "$DATA/arm64-lse.c" -o "$d/arm64-lse" || true
                aarch64-linux-gnu-gcc-12 -O2 -static "$DATA/arm64-lse.c" -o "$d/arm64-outline" || true
                aarch64-linux-gnu-gcc-12 -O2 -static "$DATA/arm64-dispatch.c" -o "$d/arm64-dispatch" || true
        fi
        if command -v arm-linux-gnueabihf-gcc-12 >/dev/null; then
                arm-linux-gnueabihf-gcc-12 -O2 -march=armv6+fp -marm -mfpu=vfp -mfloat-abi=hard -nostdlib -static \
                        -ffreestanding "$DATA/arm-free.c" -o "$d/armv6-dispatch" || true
                arm-linux-gnueabihf-gcc-12 -O2 -march=armv7-a -marm -mfpu=neon -mfloat-abi=hard -nostdlib -static \
                        -ffreestanding "$DATA/arm-free.c" -o "$d/armv7-free" || true
        fi
}

setup() {
        [[ -x $CHECK_ARCH ]] || skip "$CHECK_ARCH not built"
        BIN=$BATS_FILE_TMPDIR/bin
}

# bin NAME: a binary setup_file compiled, or skip naming the compiler that is missing.
bin() {
        [[ -x $BIN/$1 ]] || skip "$1 was not built (compiler missing: scripts/install-deps test)"
        printf '%s\n' "$BIN/$1"
}

# qemu TARGET: our QEMU for a linux-user target (ARCHWAY_QEMU_DIR, else the build cache), or skip.
qemu() {
        local dir=${ARCHWAY_QEMU_DIR:-}
        [[ -n $dir ]] || dir=$("$REPO/scripts/build-qemu" --print-dir --no-build --targets "$1" 2>/dev/null) || true
        [[ -x $dir/qemu-$1 ]] || skip "qemu-$1 not built (scripts/build-qemu --targets $1)"
        printf '%s\n' "$dir/qemu-$1"
}

# runs_under TARGET CPU BINARY: the program runs to its end under QEMU's CPU model.
runs_under() {
        run "$(qemu "$1")" -cpu "$2" "$3"
        [[ $status -eq 0 ]] || { echo "$3 failed under -cpu $2: $status $output"; return 1; }
}

# sigill_under TARGET CPU BINARY: the program dies with SIGILL (QEMU exits 128+4).
sigill_under() {
        run "$(qemu "$1")" -cpu "$2" "$3"
        [[ $status -eq 132 ]] || { echo "$3 under -cpu $2: status $status, expected SIGILL: $output"; return 1; }
}

json_get() {
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

@test "x86-64-v3 build: fails linux/amd64/v2 with its proof, passes v3; SIGILL on Nehalem, runs on Haswell" {
        local b
        b=$(bin x86-x86-64-v3)
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64/v2 "$b"
        assert_failure 1
        assert_line --partial "$b: linux/amd64 static needs x86-64-v3"
        [[ $stderr == *"$b needs x86-64-v3"*"x86-64-v2 lacks "*"avx2"*" at 0x"*"(linux/amd64/v2)"* ]]
        run "$CHECK_ARCH" --platform linux/amd64/v3 "$b"
        assert_success
        sigill_under x86_64 Nehalem "$b"
        runs_under x86_64 Haswell-noTSX "$b"
}

@test "a file declaring x86-64-v3 (ld -z x86-64-v3) fails v2 by its note; glibc refuses it on Nehalem" {
        local b
        b=$(bin x86-needs-v3)
        run "$CHECK_ARCH" --json --platform linux/amd64/v2 "$b"
        assert_failure 1
        echo "$output" >"$BATS_TEST_TMPDIR/o.json"
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" 'd["files"][0]["isa"]["evidence"]') == note ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" 'd["files"][0]["isa"]["required_level"]') == x86-64-v3 ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" 'd["files"][0]["isa"]["proofs"][0]["text"]') == "GNU_PROPERTY_X86_ISA_1_NEEDED: x86-64-v3" ]]
        run -127 "$(qemu x86_64)" -cpu Nehalem "$b"
        assert_output --partial "CPU ISA level is lower than required"
        runs_under x86_64 Haswell-noTSX "$b"
}

@test "x86-64-v2 build: --cpu core2 and --cpu x86-64 fail on POPCNT/SSE4, --cpu nehalem passes; QEMU agrees" {
        local b
        b=$(bin x86-x86-64-v2)
        run --separate-stderr "$CHECK_ARCH" --cpu core2 "$b"
        assert_failure 1
        [[ $stderr == *"core2 lacks "*"popcnt"* || $stderr == *"core2 lacks "*"sse4.1"* ]]
        run "$CHECK_ARCH" --cpu x86-64 "$b"
        assert_failure 1
        run "$CHECK_ARCH" --cpu nehalem "$b"
        assert_success
        run "$CHECK_ARCH" --cpu x86-64-v2 "$b"
        assert_success
        sigill_under x86_64 core2duo "$b"
        runs_under x86_64 Nehalem "$b"
}

@test "x86-64 baseline build passes every level" {
        local b
        b=$(bin x86-x86-64)
        run "$CHECK_ARCH" --cpu x86-64 "$b"
        assert_success
        assert_line --partial "needs x86-64"
        runs_under x86_64 qemu64 "$b"
}

@test "x86 run-time dispatch (__builtin_cpu_supports and target_clones) passes x86-64, reported apart" {
        local b
        b=$(bin x86-dispatch)
        run "$CHECK_ARCH" --cpu x86-64 "$b"
        assert_success
        assert_line --regexp "needs x86-64, uses .*avx2.* behind a run-time check ok$"
        run "$CHECK_ARCH" --json --cpu x86-64 "$b"
        assert_success
        echo "$output" >"$BATS_TEST_TMPDIR/o.json"
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" '"avx2" in d["files"][0]["isa"]["dispatched"]') == True ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" 'd["files"][0]["isa"]["required"]') == "[]" ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" 'd["files"][0]["isa"]["evidence"]') == code ]]
        runs_under x86_64 core2duo "$b"
        runs_under x86_64 Haswell-noTSX "$b"
}

@test "arm64 built for armv8.1-a: LSE proves it, cortex-a72 fails, neoverse-n1 passes; QEMU agrees" {
        local b
        b=$(bin arm64-lse)
        run --separate-stderr "$CHECK_ARCH" --cpu cortex-a72 "$b"
        assert_failure 1
        [[ $stderr == *"needs armv8.1-a"*"cortex-a72 lacks lse"*"LSE"*" at 0x"* ]]
        run "$CHECK_ARCH" --cpu neoverse-n1 "$b"
        assert_success
        run "$CHECK_ARCH" --platform linux/arm64/v8.1 "$b"
        assert_success
        run "$CHECK_ARCH" --platform linux/arm64 --cpu cortex-a53 "$b"
        assert_failure 1
        sigill_under aarch64 cortex-a72 "$b"
        runs_under aarch64 neoverse-n1 "$b"
}

@test "arm64 outline atomics and a HWCAP-dispatched armv8.1-a function pass cortex-a72 and run there" {
        local b
        for b in "$(bin arm64-outline)" "$(bin arm64-dispatch)"; do
                run "$CHECK_ARCH" --cpu cortex-a72 "$b"
                assert_success
                assert_line --regexp "needs armv8-a, uses .*lse.* behind a run-time check ok$"
                runs_under aarch64 cortex-a72 "$b"
                runs_under aarch64 neoverse-n1 "$b"
        done
}

@test "armhf: an ARMv7 build fails arm1176 by its attributes and dies there; an ARMv6 one with NEON behind AT_HWCAP passes" {
        local v7 v6
        v7=$(bin armv7-free)
        v6=$(bin armv6-dispatch)
        run --separate-stderr "$CHECK_ARCH" --cpu arm1176 "$v7"
        assert_failure 1
        [[ $stderr == *"$v7 is linux/arm/v7, not linux/arm/v6"* ]]
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm/v7 --cpu arm1176 "$v7"
        assert_failure 1
        [[ $stderr == *"arm1176 lacks "*".ARM.attributes Tag_CPU_arch"* ]]
        run "$CHECK_ARCH" --cpu cortex-a7 "$v7"
        assert_success
        run "$CHECK_ARCH" --cpu arm1176 "$v6"
        assert_success
        sigill_under arm arm1176 "$v7"
        runs_under arm cortex-a7 "$v7"
        runs_under arm arm1176 "$v6"
        assert_output plain
        runs_under arm cortex-a7 "$v6"
        assert_output neon
}

@test "real Debian binaries: arm64 busybox, hello and glibc pass cortex-a53; armhf busybox fails arm1176 and dies there" {
        local root
        root=$(fixture arm64-dyn)
        run "$CHECK_ARCH" --cpu cortex-a53 "$(fixture busybox-arm64)" "$root/usr/bin/hello" "$root/lib/aarch64-linux-gnu/libc.so.6"
        assert_success
        assert_line --regexp "libc.so.6: .* needs armv8-a, uses .*lse.* behind a run-time check ok$"
        runs_under aarch64 cortex-a53 "$(fixture busybox-arm64)"
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm/v7 --cpu arm1176 "$(fixture busybox-armhf)"
        assert_failure 1
        sigill_under arm arm1176 "$(fixture busybox-armhf)"
        runs_under arm cortex-a7 "$(fixture busybox-armhf)"
        # the host's own programs need no more than the host
        run "$CHECK_ARCH" --isa /bin/true /bin/ls
        assert_success
        # Debian's libzstd picks its BMI2 code at run time in a way the sweep does not see: named
        local zstd=/usr/lib/x86_64-linux-gnu/libzstd.so.1
        if [[ -e $zstd && $(uname -m) == x86_64 ]]; then
                run "$CHECK_ARCH" --json --cpu x86-64 "$zstd"
                assert_success
                echo "$output" >"$BATS_TEST_TMPDIR/z.json"
                [[ $(json_get "$BATS_TEST_TMPDIR/z.json" 'd["files"][0]["isa"]["known_dispatcher"]') == libzstd.so. ]]
                [[ $(json_get "$BATS_TEST_TMPDIR/z.json" '"bmi2" in d["files"][0]["isa"]["dispatched"]') == True ]]
        fi
}

@test "bad --cpu: unknown model and a model of another architecture are one clear line, exit 2" {
        run --separate-stderr "$CHECK_ARCH" --cpu pentium9000 /bin/true
        assert_failure 2
        [[ $stderr == *"--cpu: unknown CPU model 'pentium9000'"* ]]
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64 --cpu cortex-a72 /bin/true
        assert_failure 2
        [[ $stderr == *"'cortex-a72' runs none of the requested platforms"* ]]
}

@test "image: an x86-64-v3 binary in layer 2 fails linux/amd64/v2 with path, layer, level and proof; JSON fields" {
        local img=$BATS_TEST_TMPDIR/img b diff_id
        b=$(bin x86-x86-64-v3)
        "$REPO/tests/cli/make-test-image" <<JSON
{"out": "$img", "tag": "v1", "images": [
 {"platform": "linux/amd64", "entrypoint": ["/usr/local/bin/tool"], "layers": [
   [["dir", "usr"], ["file", "usr/bin/base", "$(bin x86-x86-64)"]],
   [["dir", "usr/local/bin"], ["file", "usr/local/bin/tool", "$b"], ["file", "usr/local/bin/disp", "$(bin x86-dispatch)"]]]}]}
JSON
        run "$CHECK_ARCH" --platform linux/amd64/v2 "oci:$img:v1"
        assert_failure 1
        assert_line --regexp "^    isa +FAIL +1 of 3 ELF files need more than x86-64-v2; 3 use more only behind a run-time check$"
        assert_line --regexp "^      /usr/local/bin/tool: needs x86-64-v3 .*x86-64-v2 lacks .*avx2.* at 0x[0-9a-f]+ \(layer 2, sha256:"
        run "$CHECK_ARCH" --platform linux/amd64/v3 "oci:$img:v1"
        assert_success
        run "$CHECK_ARCH" --json --platform linux/amd64/v2 "oci:$img:v1"
        assert_failure 1
        echo "$output" >"$BATS_TEST_TMPDIR/o.json"
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" 'd["images"][0]["results"][0]["cpu"]') == x86-64-v2 ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" 'd["images"][0]["results"][0]["checks"]["isa"]["state"]') == fail ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" '[p for p in d["images"][0]["results"][0]["problems"] if p["check"] == "isa"][0]["path"]') == /usr/local/bin/tool ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" '[p for p in d["images"][0]["results"][0]["problems"] if p["check"] == "isa"][0]["layer"]') == 1 ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" '[p for p in d["images"][0]["results"][0]["problems"] if p["check"] == "isa"][0]["required_level"]') == x86-64-v3* ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" '[p for p in d["images"][0]["results"][0]["problems"] if p["check"] == "isa"][0]["evidence"]') == code ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/o.json" '"avx2" in [p for p in d["images"][0]["results"][0]["problems"] if p["check"] == "isa"][0]["missing"]') == True ]]
        # without a CPU level, no isa check runs
        run "$CHECK_ARCH" --platform linux/amd64 "oci:$img:v1"
        assert_success
        assert_line --regexp "^    isa +- +$"
}

@test "archbuild: a step that adds a binary needing more than the stage's linux/amd64/v2 fails at that step" {
        local store=$BATS_TEST_TMPDIR/store ctx=$BATS_TEST_TMPDIR/ctx
        [[ -x $ARCHBUILD ]] || skip "archbuild not built"
        [[ $(id -u) -eq 0 ]] || skip "archbuild needs root here"
        mkdir -p "$ctx"
        cp "$(bin x86-x86-64-v3)" "$ctx/tool"
        printf 'FROM scratch\nCOPY tool /usr/local/bin/tool\n' >"$ctx/Dockerfile"
        run "$ARCHBUILD" --store "$store" --platform linux/amd64/v2 -o "type=oci,dest=$BATS_TEST_TMPDIR/out" "$ctx"
        assert_failure 1
        assert_output --partial "Dockerfile:2: [linux/amd64/v2] COPY tool /usr/local/bin/tool: /usr/local/bin/tool is linux/amd64 (needs x86-64-v3"
        assert_output --partial "x86-64-v2 lacks"
        run "$ARCHBUILD" --store "$store" --platform linux/amd64/v3 -o "type=oci,dest=$BATS_TEST_TMPDIR/out" "$ctx"
        assert_success
        run jq -r '.manifests[0].platform.variant // empty' "$BATS_TEST_TMPDIR/out/index.json"
}
