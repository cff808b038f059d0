#!/usr/bin/env bats
# check-arch, file and directory form, on real Debian binaries.

load helpers

setup() {
        [[ -x $CHECK_ARCH ]] || skip "$CHECK_ARCH not built"
}

# json_get FILE EXPR: evaluate a Python expression over the parsed document `d`.
json_get() {
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

@test "identifies the real Debian busybox of all seven architectures" {
        local -A want=([arm64]=linux/arm64 [armhf]=linux/arm/v7 [armel]=linux/arm/v5 [i386]=linux/386
                [mips64el]=linux/mips64le [ppc64el]=linux/ppc64le [s390x]=linux/s390x)
        local arch bin
        for arch in "${!want[@]}"; do
                bin=$(fixture "busybox-$arch")
                run "$CHECK_ARCH" --platform "${want[$arch]}" "$bin"
                assert_success
                assert_line "$bin: ${want[$arch]} static ok"
        done
}

@test "arm64 busybox passes for linux/arm64 and fails for linux/amd64 naming both platforms" {
        local bin
        bin=$(fixture busybox-arm64)
        run "$CHECK_ARCH" --platform linux/arm64 "$bin"
        assert_success
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64 "$bin"
        assert_failure 1
        assert_line "$bin: linux/arm64 static MISMATCH"
        [[ $stderr == *"$bin is linux/arm64, not linux/amd64"* ]]
}

@test "platform aliases are accepted: aarch64, arm64/v8, armhf, armel" {
        run "$CHECK_ARCH" --platform aarch64 "$(fixture busybox-arm64)"
        assert_success
        run "$CHECK_ARCH" --platform linux/arm64/v8 "$(fixture busybox-arm64)"
        assert_success
        run "$CHECK_ARCH" --platform armhf "$(fixture busybox-armhf)"
        assert_success
        run "$CHECK_ARCH" --platform armel "$(fixture busybox-armel)"
        assert_success
}

@test "arm variants: v5 runs on v7, v7 does not run on v6 or v5" {
        run "$CHECK_ARCH" --platform linux/arm/v7 "$(fixture busybox-armel)"
        assert_success
        run "$CHECK_ARCH" --platform linux/arm/v6 "$(fixture busybox-armhf)"
        assert_failure 1
        run "$CHECK_ARCH" --platform linux/arm/v5 "$(fixture busybox-armhf)"
        assert_failure 1
}

@test "dynamic arm64 program: PIE with its loader named" {
        local root
        root=$(fixture arm64-dyn)
        run "$CHECK_ARCH" --platform linux/arm64 "$root/usr/bin/hello"
        assert_success
        assert_line "$root/usr/bin/hello: linux/arm64 dynamic /lib/ld-linux-aarch64.so.1 ok"
        run "$CHECK_ARCH" --json --platform linux/arm64 "$root/usr/bin/hello"
        assert_success
        echo "$output" >"$BATS_TEST_TMPDIR/out.json"
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'd["files"][0]["kind"]') == pie ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'd["files"][0]["interp"]') == /lib/ld-linux-aarch64.so.1 ]]
}

@test "two platforms at once: a mixed tree fails for both, naming each file" {
        local dir=$BATS_TEST_TMPDIR/tree
        mkdir -p "$dir/bin" "$dir/docs"
        cp "$(fixture busybox-arm64)" "$dir/bin/arm64-tool"
        cp "$(fixture busybox-s390x)" "$dir/bin/s390x-tool"
        echo "not an elf" >"$dir/docs/README"
        ln -s /bin/true "$dir/bin/link-to-host"
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm64,linux/s390x "$dir"
        assert_failure 1
        [[ $stderr == *"$dir/bin/arm64-tool is linux/arm64, not linux/s390x"* ]]
        [[ $stderr == *"$dir/bin/s390x-tool is linux/s390x, not linux/arm64"* ]]
        # The symlink inside the tree is not followed; README is counted as non-ELF.
        assert_line --partial "2 ELF files checked against linux/arm64, linux/s390x: 0 ok, 2 mismatched; 1 non-ELF skipped"
}

@test "JSON output: schema fields, summary and exit code" {
        run "$CHECK_ARCH" --json --platform linux/amd64 "$(fixture busybox-armhf)"
        assert_failure 1
        echo "$output" >"$BATS_TEST_TMPDIR/out.json"
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'd["platforms"]') == "['linux/amd64']" ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'd["files"][0]["platform"]') == linux/arm/v7 ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'd["files"][0]["float_abi"]') == hard ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'd["files"][0]["arm_arch"]') == 7 ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'd["files"][0]["mismatches"]') == "['linux/amd64']" ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'd["summary"]["exit"]') == 1 ]]
        [[ $(json_get "$BATS_TEST_TMPDIR/out.json" 'len(d["files"][0]["build_id"])') == 40 ]]
}

@test "default platform is the host's: host binaries pass" {
        run "$CHECK_ARCH" /bin/true /usr/bin/env
        assert_success
        assert_line --partial ": 2 ok, 0 mismatched"
}

@test "unreadable path: exit 2, naming it" {
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm64 /nonexistent/file
        assert_failure 2
        [[ $stderr == *"/nonexistent/file: No such file or directory"* ]]
}

@test "truncated ELF: exit 2, named as malformed, other files still checked" {
        local dir=$BATS_TEST_TMPDIR/trunc
        mkdir -p "$dir"
        head -c 100 "$(fixture busybox-arm64)" >"$dir/cut"
        cp "$(fixture busybox-arm64)" "$dir/whole"
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm64 "$dir"
        assert_failure 2
        [[ $stderr == *"$dir/cut: malformed or truncated ELF file"* ]]
        assert_line "$dir/whole: linux/arm64 static ok"
}

@test "bad --platform: one clear line, exit 2" {
        run --separate-stderr "$CHECK_ARCH" --platform linux/vax /bin/true
        assert_failure 2
        [[ $stderr == *"--platform: unknown platform in 'linux/vax'"* ]]
}
