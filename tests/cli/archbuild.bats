#!/usr/bin/env bats
# archbuild end to end: a busybox base made from Debian's busybox-static (scripts/make-base-image),
# builds for linux/amd64 and linux/arm64 (arm64 RUN steps emulated through the build's private
# binfmt_misc instance), outputs read back by skopeo and umoci, a loopback registry, refusals,
# failures and the layout staying valid when a build is killed.

load helpers

setup_file() {
        export STORE="$BATS_FILE_TMPDIR/store"
        [[ -x $ARCHBUILD ]] || return 0
        ARCHBUILD=$ARCHBUILD "$REPO/scripts/make-base-image" --platform linux/arm64 --store "$STORE" test/base:bb >/dev/null 2>&1 || true
        ARCHBUILD=$ARCHBUILD "$REPO/scripts/make-base-image" --platform linux/amd64 --store "$STORE" test/base:bb >/dev/null 2>&1 || true
}

setup() {
        [[ -x $ARCHBUILD ]] || skip "archbuild not built at $ARCHBUILD"
        [[ $(id -u) -eq 0 ]] || skip "these tests map the full uid range, which needs root"
        "$ARCHBUILD" images --store "$STORE" | grep -q 'test/base:bb.*linux/arm64' ||
                skip "no base image (scripts/make-base-image needs Debian's mirror)"
        CTX="$BATS_TEST_TMPDIR/ctx"
        mkdir -p "$CTX"
}

ab() {
        "$ARCHBUILD" --store "$STORE" "$@"
}

# The platform's manifest of an OCI layout, unpacked with umoci after skopeo selected it.
unpack() { # layout tag arch dest
        skopeo copy -q --override-arch "$3" "oci:$1:$2" "oci:$BATS_TEST_TMPDIR/sel:$3"
        umoci unpack --image "$BATS_TEST_TMPDIR/sel:$3" "$4" >/dev/null
}

@test "two platforms: COPY and RUN, an OCI layout in buildx's shape that skopeo and umoci read" {
        require_binfmt_ns
        cat >"$CTX/Dockerfile" <<'EOF'
FROM test/base:bb
ARG TARGETARCH
COPY greet.sh /usr/local/bin/greet
RUN chmod 755 /usr/local/bin/greet && uname -m > /machine && echo "$TARGETARCH" > /targetarch
ENTRYPOINT ["/usr/local/bin/greet"]
EOF
        printf '#!/bin/sh\necho hi\n' >"$CTX/greet.sh"
        run ab --platform linux/amd64,linux/arm64 -t t/app:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/out" "$CTX"
        assert_success
        # index.json: one entry, named by the tag, pointing at an image index
        run jq -r '.manifests | length, .[0].mediaType, .[0].annotations["org.opencontainers.image.ref.name"]' \
                "$BATS_TEST_TMPDIR/out/index.json"
        assert_output $'1\napplication/vnd.oci.image.index.v1+json\n1'
        run skopeo inspect --raw "oci:$BATS_TEST_TMPDIR/out:1"
        assert_success
        assert_output --partial '"architecture":"arm64"'
        assert_output --partial '"architecture":"amd64"'
        unpack "$BATS_TEST_TMPDIR/out" 1 arm64 "$BATS_TEST_TMPDIR/b64"
        [[ $(cat "$BATS_TEST_TMPDIR/b64/rootfs/machine") == aarch64 ]]
        [[ $(cat "$BATS_TEST_TMPDIR/b64/rootfs/targetarch") == arm64 ]]
        [[ -x $BATS_TEST_TMPDIR/b64/rootfs/usr/local/bin/greet ]]
        # no mount stubs leak into layers
        [[ ! -e $BATS_TEST_TMPDIR/b64/rootfs/proc && ! -e $BATS_TEST_TMPDIR/b64/rootfs/etc/resolv.conf ]]
        unpack "$BATS_TEST_TMPDIR/out" 1 amd64 "$BATS_TEST_TMPDIR/b86"
        [[ $(cat "$BATS_TEST_TMPDIR/b86/rootfs/machine") == x86_64 ]]
        run skopeo copy -q "oci:$BATS_TEST_TMPDIR/out:1" "oci:$BATS_TEST_TMPDIR/copy:1" --all
        assert_success
}

