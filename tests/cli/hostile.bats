#!/usr/bin/env bats
# Hostile input, one test per finding of the security review (docs/security.md): poisoned layers,
# registries that redirect, stall, lie and name far-away realms, expansion bombs, symlinks out of the
# build context, lying descriptors and media types. Inputs are generated here; the hostile registry
# (tests/cli/evil-registry) runs with its client in a network namespace that has only loopback, so
# nothing a test does can leave the machine even if a check were broken.

load helpers

MAKE_IMAGE="$REPO/tests/cli/make-test-image"
EVIL="$REPO/tests/cli/evil-registry"

setup() {
        [[ -x $CHECK_ARCH && -x $ARCHBUILD ]] || skip "check-arch and archbuild not built"
        T=$BATS_TEST_TMPDIR
        # The registry's port: each test runs in its own network namespace, so any port is free.
        PORT=5000
}

# img OUT JSON_IMAGE: a one-image OCI layout (make-test-image spec of the image).
img() {
        "$MAKE_IMAGE" <<<"{\"out\": \"$1\", \"nested\": false, \"images\": [$2]}"
}

busybox_image() {
        img "$1" "{\"platform\": \"linux/arm64\", \"layers\": [[[\"file\", \"bin/busybox\", \"$(fixture busybox-arm64)\"]]]}"
}

# evil REGISTRY_OPTIONS -- CHECK_ARCH_OPTIONS: check-arch against the hostile registry serving $T/img
# (as 127.0.0.1:$PORT/evil/img:latest), both in a fresh network namespace with only loopback up.
# Requests are logged to $T/log.
evil() {
        local reg=()
        while [[ $1 != -- ]]; do reg+=("$1"); shift; done
        shift
        in_evil_netns "${reg[*]}" "$CHECK_ARCH" --platform linux/arm64 --insecure \
                "docker://127.0.0.1:$PORT/evil/img:latest" "$@"
}

# in_evil_netns "REGISTRY_OPTIONS" COMMAND...: COMMAND with the hostile registry, in a network namespace.
in_evil_netns() {
        : >"$T/log"
        EVIL_ARGS=$1 EVIL=$EVIL PORT=$PORT T=$T unshare --net bash -c '
                ip link set lo up
                coproc SERVER { exec "$EVIL" "$PORT" "$T/img" "$T/log" $EVIL_ARGS; }
                read -r ready <&"${SERVER[0]}"
                [[ $ready == ready ]] || exit 99
                timeout -s KILL 120 "$@"
                rc=$?
                kill "$SERVER_PID"
                exit $rc' _ "${@:2}"
}

# An auth file with credentials for the hostile registry.
authfile() {
        printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}' "$PORT" "$(printf user:secret | base64)" >"$T/auth.json"
}

# ---- 1. store poisoning ------------------------------------------------------------------------------

