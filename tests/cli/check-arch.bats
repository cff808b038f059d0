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

# ---- images: OCI layout, docker-archive, registry, --manifest ------------------------------------

MAKE_IMAGE="$REPO/tests/cli/make-test-image"

# make_image OUT TAG TOOL [PLATFORMS_JSON_EXTRA]: an index with linux/arm64 (busybox base layer, then a
# second layer with /usr/local/bin/tool = TOOL) and linux/amd64 (the host's /usr/bin/true and its
# loader's absence do not matter: tests ask for arm64 unless they say otherwise).
make_image() {
        local out=$1 tag=$2 tool=$3 compression=${4:-gzip} bb
        bb=$(fixture busybox-arm64)
        "$MAKE_IMAGE" <<JSON
{"out": "$out", "tag": "$tag", "compression": "$compression", "images": [
 {"platform": "linux/arm64", "entrypoint": ["sh", "-c", "tool"], "layers": [
   [["dir", "bin"], ["file", "bin/busybox", "$bb"], ["symlink", "bin/sh", "busybox"]],
   [["dir", "usr/local/bin"], ["file", "usr/local/bin/tool", "$tool"]]]},
 {"platform": "linux/s390x", "entrypoint": ["/bin/busybox"], "layers": [
   [["file", "bin/busybox", "$(fixture busybox-s390x)"]]]}]}
JSON
}

# arm64_layer IMG N FIELD: the Nth (0-based) layer of the linux/arm64 manifest of a make_image layout:
# FIELD "digest" (the blob) or "diff_id" (from the config).
arm64_layer() {
        local img=$1 n=$2 field=$3 idx man
        idx=$img/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$img/index.json")
        man=$img/blobs/sha256/$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest[7:]' "$idx")
        if [[ $field == digest ]]; then
                jq -r ".layers[$n].digest" "$man"
        else
                jq -r ".rootfs.diff_ids[$n]" "$img/blobs/sha256/$(jq -r '.config.digest[7:]' "$man")"
        fi
}

# A free TCP port on 127.0.0.1.
free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry [HTPASSWD]: Debian's distribution registry on 127.0.0.1 with storage in the test's
# tmp dir; sets REGISTRY=127.0.0.1:PORT. Stopped by teardown.
start_registry() {
        command -v docker-registry >/dev/null || skip "docker-registry not installed (scripts/install-deps peers)"
        local dir=$BATS_TEST_TMPDIR/registry port auth=""
        port=$(free_port)
        mkdir -p "$dir/data"
        [[ -n ${1:-} ]] && auth="auth:
  htpasswd:
    realm: archway-test
    path: $1"
        cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
$auth
YAML
        docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
        REGISTRY_PID=$!
        REGISTRY=127.0.0.1:$port
        for _ in $(seq 300); do
                curl -s -o /dev/null "http://$REGISTRY/v2/" && return 0
                sleep 0.1
        done
        cat "$dir/log" >&2
        return 1
}

teardown() {
        local pid
        for pid in ${REGISTRY_PID:-} ${PROXY_PID:-}; do
                kill "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
        done
}

# The per-platform results of a --json run, minus what legitimately differs between transports (the
# top document's digest, the manifest digest, which docker-archive synthesises, and layer blob digests,
# which are compressed in a layout and not in a docker-archive; diff_ids stay).
results_of() {
        jq -S '[.images[].results[] | del(.manifest) | .problems |= map(del(.layer_digest))]' "$1"
}

@test "image: arm64 manifest with an x86_64 binary in its second layer is caught, path and layer named" {
        local img=$BATS_TEST_TMPDIR/bad diff_id
        make_image "$img" v1 /usr/bin/true
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm64 "oci:$img:v1"
        assert_failure 1
        assert_line --partial "deep_scan   FAIL  2 ELF files, 1 mismatched"
        diff_id=$(arm64_layer "$img" 1 diff_id)
        assert_line "      /usr/local/bin/tool: linux/amd64, not linux/arm64 (layer 2, ${diff_id:0:19})"
        # the entrypoint goes through PATH and the sh -> busybox symlink
        assert_line --partial "entrypoint  ok    sh -> /bin/busybox (linux/arm64)"
}