@test "SOURCE_DATE_EPOCH: two uncached builds give the same index digest; a rebuild is all cache hits" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nCOPY f /f\nRUN echo x > /y\n' >"$CTX/Dockerfile"
        echo data >"$CTX/f"
        export SOURCE_DATE_EPOCH=1700000000
        run ab --no-cache --platform linux/amd64,linux/arm64 "$CTX"
        assert_success
        first=${lines[-1]}
        run ab --no-cache --platform linux/amd64,linux/arm64 "$CTX"
        [[ ${lines[-1]} == "$first" ]]
        run ab --platform linux/amd64,linux/arm64 "$CTX"
        [[ $(grep -c CACHED <<<"$output") -eq 4 ]]
        [[ ${lines[-1]} == "$first" ]]
        echo changed >"$CTX/f"
        run ab --platform linux/amd64,linux/arm64 "$CTX"
        [[ ${lines[-1]} != "$first" ]]
}

@test "every config instruction lands in the image config" {
        cat >"$CTX/Dockerfile" <<'EOF'
FROM test/base:bb AS base
ENV A=1 B="two words"
ENV C=${A:-x}-${UNSET:-d}-${A:+set}
LABEL l1=v1 "l2"="v 2"
EXPOSE 80 53/udp
VOLUME ["/data"]
WORKDIR /srv
WORKDIR sub/../app
USER nobody
STOPSIGNAL SIGINT
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT ["/bin/echo"]
CMD ["hi"]
EOF
        run ab --platform linux/amd64 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" -t t/cfg:1 "$CTX"
        assert_success
        skopeo inspect --config "oci:$BATS_TEST_TMPDIR/o:1" --override-arch amd64 >"$BATS_TEST_TMPDIR/config.json"
        run jq -c '.config | [.Env, .Labels, .ExposedPorts, .Volumes, .WorkingDir, .User, .StopSignal, .Entrypoint, .Cmd]' \
                "$BATS_TEST_TMPDIR/config.json"
        assert_output --partial '"A=1","B=two words","C=1-d-set"'
        assert_output --partial '{"l1":"v1","l2":"v 2"}'
        assert_output --partial '"53/udp":{}'
        assert_output --partial '"80/tcp":{}'
        assert_output --partial '{"/data":{}},"/srv/app","nobody","SIGINT",["/bin/echo"],["hi"]'
}

@test "RUN: exec form, USER, WORKDIR, build args, no network, capability set" {
        require_binfmt_ns
        cat >"$CTX/Dockerfile" <<'EOF'
FROM test/base:bb
ARG GREETING=default
WORKDIR /w
RUN ["/bin/sh", "-c", "pwd > /pwd; echo $GREETING > /arg"]
RUN n=0; while read -r l; do case $l in *:*) n=$((n+1));; esac; done </proc/net/dev; echo $n >/ifaces
RUN while read -r k v; do [ "$k" = CapBnd: ] && echo "$v"; done </proc/self/status >/capbnd; true
USER nobody
RUN while read -r k v _; do [ "$k" = Uid: ] && echo "$v"; done </proc/self/status >/tmp/uid; true
EOF
        # Only shell builtins and NOFORK applets above: Debian's QEMU 7.2 cannot re-exec busybox
        # through /proc/self/exe (pipelines of applets); the linked shim and QEMU >= 8 can.
        run ab --platform linux/arm64 --build-arg GREETING=given -t t/run:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_success
        unpack "$BATS_TEST_TMPDIR/o" 1 arm64 "$BATS_TEST_TMPDIR/b"
        r=$BATS_TEST_TMPDIR/b/rootfs
        [[ $(cat "$r/pwd") == /w && $(cat "$r/arg") == given ]]
        [[ $(cat "$r/ifaces") -eq 1 ]]                     # loopback only
        [[ $(cat "$r/capbnd") == *00000000a80425fb ]]       # Docker's default set
        [[ $(cat "$r/tmp/uid") == 65534 ]]
}

@test "multi-stage: COPY --from, --chown, --chmod, --target" {
        cat >"$CTX/Dockerfile" <<'EOF'
FROM test/base:bb AS build
RUN mkdir -p /out && echo built > /out/artifact
FROM test/base:bb AS final
COPY --from=build --chown=65534:65534 --chmod=0640 /out/artifact /artifact
FROM final AS extra
RUN touch /extra
EOF
        run ab --platform linux/amd64 --target final -t t/ms:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_success
        refute_output --partial 'touch /extra'
        unpack "$BATS_TEST_TMPDIR/o" 1 amd64 "$BATS_TEST_TMPDIR/b"
        run stat -c '%u:%g %a %n' "$BATS_TEST_TMPDIR/b/rootfs/artifact"
        assert_output --partial '65534:65534 640'
        [[ ! -e $BATS_TEST_TMPDIR/b/rootfs/extra ]]
}