@test "1. a layer whose bytes do not hash to its diff_id is refused, and never poisons the store" {
        local trusted diff
        img "$T/trusted" '{"platform": "linux/amd64", "layers": [[["data", "etc/who", "trusted"]]]}'
        diff=$(jq -r .rootfs.diff_ids[0] "$T/trusted/blobs/sha256/$(jq -r .config.digest[7:] \
                "$T/trusted/blobs/sha256/$(jq -r .manifests[0].digest[7:] "$T/trusted/index.json")")")
        img "$T/evil" "{\"platform\": \"linux/amd64\", \"diff_ids\": [\"$diff\"], \"layers\": [[[\"data\", \"etc/who\", \"evil\"]]]}"
        "$ARCHBUILD" merge --store "$T/store" -t t/trusted:1 "oci:$T/trusted" >/dev/null
        "$ARCHBUILD" merge --store "$T/store" -t t/evil:1 "oci:$T/evil" >/dev/null
        # The evil image first: its layer must not be filed under the trusted diff_id.
        mkdir "$T/ctx"
        printf 'FROM t/evil:1\nCOPY Dockerfile /x\n' >"$T/ctx/Dockerfile"
        run --separate-stderr "$ARCHBUILD" --store "$T/store" --platform linux/amd64 "$T/ctx"
        assert_failure 1
        [[ $stderr == *"t/evil:1"*"does not unpack to the diff_id its image config names (expected $diff, got sha256:"* ]]
        [[ ! -e $T/store/layers/${diff#sha256:} ]]
        # A build that reads the trusted image sees the trusted file.
        printf 'FROM scratch\nCOPY --from=t/trusted:1 /etc/who /seen\n' >"$T/ctx/Dockerfile"
        run "$ARCHBUILD" --store "$T/store" --platform linux/amd64 -o "type=oci,dest=$T/out" "$T/ctx"
        assert_success
        skopeo copy -q "oci:$T/out" "oci:$T/sel:x"
        umoci unpack --image "$T/sel:x" "$T/unpacked" >/dev/null
        [[ $(cat "$T/unpacked/rootfs/seen") == trusted ]]
        # check-arch refuses the lying image as well.
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64 "oci:$T/evil"
        assert_failure 2
        [[ $stderr == *"does not unpack to the diff_id its image config names"* ]]
}

# ---- 2. credentials and redirects ------------------------------------------------------------------

@test "2. a realm on another host gets an anonymous token request; credentials stay home" {
        busybox_image "$T/img"
        printf '{"auths": {}}' >"$T/auth.json"
        run evil --auth otherhost -- --authfile "$T/auth.json"
        assert_success
        run jq -rs 'map(select(.host == "127.0.0.2" and (.path // "" | startswith("/token")))) | length' "$T/log"
        [[ $output -ge 1 ]]
        run jq -rs 'map(select(.host == "127.0.0.2" and .authorization != null)) | length' "$T/log"
        assert_output 0
}

@test "2. with credentials saved, a realm on another host still never sees them" {
        busybox_image "$T/img"
        authfile
        run evil --auth otherhost -- --authfile "$T/auth.json"
        assert_success
        run jq -rs 'map(select(.host == "127.0.0.2" and (.path // "" | startswith("/token")))) | length' "$T/log"
        [[ $output -ge 1 ]]
        run jq -rs 'map(select(.host == "127.0.0.2" and .authorization != null)) | length' "$T/log"
        assert_output 0
        # and the same-host realm does get them (the test is not vacuous)
        run evil --auth samehost -- --authfile "$T/auth.json"
        assert_success
        run jq -rs 'map(select((.path // "" | startswith("/token")) and (.authorization // "" | startswith("Basic ")))) | length' "$T/log"
        [[ $output -ge 1 ]]
}

@test "2. a redirect to another origin carries no credentials" {
        busybox_image "$T/img"
        run evil --auth samehost --redirect otherhost --
        assert_success
        run jq -rs 'map(select(.host == "127.0.0.2" and (.path // "" | startswith("/storage/")))) | length' "$T/log"
        [[ $output -ge 1 ]]
        run jq -rs 'map(select(.host == "127.0.0.2" and .authorization != null)) | length' "$T/log"
        assert_output 0
}

@test "2. plain-http redirects and realms off loopback are refused before any connection" {
        busybox_image "$T/img"
        run --separate-stderr evil --redirect public-http --
        assert_failure 2
        [[ $stderr == *"refused to follow the redirect to http://203.0.113.7/"*"plain HTTP"* ]]
        run --separate-stderr evil --auth http-public --
        assert_failure 2
        [[ $stderr == *"Refused the token realm http://203.0.113.7/token"* ]]
        run --separate-stderr evil --redirect loop --
        assert_failure 2
        [[ $stderr == *"more than 5 redirects"* ]]
}

@test "2. archbuild's pulls follow the same policy" {
        busybox_image "$T/img"
        mkdir "$T/ctx"
        printf 'FROM 127.0.0.1:%s/evil/img:latest\n' "$PORT" >"$T/ctx/Dockerfile"
        run --separate-stderr in_evil_netns "--redirect public-http" "$ARCHBUILD" --store "$T/store" --insecure \
                --platform linux/arm64 "$T/ctx"
        assert_failure 1
        [[ $stderr == *"refused to follow the redirect to http://203.0.113.7/"* ]]
        run --separate-stderr in_evil_netns "--auth samehost --redirect otherhost" "$ARCHBUILD" --store "$T/store" \
                --insecure --platform linux/arm64 "$T/ctx"
        assert_success
        run jq -rs 'map(select(.host == "127.0.0.2" and .authorization != null)) | length' "$T/log"
        assert_output 0
        run --separate-stderr in_evil_netns "--blob trickle" "$ARCHBUILD" --store "$T/store2" --insecure \
                --limit request-seconds=3 --platform linux/arm64 "$T/ctx"
        assert_failure 1
}

# ---- 3. time ------------------------------------------------------------------------------------------

@test "3. a registry that trickles bytes or never answers hits the request deadline" {
        busybox_image "$T/img"
        run --separate-stderr evil --blob trickle -- --limit request-seconds=3
        assert_failure 2
        [[ $stderr == *"Timeout was reached"* || $stderr == *"timed out"* ]]
        run --separate-stderr evil --blob stall -- --limit request-seconds=3
        assert_failure 2
        run --separate-stderr evil --blob stall -- --limit pull-seconds=2
        assert_failure 2
}

@test "3. a blob larger than its descriptor stops as soon as it passes the size" {
        busybox_image "$T/img"
        run --separate-stderr evil --blob oversize --
        assert_failure 2
        # the server got to send at most a few MiB of its 64 MiB surplus before the client hung up
        sent=$(jq -rs 'map(select(.sent != null) | .sent) | max' "$T/log")
        [[ $sent -lt $((16 * 1024 * 1024)) ]]
}

# ---- 4. what a layer expands to ---------------------------------------------------------------------

@test "4. a small gzip of many zeros stops at the layer-bytes limit (check-arch, archbuild import)" {
        img "$T/bomb" '{"platform": "linux/amd64", "layers": [[["zeros", "zeros", 268435456]]]}'
        [[ $(du -sk "$T/bomb" | cut -f1) -lt 2048 ]]
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64 --limit layer-bytes=16M "oci:$T/bomb"
        assert_failure 2
        [[ $stderr == *"unpacks to more bytes than the layer-bytes limit"* ]]
        python3 -c 'import tarfile,io,gzip,sys
class Z(io.RawIOBase):
    def __init__(s, n): s.n = n
    def read(s, k=-1):
        k = s.n if k < 0 else min(k, s.n); s.n -= k; return b"\0" * k
with gzip.open(sys.argv[1], "wb") as g, tarfile.open(fileobj=g, mode="w") as t:
    i = tarfile.TarInfo("zeros"); i.size = 268435456; t.addfile(i, Z(i.size))' "$T/bomb.tar.gz"
        run --separate-stderr "$ARCHBUILD" import --store "$T/store" --limit layer-bytes=16M --platform linux/amd64 \
                "$T/bomb.tar.gz" t/bomb:1
        assert_failure
        [[ $stderr == *"unpacks to more bytes than the layer-bytes limit"* ]]
        # nothing half-written stays behind
        [[ -z $(ls -A "$T/store/tmp") && -z $(ls -A "$T/store/layers") ]]
}

@test "4. entries per layer are bounded (check-arch, archbuild import)" {
        img "$T/many" '{"platform": "linux/amd64", "layers": [[["many", "d", 5000]]]}'
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64 --limit layer-entries=1000 "oci:$T/many"
        assert_failure 2
        [[ $stderr == *"has more than 1000 entries (the layer-entries limit)"* ]]
        run "$CHECK_ARCH" --platform linux/amd64 --limit layer-entries=10000 "oci:$T/many"
        assert_success
        blob=$(ls -S "$T/many/blobs/sha256" | head -1)
        run --separate-stderr "$ARCHBUILD" import --store "$T/store" --limit layer-entries=1000 --platform linux/amd64 \
                "$T/many/blobs/sha256/$blob" t/many:1
        assert_failure
        [[ $stderr == *"layer-entries"* ]]
}

@test "4. a sparse file counts by the size it unpacks to, not by its bytes in the tar" {
        command -v tar >/dev/null || skip "no GNU tar"
        mkdir "$T/sp"
        truncate -s 9G "$T/sp/hole"
        tar --sparse -C "$T/sp" -czf "$T/sparse.tar.gz" hole
        [[ $(stat -c %s "$T/sparse.tar.gz") -lt 65536 ]]
        run --separate-stderr timeout 60 "$ARCHBUILD" import --store "$T/store" --platform linux/amd64 "$T/sparse.tar.gz" t/sp:1
        assert_failure 1
        [[ $stderr == *"unpacks to more bytes than the layer-bytes limit"* ]]
}

@test "4. the model of an image is bounded (model-bytes)" {
        img "$T/many" '{"platform": "linux/amd64", "layers": [[["many", "d", 5000]]]}'
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64 --limit model-bytes=64K "oci:$T/many"
        assert_failure 2
        [[ $stderr == *"model-bytes"* ]]
}

# ---- 5. descriptor sizes of local blobs -------------------------------------------------------------

@test "5. a local blob is never read past its descriptor's size" {
        local blob
        busybox_image "$T/img"
        # the layer blob becomes 10 GiB (a hole: costs no disk), the descriptor still says its size
        blob=$(jq -r '.layers[0].digest[7:]' "$T/img/blobs/sha256/$(jq -r .manifests[0].digest[7:] "$T/img/index.json")")
        truncate -s 10G "$T/img/blobs/sha256/$blob"
        run --separate-stderr timeout 60 "$CHECK_ARCH" --platform linux/arm64 "oci:$T/img"
        assert_failure 2
        [[ $stderr == *"does not have the size its descriptor says"* ]]
        run --separate-stderr timeout 60 "$ARCHBUILD" merge --store "$T/store" -t t/x:1 "oci:$T/img"
        assert_failure
        [[ $stderr == *"does not have the size its descriptor says"* ]]
        [[ -z $(find "$T/store/oci/blobs" -size +1M) ]]
}

# ---- 6. the build context ---------------------------------------------------------------------------

@test "6. a Dockerfile or .dockerignore symlinked out of the context is not read" {
        mkdir "$T/ctx"
        printf 'SECRET-LINE-1 do not print\n' >"$T/secret"
        ln -s "$T/secret" "$T/ctx/Dockerfile"
        run --separate-stderr "$ARCHBUILD" --store "$T/store" --platform linux/amd64 "$T/ctx"
        assert_failure 2
        [[ $stderr == *"symlink that leads out of the build context"* && $stderr != *SECRET* ]]
        # -f naming a path inside the context that is such a symlink: the same
        run --separate-stderr "$ARCHBUILD" --store "$T/store" --platform linux/amd64 -f "$T/ctx/Dockerfile" "$T/ctx"
        assert_failure 2
        [[ $stderr != *SECRET* ]]
        # .dockerignore
        rm "$T/ctx/Dockerfile"
        printf 'FROM scratch\nCOPY Dockerfile /x\n' >"$T/ctx/Dockerfile"
        ln -s "$T/secret" "$T/ctx/.dockerignore"
        run --separate-stderr "$ARCHBUILD" --store "$T/store" --platform linux/amd64 "$T/ctx"
        assert_failure 1
        [[ $stderr == *".dockerignore is a symlink that leads out of the build context"* && $stderr != *SECRET* ]]
        # a symlink that stays inside the context is fine
        rm "$T/ctx/.dockerignore"
        mv "$T/ctx/Dockerfile" "$T/ctx/real.Dockerfile"
        ln -s real.Dockerfile "$T/ctx/Dockerfile"
        run "$ARCHBUILD" --store "$T/store" --platform linux/amd64 "$T/ctx"
        assert_success
}

# ---- 7. Dockerfile expansion ------------------------------------------------------------------------

@test "7. deeply nested and explosive substitutions fail with a line, not a crash or gigabytes" {
        mkdir "$T/ctx"
        python3 -c 'import sys; n = 20000; sys.stdout.write("FROM scratch\nARG a\nENV X=" + "${a:-" * n + "x" + "}" * n + "\n")' \
                >"$T/ctx/Dockerfile"
        run --separate-stderr "$ARCHBUILD" --store "$T/store" --platform linux/amd64 "$T/ctx"
        [[ $status -eq 1 ]]
        [[ $stderr == *"Dockerfile:3"*"expansion-depth"* ]]
        python3 -c 'import sys; sys.stdout.write("FROM scratch\nARG B=" + "x" * 1000000 + "\nENV X=\"" + "$B" * 1000 + "\"\n")' \
                >"$T/ctx/Dockerfile"
        run --separate-stderr "$ARCHBUILD" --store "$T/store" --platform linux/amd64 "$T/ctx"
        [[ $status -eq 1 ]]
        [[ $stderr == *"Dockerfile:3"*"expansion-bytes"* ]]
}

# ---- 8. media types, blob symlinks, PT_INTERP, hardlinks across layers ------------------------------

@test "8. unknown layer media types and compression that does not match the media type are refused" {
        img "$T/odd" '{"platform": "linux/amd64", "media_types": ["application/vnd.example.not-a-layer"], "layers": [[["data", "a", "x"]]]}'
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64 "oci:$T/odd"
        assert_failure 2
        [[ $stderr == *"has a media type that is not an image layer type"* ]]
        run --separate-stderr "$ARCHBUILD" merge --store "$T/store" -t t/odd:1 "oci:$T/odd"
        assert_failure
        [[ $stderr == *"which is not an image layer type"* ]]
        img "$T/plain" '{"platform": "linux/amd64", "stored": ["none"], "layers": [[["data", "a", "x"]]]}'
        run --separate-stderr "$CHECK_ARCH" --platform linux/amd64 "oci:$T/plain"
        assert_failure 2
        [[ $stderr == *"is not compressed the way its media type says"* ]]
}

@test "8. a blob that is a symlink is not followed" {
        local blob
        busybox_image "$T/img"
        blob=$(jq -r '.layers[0].digest[7:]' "$T/img/blobs/sha256/$(jq -r .manifests[0].digest[7:] "$T/img/index.json")")
        mv "$T/img/blobs/sha256/$blob" "$T/elsewhere"
        ln -s "$T/elsewhere" "$T/img/blobs/sha256/$blob"
        run --separate-stderr "$CHECK_ARCH" --platform linux/arm64 "oci:$T/img"
        assert_failure 2
        [[ $stderr == *"symbolic link"* ]]
}

@test "8. a PT_INTERP without its NUL is not 'ok': check-arch and archbuild's foreign check refuse it" {
        cp /bin/true "$T/nonul"
        python3 - "$T/nonul" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", d, 0x20)
size, n = struct.unpack_from("<HH", d, 0x36)
for i in range(n):
    o = phoff + i * size
    if struct.unpack_from("<I", d, o)[0] == 3:  # PT_INTERP
        off, = struct.unpack_from("<Q", d, o + 8)
        filesz, = struct.unpack_from("<Q", d, o + 32)
        d[off + filesz - 1] = ord("X")
open(sys.argv[1], "wb").write(d)
EOF
        run "$T/nonul"
        assert_failure 126 # the kernel: exec format error
        img "$T/i" "{\"platform\": \"linux/amd64\", \"layers\": [[[\"file\", \"bin/x\", \"$T/nonul\"]]]}"
        run "$CHECK_ARCH" --platform linux/amd64 "oci:$T/i"
        assert_failure 1
        assert_output --partial "/bin/x: malformed ELF file"
        mkdir "$T/ctx"
        cp "$T/nonul" "$T/ctx/x"
        printf 'FROM scratch\nCOPY x /x\n' >"$T/ctx/Dockerfile"
        run --separate-stderr "$ARCHBUILD" --store "$T/store" --platform linux/amd64 "$T/ctx"
        assert_failure 1
        [[ $stderr == *"/x is a malformed ELF"* ]]
}

@test "8. a hardlink to a file of an earlier layer unpacks (copied up, as containerd does)" {
        img "$T/hl" '{"platform": "linux/amd64", "layers": [[["data", "usr/a", "from layer 0"]], [["hardlink", "usr/b", "usr/a"]]]}'
        "$ARCHBUILD" merge --store "$T/store" -t t/hl:1 "oci:$T/hl" >/dev/null
        mkdir "$T/ctx"
        printf 'FROM scratch\nCOPY --from=t/hl:1 /usr/b /b\n' >"$T/ctx/Dockerfile"
        run "$ARCHBUILD" --store "$T/store" --platform linux/amd64 -o "type=oci,dest=$T/out" "$T/ctx"
        assert_success
        skopeo copy -q "oci:$T/out" "oci:$T/sel:x"
        umoci unpack --image "$T/sel:x" "$T/unpacked" >/dev/null
        [[ $(cat "$T/unpacked/rootfs/b") == "from layer 0" ]]
        run "$CHECK_ARCH" --platform linux/amd64 "oci:$T/hl"
        assert_success
}