@test "image: the same image with the binary replaced passes" {
        local img=$BATS_TEST_TMPDIR/good
        make_image "$img" v1 "$(fixture busybox-arm64)"
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img:v1"
        assert_success
        assert_line --partial "deep_scan   ok    2 ELF files, 0 mismatched"
}

@test "image: zstd and uncompressed layers are read as well as gzip" {
        local c
        for c in zstd none; do
                make_image "$BATS_TEST_TMPDIR/$c" v1 /usr/bin/true "$c"
                run "$CHECK_ARCH" --platform linux/arm64 "oci:$BATS_TEST_TMPDIR/$c:v1"
                assert_failure 1
                assert_line --partial "/usr/local/bin/tool: linux/amd64, not linux/arm64 (layer 2"
        done
}

@test "image: a glibc binary in a musl root is reported by name" {
        local img=$BATS_TEST_TMPDIR/musl
        "$MAKE_IMAGE" <<JSON
{"out": "$img", "nested": false, "images": [{"platform": "linux/arm64", "entrypoint": ["/usr/bin/hello"],
 "layers": [[["tree", "$(fixture musl-arm64)"]], [["file", "usr/bin/hello", "$(fixture arm64-dyn)/usr/bin/hello"]]]}]}
JSON
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img"
        assert_failure 1
        assert_line --partial "loaders     FAIL"
        assert_line --partial "/usr/bin/hello: glibc binary: its loader /lib/ld-linux-aarch64.so.1 is missing; the image has musl's lib/ld-musl-aarch64.so.1 (layer 2"
}

@test "image: the glibc root with its loader passes the loader check" {
        local img=$BATS_TEST_TMPDIR/glibc
        "$MAKE_IMAGE" <<JSON
{"out": "$img", "nested": false, "images": [{"platform": "linux/arm64", "entrypoint": ["hello"],
 "env": ["PATH=/usr/bin"], "layers": [[["tree", "$(fixture arm64-dyn)"]]]}]}
JSON
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img"
        assert_success
        assert_line --partial "loaders     ok    glibc /lib/ld-linux-aarch64.so.1"
        assert_line --partial "entrypoint  ok    hello -> /usr/bin/hello (linux/arm64)"
}

@test "image: an index without linux/arm64 is reported with what it contains" {
        local img=$BATS_TEST_TMPDIR/noarm
        "$MAKE_IMAGE" <<JSON
{"out": "$img", "tag": "v1", "images": [
 {"platform": "linux/s390x", "layers": [[["file", "bin/busybox", "$(fixture busybox-s390x)"]]]},
 {"platform": "linux/arm/v7", "layers": [[["file", "bin/busybox", "$(fixture busybox-armhf)"]]]}]}
JSON
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img:v1"
        assert_failure 1
        assert_line --partial "index       FAIL  no manifest for linux/arm64; the index has: linux/s390x, linux/arm/v7"
        # arm/v6 is not served by an arm/v7 manifest; arm/v7 is
        run "$CHECK_ARCH" --platform linux/arm/v6 "oci:$img:v1"
        assert_failure 1
        run "$CHECK_ARCH" --platform linux/arm/v7,linux/s390x "oci:$img:v1"
        assert_success
}

@test "image: a config that contradicts its index entry fails check 2" {
        local img=$BATS_TEST_TMPDIR/liar
        "$MAKE_IMAGE" <<JSON
{"out": "$img", "images": [{"platform": "linux/arm64", "config_platform": "linux/amd64",
 "layers": [[["file", "bin/busybox", "$(fixture busybox-arm64)"]]]}]}
JSON
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img:latest"
        assert_failure 1
        assert_line --partial "config      FAIL  config says linux/amd64, not linux/arm64"
}