@test "COPY: globs and .dockerignore; ADD unpacks local archives" {
        mkdir -p "$CTX/src/sub"
        touch "$CTX/src/a.txt" "$CTX/src/b.txt" "$CTX/src/c.log" "$CTX/src/sub/d.txt" "$CTX/secret"
        printf 'secret\n**/*.log\n' >"$CTX/.dockerignore"
        tar -C "$CTX/src" -czf "$CTX/src.tar.gz" .
        cat >"$CTX/Dockerfile" <<'EOF'
FROM test/base:bb
COPY src/*.txt /glob/
COPY src /tree
ADD src.tar.gz /unpacked/
EOF
        run ab --platform linux/amd64 -t t/cp:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_success
        unpack "$BATS_TEST_TMPDIR/o" 1 amd64 "$BATS_TEST_TMPDIR/b"
        r=$BATS_TEST_TMPDIR/b/rootfs
        [[ -e $r/glob/a.txt && -e $r/glob/b.txt && ! -e $r/glob/c.log ]]
        [[ -e $r/tree/sub/d.txt && ! -e $r/tree/c.log ]]
        [[ -e $r/unpacked/sub/d.txt && -e $r/unpacked/c.log ]]
        printf 'FROM test/base:bb\nCOPY secret /\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 "$CTX"
        assert_failure 1
        assert_output --partial 'Dockerfile:2:'
        assert_output --partial 'secret: no such file or directory in the build context'
}

@test "refusals name the line before any work" {
        local -A cases=(
                ['RUN --mount=type=cache,target=/c true']='Dockerfile:2: RUN --mount is not supported'
                ['RUN <<EOF']='Dockerfile:2: RUN with a heredoc is not supported'
                ['HEALTHCHECK CMD true']='Dockerfile:2: HEALTHCHECK is not supported'
                ['ONBUILD RUN true']='Dockerfile:2: ONBUILD is not supported'
                ['ADD https://example.com/x /x']='Dockerfile:2: ADD of URLs is not supported'
                ['COPY --parents a /']='Dockerfile:2: COPY --parents is not supported'
                ['BOGUS x']='Dockerfile:2: unknown instruction: BOGUS'
        )
        for line in "${!cases[@]}"; do
                printf 'FROM test/base:bb\n%s\n' "$line" >"$CTX/Dockerfile"
                run ab --platform linux/amd64 "$CTX"
                assert_failure 2
                assert_output --partial "${cases[$line]}"
                refute_output --partial '#1/'
        done
}

@test "foreign ELF detection: an amd64 binary in an arm64 build fails at its step" {
        cp /bin/true "$CTX/tool"
        printf 'FROM test/base:bb\nCOPY tool /usr/local/bin/tool\n' >"$CTX/Dockerfile"
        run ab --platform linux/arm64 "$CTX"
        assert_failure 1
        assert_output --partial 'Dockerfile:2: [linux/arm64] COPY tool /usr/local/bin/tool: /usr/local/bin/tool is linux/amd64'
        run ab --platform linux/arm64 --allow-foreign-binaries "$CTX"
        assert_success
        assert_output --partial 'continuing (--allow-foreign-binaries)'
        run ab --platform linux/amd64 "$CTX"
        assert_success
}

@test "a base of the wrong platform is an error, not a fallback" {
        printf 'FROM test/base:bb\n' >"$CTX/Dockerfile"
        run ab --platform linux/s390x "$CTX"
        assert_failure 1
        assert_output --partial 'has no linux/s390x variant (it has: '
        printf 'FROM no/such:image\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 "$CTX"
        assert_failure 1
        assert_output --partial 'is not in the store'
}

@test "import refuses a root filesystem of another platform" {
        mkdir -p "$BATS_TEST_TMPDIR/root/bin"
        cp /bin/true "$BATS_TEST_TMPDIR/root/bin/true"
        tar -C "$BATS_TEST_TMPDIR/root" -cf "$BATS_TEST_TMPDIR/root.tar" .
        run "$ARCHBUILD" import --store "$STORE" --platform linux/arm64 "$BATS_TEST_TMPDIR/root.tar" t/wrong:1
        assert_failure 1
        assert_output --partial '/bin/true is linux/amd64, not linux/arm64'
}

@test "a failed RUN: step and exit code named, output untouched" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nRUN true\n' >"$CTX/Dockerfile"
        run ab --platform linux/arm64 -t t/f:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_success
        before=$(sha256sum "$BATS_TEST_TMPDIR/o/index.json")
        printf 'FROM test/base:bb\nRUN echo half > /half && exit 7\n' >"$CTX/Dockerfile"
        run ab --platform linux/arm64 -t t/f:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_failure 1
        assert_output --partial 'Dockerfile:2: [linux/arm64] RUN echo half > /half && exit 7: the command exited with status 7'
        [[ $(sha256sum "$BATS_TEST_TMPDIR/o/index.json") == "$before" ]]
        run skopeo inspect --raw "oci:$BATS_TEST_TMPDIR/o:1"
        assert_success
}

@test "killed mid-build: the layout stays valid" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nRUN true\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 -t t/k:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_success
        printf 'FROM test/base:bb\nRUN sleep 47\n' >"$CTX/Dockerfile"
        "$ARCHBUILD" --store "$STORE" --platform linux/amd64 -t t/k:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX" 2>/dev/null &
        pid=$!
        sleep 1
        kill -9 "$pid"
        wait "$pid" || true
        run skopeo inspect --raw "oci:$BATS_TEST_TMPDIR/o:1"
        assert_success
        # the step dies with archbuild (PR_SET_PDEATHSIG, then its pid namespace goes)
        for _ in $(seq 50); do pgrep -x -f 'sleep 47' >/dev/null || break; sleep 0.1; done
        ! pgrep -x -f 'sleep 47' >/dev/null
}

@test "docker-archive output is read by skopeo" {
        printf 'FROM test/base:bb\nCOPY Dockerfile /\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 -t t/da:1 -o "type=docker-archive,dest=$BATS_TEST_TMPDIR/img.tar" "$CTX"
        assert_success
        run skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/img.tar"
        assert_success
        assert_output --partial '"Architecture": "amd64"'
}

start_registry() {
        command -v docker-registry >/dev/null || skip "docker-registry not installed"
        REG_PORT=$(shuf -i 20000-45000 -n 1)
        cat >"$BATS_TEST_TMPDIR/registry.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $BATS_TEST_TMPDIR/registry
http:
  addr: 127.0.0.1:$REG_PORT
EOF
        docker-registry serve "$BATS_TEST_TMPDIR/registry.yml" >"$BATS_TEST_TMPDIR/registry.log" 2>&1 &
        REG_PID=$!
        for _ in $(seq 50); do curl -sf "http://127.0.0.1:$REG_PORT/v2/" >/dev/null && return 0; sleep 0.1; done
        skip "registry did not start: $(cat "$BATS_TEST_TMPDIR/registry.log")"
}

teardown() {
        [[ -n ${REG_PID:-} ]] && kill "$REG_PID" 2>/dev/null || true
}

@test "push to a loopback registry and pull back: same digests; merge of two single-platform builds" {
        start_registry
        printf 'FROM test/base:bb\nCOPY Dockerfile /df\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 -t t/m:amd64 "$CTX"
        assert_success
        run ab --platform linux/arm64 -t t/m:arm64 "$CTX"
        assert_success
        run "$ARCHBUILD" merge --store "$STORE" -t "127.0.0.1:$REG_PORT/t/m:multi" --push --insecure t/m:amd64 t/m:arm64
        assert_success
        pushed=$(awk '/^pushed/ {print $3}' <<<"$output")
        run skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$REG_PORT/t/m:multi"
        assert_success
        [[ sha256:$(printf '%s' "$output" | sha256sum | cut -d' ' -f1) == "$pushed" ]]
        assert_output --partial '"architecture":"arm64"'
        assert_output --partial '"architecture":"amd64"'
        run skopeo copy -q --all --src-tls-verify=false "docker://127.0.0.1:$REG_PORT/t/m:multi" "oci:$BATS_TEST_TMPDIR/pulled:x"
        assert_success
        run jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/pulled/index.json"
        assert_output "$pushed"
}