@test "image: whiteouts and opaque directories hide lower files from the deep scan" {
        local img=$BATS_TEST_TMPDIR/wh
        "$MAKE_IMAGE" <<JSON
{"out": "$img", "images": [{"platform": "linux/arm64", "layers": [
 [["file", "bin/busybox", "$(fixture busybox-arm64)"], ["file", "opt/x86/tool", "/usr/bin/true"],
  ["file", "usr/local/bin/gone", "/usr/bin/true"]],
 [["whiteout", "usr/local/bin/gone"], ["opaque", "opt/x86"], ["data", "opt/x86/README", "hi"]],
 [["file", "usr/local/bin/gone2", "/usr/bin/true"]],
 [["whiteout", "usr/local/bin/gone2"]]]}]}
JSON
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img:latest"
        assert_success
        assert_line --partial "deep_scan   ok    1 ELF file, 0 mismatched"
}

@test "image: --quick reads only index and config" {
        local img=$BATS_TEST_TMPDIR/bad
        make_image "$img" v1 /usr/bin/true
        run "$CHECK_ARCH" --quick --platform linux/arm64 "oci:$img:v1"
        assert_success
        assert_line --partial "deep_scan   -"
}

@test "image: the same image from an OCI layout, a docker-archive and the loopback registry gives identical results" {
        command -v skopeo >/dev/null || skip "skopeo not installed"
        local img=$BATS_TEST_TMPDIR/bad d=$BATS_TEST_TMPDIR
        make_image "$img" v1 /usr/bin/true
        start_registry
        skopeo copy -q --all --dest-tls-verify=false "oci:$img:v1" "docker://$REGISTRY/test/bad:v1"
        skopeo --override-arch arm64 copy -q "oci:$img:v1" "docker-archive:$d/bad.tar:test/bad:v1"
        run "$CHECK_ARCH" --json --platform linux/arm64 "oci:$img:v1"
        assert_failure 1
        echo "$output" >"$d/oci.json"
        run "$CHECK_ARCH" --json --platform linux/arm64 "docker-archive:$d/bad.tar"
        assert_failure 1
        echo "$output" >"$d/archive.json"
        run "$CHECK_ARCH" --json --insecure --platform linux/arm64 "docker://$REGISTRY/test/bad:v1"
        assert_failure 1
        echo "$output" >"$d/registry.json"
        # the docker-archive holds one image, so its index check is "skipped"; the rest must agree
        diff <(results_of "$d/oci.json") <(results_of "$d/registry.json")
        diff <(results_of "$d/oci.json" | jq 'map(del(.checks.index))') \
             <(results_of "$d/archive.json" | jq 'map(del(.checks.index))')
        [[ $(jq -r '.images[0].results[0].problems[0].path' "$d/registry.json") == /usr/local/bin/tool ]]
        [[ $(jq -r '.images[0].results[0].problems[0].layer' "$d/registry.json") == 1 ]]
}

@test "image: registry by digest, and a missing tag is an input error (exit 2)" {
        command -v skopeo >/dev/null || skip "skopeo not installed"
        local img=$BATS_TEST_TMPDIR/good digest
        make_image "$img" v1 "$(fixture busybox-arm64)"
        start_registry
        skopeo copy -q --all --dest-tls-verify=false "oci:$img:v1" "docker://$REGISTRY/test/good:v1"
        digest=$(jq -r '.manifests[0].digest' "$img/index.json")
        run "$CHECK_ARCH" --insecure --platform linux/arm64 "docker://$REGISTRY/test/good@$digest"
        assert_success
        run --separate-stderr "$CHECK_ARCH" --insecure --platform linux/arm64 "docker://$REGISTRY/test/good:nope"
        assert_failure 2
        [[ $stderr == *"MANIFEST_UNKNOWN"* ]]
        # plain HTTP is refused for anything but loopback
        run --separate-stderr "$CHECK_ARCH" --insecure --platform linux/arm64 "docker://registry.example.org/x:y"
        assert_failure 2
        [[ $stderr == *"allowed only for a loopback registry, not registry.example.org"* ]]
}

@test "image: registry with basic auth, credentials from a docker config.json" {
        command -v htpasswd >/dev/null || skip "htpasswd not installed (apache2-utils, scripts/install-deps peers)"
        command -v skopeo >/dev/null || skip "skopeo not installed"
        local img=$BATS_TEST_TMPDIR/good d=$BATS_TEST_TMPDIR
        make_image "$img" v1 "$(fixture busybox-arm64)"
        htpasswd -Bbc "$d/htpasswd" tester s3cret
        start_registry "$d/htpasswd"
        skopeo copy -q --all --dest-tls-verify=false --dest-creds tester:s3cret "oci:$img:v1" "docker://$REGISTRY/test/auth:v1"
        echo '{"auths":{}}' >"$d/config.json"
        run --separate-stderr "$CHECK_ARCH" --insecure --authfile "$d/config.json" --platform linux/arm64 "docker://$REGISTRY/test/auth:v1"
        assert_failure 2
        [[ $stderr == *"needs credentials (Basic)"* ]]
        printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGISTRY" "$(printf tester:s3cret | base64)" >"$d/config.json"
        run "$CHECK_ARCH" --insecure --authfile "$d/config.json" --platform linux/arm64 "docker://$REGISTRY/test/auth:v1"
        assert_success
        printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGISTRY" "$(printf tester:wrong | base64)" >"$d/config.json"
        run --separate-stderr "$CHECK_ARCH" --insecure --authfile "$d/config.json" --platform linux/arm64 "docker://$REGISTRY/test/auth:v1"
        assert_failure 2
        [[ $stderr == *"refused ours"* || $stderr == *"HTTP 401"* ]]
}

@test "image: --manifest reads labels only, from a file or stdin" {
        local img=$BATS_TEST_TMPDIR/noarm idx
        "$MAKE_IMAGE" <<JSON
{"out": "$img", "images": [
 {"platform": "linux/s390x", "layers": [[["file", "bin/busybox", "$(fixture busybox-s390x)"]]]},
 {"platform": "linux/arm64", "layers": [[["file", "bin/busybox", "/usr/bin/true"]]]}]}
JSON
        idx=$img/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$img/index.json")
        run "$CHECK_ARCH" --manifest "$idx" --platform linux/arm64,linux/s390x
        assert_success
        assert_line --partial "labels only"
        run "$CHECK_ARCH" --manifest - --platform linux/amd64 <"$idx"
        assert_failure 1
        assert_line --partial "no manifest for linux/amd64; the index has: linux/s390x, linux/arm64"
        run "$CHECK_ARCH" --json --manifest "$idx" --platform linux/arm64
        [[ $(jq -r '.images[0].labels_only' <<<"$output") == true ]]
        [[ $(jq -r '.images[0].results[0].checks.deep_scan.state' <<<"$output") == skipped ]]
}

@test "image: JSON output follows the documented schema" {
        local img=$BATS_TEST_TMPDIR/bad
        make_image "$img" v1 /usr/bin/true
        run "$CHECK_ARCH" --json --platform linux/arm64 "oci:$img:v1"
        assert_failure 1
        jq -e '.platforms == ["linux/arm64"] and .summary.exit == 1 and .summary.images == 1
               and (.images[0] | .transport == "oci" and .labels_only == false and (.digest | startswith("sha256:"))
                    and .available == ["linux/arm64", "linux/s390x"])
               and (.images[0].results[0] | .platform == "linux/arm64" and .ok == false
                    and .checks.index.state == "ok" and .checks.deep_scan.state == "fail"
                    and .checks.host.state == "info" and .elf == 2 and .mismatched == 1
                    and .problems[0].check == "deep_scan" and .problems[0].have == "linux/amd64"
                    and (.problems[0].diff_id | startswith("sha256:")))' <<<"$output"
}

# ---- hostile input ---------------------------------------------------------------------------------

@test "hostile: a layer that does not match its digest is an input error" {
        local img=$BATS_TEST_TMPDIR/corrupt
        "$MAKE_IMAGE" <<JSON
{"out": "$img", "corrupt_layer": [0, 0], "images": [{"platform": "linux/arm64",
 "layers": [[["file", "bin/busybox", "$(fixture busybox-arm64)"]]]}]}
JSON
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm64 "oci:$img:latest"
        assert_failure 2
        [[ $stderr == *"layer 0 (sha256:"*") is a damaged or truncated compressed stream"* ||
           $stderr == *"layer 0 (sha256:"*") does not match its digest"* ]]
}

@test "hostile: tar entries with .. or an absolute path are refused by name" {
        local name
        for name in ../../etc/evil /etc/evil usr/../../evil; do
                rm -rf "$BATS_TEST_TMPDIR/evil"
                "$MAKE_IMAGE" <<JSON
{"out": "$BATS_TEST_TMPDIR/evil", "images": [{"platform": "linux/arm64", "layers": [[["data", "$name", "x"]]]}]}
JSON
                run --separate-stderr "$CHECK_ARCH" --platform linux/arm64 "oci:$BATS_TEST_TMPDIR/evil:latest"
                assert_failure 2
                [[ $stderr == *"refused entry '$name'"* ]]
        done
}

@test "hostile: malformed index.json, truncated layers and missing blobs are input errors, not crashes" {
        local img=$BATS_TEST_TMPDIR/h blob
        make_image "$img" v1 "$(fixture busybox-arm64)"
        cp "$img/index.json" "$BATS_TEST_TMPDIR/index.ok"
        printf '{"schemaVersion": 2, "manifests": [' >"$img/index.json"
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img:v1"
        assert_failure 2
        printf '{"schemaVersion": 2, "manifests": [{"mediaType": "x", "digest": "sha256:zz", "size": -1}]}' >"$img/index.json"
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img:v1"
        assert_failure 2
        cp "$BATS_TEST_TMPDIR/index.ok" "$img/index.json"
        # truncate the arm64 busybox layer
        blob=$img/blobs/sha256/$(arm64_layer "$img" 0 digest | cut -c8-)
        truncate -s 100000 "$blob"
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm64 "oci:$img:v1"
        assert_failure 2
        rm "$blob"
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm64 "oci:$img:v1"
        assert_failure 2
        [[ $stderr == *"No such file"* ]]
}

@test "hostile: a symlink loop at the entrypoint is reported, not followed forever" {
        local img=$BATS_TEST_TMPDIR/loop
        "$MAKE_IMAGE" <<JSON
{"out": "$img", "images": [{"platform": "linux/arm64", "entrypoint": ["/bin/a"],
 "layers": [[["symlink", "bin/a", "b"], ["symlink", "bin/b", "/bin/a"], ["file", "bin/busybox", "$(fixture busybox-arm64)"]]]}]}
JSON
        run "$CHECK_ARCH" --platform linux/arm64 "oci:$img:latest"
        assert_failure 1
        assert_line --partial "/bin/a: symlink loop"
}

@test "image: a two-platform index built by buildah is checked per platform" {
        command -v buildah >/dev/null || skip "buildah not installed"
        local d=$BATS_TEST_TMPDIR/buildah c
        local -a B=(buildah --root "$d/root" --runroot "$d/run" --storage-driver vfs)
        c=$("${B[@]}" from --arch arm64 scratch)
        "${B[@]}" copy -q "$c" "$(fixture busybox-arm64)" /bin/busybox
        "${B[@]}" config --arch arm64 --os linux --entrypoint '["/bin/busybox"]' "$c"
        "${B[@]}" commit -q "$c" img-arm64 >/dev/null
        c=$("${B[@]}" from --arch amd64 scratch)
        "${B[@]}" copy -q "$c" /usr/bin/true /bin/true
        "${B[@]}" copy -q "$c" "$(readlink -f /lib64/ld-linux-x86-64.so.2)" /lib64/ld-linux-x86-64.so.2
        "${B[@]}" config --arch amd64 --os linux --entrypoint '["/bin/true"]' "$c"
        "${B[@]}" commit -q "$c" img-amd64 >/dev/null
        "${B[@]}" manifest create list >/dev/null
        "${B[@]}" manifest add list img-arm64 >/dev/null
        "${B[@]}" manifest add list img-amd64 >/dev/null
        "${B[@]}" manifest push -q --all list "oci:$d/out:v1"
        run "$CHECK_ARCH" --platform linux/arm64,linux/amd64 "oci:$d/out:v1"
        assert_success
        assert_line --partial "entrypoint  ok    /bin/busybox -> /bin/busybox (linux/arm64)"
        assert_line --partial "loaders     ok    glibc /lib64/ld-linux-x86-64.so.2"
        # buildah's arm64 image has no arm/v7 manifest
        run "$CHECK_ARCH" --platform linux/arm/v7 "oci:$d/out:v1"
        assert_failure 1
        assert_line --partial "the index has: linux/arm64, linux/amd64"
}

@test "image: registry behind bearer-token auth (WWW-Authenticate realm/service/scope)" {
        command -v skopeo >/dev/null || skip "skopeo not installed"
        local img=$BATS_TEST_TMPDIR/bad d=$BATS_TEST_TMPDIR port
        make_image "$img" v1 /usr/bin/true
        start_registry
        skopeo copy -q --all --dest-tls-verify=false "oci:$img:v1" "docker://$REGISTRY/test/tok:v1"
        port=$(free_port)
        "$REPO/tests/cli/token-proxy" "$port" "http://$REGISTRY" tester:s3cret >"$d/proxy.log" 2>&1 &
        PROXY_PID=$!
        for _ in $(seq 300); do grep -q ready "$d/proxy.log" && break; sleep 0.1; done
        echo '{"auths":{}}' >"$d/none.json"
        run --separate-stderr "$CHECK_ARCH" --insecure --authfile "$d/none.json" --platform linux/arm64 "docker://127.0.0.1:$port/test/tok:v1"
        assert_failure 2
        printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}' "$port" "$(printf tester:s3cret | base64)" >"$d/config.json"
        run "$CHECK_ARCH" --insecure --authfile "$d/config.json" --platform linux/arm64 "docker://127.0.0.1:$port/test/tok:v1"
        assert_failure 1
        assert_line --partial "/usr/local/bin/tool: linux/amd64, not linux/arm64 (layer 2"
}

@test "image: docker-archive members that are symlinks (docker save's repeated layers) are followed" {
        command -v skopeo >/dev/null || skip "skopeo not installed"
        local img=$BATS_TEST_TMPDIR/bad d=$BATS_TEST_TMPDIR/da first
        make_image "$img" v1 /usr/bin/true
        skopeo --override-arch arm64 copy -q "oci:$img:v1" "docker-archive:$BATS_TEST_TMPDIR/a.tar:test/bad:v1"
        mkdir "$d" && tar -C "$d" -xf "$BATS_TEST_TMPDIR/a.tar"
        first=$(jq -r '.[0].Layers[0]' "$d/manifest.json")
        mkdir "$d/linked" && ln -s "../$first" "$d/linked/layer.tar"
        jq '.[0].Layers[0] = "linked/layer.tar"' "$d/manifest.json" >"$d/m" && mv "$d/m" "$d/manifest.json"
        tar -C "$d" -cf "$BATS_TEST_TMPDIR/linked.tar" .
        run "$CHECK_ARCH" --platform linux/arm64 "docker-archive:$BATS_TEST_TMPDIR/linked.tar"
        assert_failure 1
        assert_line --partial "/usr/local/bin/tool: linux/amd64, not linux/arm64 (layer 2"
        assert_line --partial "entrypoint  ok    sh -> /bin/busybox (linux/arm64)"
}
