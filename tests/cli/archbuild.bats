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

@test "platforms built at once (a process each) give the index of a build one after another" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nARG TARGETARCH\nCOPY f /f\nRUN echo "$TARGETARCH" > /a && echo out-$TARGETARCH\n' >"$CTX/Dockerfile"
        echo data >"$CTX/f"
        export SOURCE_DATE_EPOCH=1700000000
        run ab --no-cache --jobs 1 --platform linux/amd64,linux/arm64 "$CTX"
        assert_success
        sequential=${lines[-1]}
        run ab --no-cache --jobs 2 --platform linux/amd64,linux/arm64 "$CTX"
        assert_success
        [[ ${lines[-1]} == "$sequential" ]]
        # every line of a platform's worker names the platform, its RUN output included
        assert_output --partial '[linux/arm64] out-arm64'
        assert_output --partial '[linux/amd64] out-amd64'
        assert_output --partial '[linux/arm64] #4/4 DONE'
        run ab --jobs 2 --platform linux/arm64,linux/amd64 "$CTX"
        assert_success
        [[ $(grep -c CACHED <<<"$output") -eq 4 ]]
        run ab --jobs 0 --platform linux/amd64 "$CTX"
        assert_failure 2
        assert_output --partial '--jobs: '"'"'0'"'"' is not a number from 1 to 16'
}

@test "platforms built at once: one failing stops the others and nothing is written" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nARG TARGETARCH\nRUN if [ "$TARGETARCH" = arm64 ]; then exit 9; fi; sleep 53\n' >"$CTX/Dockerfile"
        SECONDS=0
        run ab --jobs 2 --platform linux/amd64,linux/arm64 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_failure 1
        assert_output --partial 'the command exited with status 9'
        refute_output --partial 'built sha256:'
        [[ ! -e $BATS_TEST_TMPDIR/o/index.json ]]
        (( SECONDS < 40 ))
        for _ in $(seq 300); do pgrep -x -f 'sleep 53' >/dev/null || break; sleep 0.1; done
        ! pgrep -x -f 'sleep 53' >/dev/null
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

@test "RUN --mount=type=bind,from=: a stage's directory, read-only, nothing of it in the layer (as BuildKit)" {
        require_binfmt_ns
        cat >"$CTX/Dockerfile" <<'EOF'
FROM test/base:bb AS data
RUN mkdir -p /d && echo hello > /d/f
FROM test/base:bb
RUN --mount=type=bind,from=data,source=/d,target=/x busybox cat /x/f > /out; busybox touch /x/g 2>/err; busybox ls -d /x > /seen; true
EOF
        run ab --platform linux/arm64 -t t/mount:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/out" "$CTX"
        assert_success
        unpack "$BATS_TEST_TMPDIR/out" 1 arm64 "$BATS_TEST_TMPDIR/b"
        r=$BATS_TEST_TMPDIR/b/rootfs
        [[ $(cat "$r/out") == hello && $(cat "$r/seen") == /x ]]
        grep -q 'Read-only file system' "$r/err"
        # the mount point the sandbox created is gone again
        [[ ! -e $r/x ]]
        # the same Dockerfile again: a cache hit (the key holds from='s chain)
        run ab --platform linux/arm64 -t t/mount:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/out2" "$CTX"
        assert_success
        assert_output --partial 'CACHED'
        # a source that is not there fails with the line
        sed -i 's|source=/d,|source=/nope,|' "$CTX/Dockerfile"
        run ab --platform linux/arm64 "$CTX"
        assert_failure
        assert_output --partial 'Dockerfile:4:'
        assert_output --partial 'source /nope not found in the from= root'
}

@test "refusals name the line before any work" {
        local -A cases=(
                ['RUN --mount=type=cache,target=/c true']='Dockerfile:2: RUN --mount=type=cache is not supported (only type=bind with from=)'
                ['RUN --mount=type=bind,target=/c true']='Dockerfile:2: RUN --mount: a bind without from= (of the build context) is not supported'
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
        for _ in $(seq 300); do pgrep -x -f 'sleep 47' >/dev/null || break; sleep 0.1; done
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
        for _ in $(seq 300); do curl -sf "http://127.0.0.1:$REG_PORT/v2/" >/dev/null && return 0; sleep 0.1; done
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

@test "directives, continuations, SHELL, FROM scratch and FROM --platform=\$BUILDPLATFORM" {
        require_binfmt_ns
        cat >"$CTX/Dockerfile" <<'EOF2'
# syntax=docker/dockerfile:1
# escape=`
ARG BASE=test/base:bb
FROM --platform=$BUILDPLATFORM ${BASE} AS tools
RUN echo "$(uname -m)" > /buildmachine
FROM scratch AS empty
COPY --from=tools /buildmachine /m
FROM ${BASE}
SHELL ["/bin/sh", "-c", "echo shell-used > /shell; eval \"$1\"", "sh"]
RUN echo a `
    b > /cont
COPY --from=empty /m /buildmachine
EOF2
        run ab --platform linux/arm64 -t t/dir:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_success
        unpack "$BATS_TEST_TMPDIR/o" 1 arm64 "$BATS_TEST_TMPDIR/b"
        r=$BATS_TEST_TMPDIR/b/rootfs
        [[ $(cat "$r/buildmachine") == x86_64 ]]   # the tools stage ran natively
        [[ $(cat "$r/shell") == shell-used ]]      # RUN went through SHELL
        [[ $(cat "$r/cont") == "a b" ]]            # ` continued the line
}

@test "FROM a loopback registry: the platform's manifest is picked from the index; an amd64-only index fails an arm64 build" {
        start_registry
        printf 'FROM test/base:bb\nRUN echo pulled > /pulled\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 -t t/p:amd64 "$CTX"
        assert_success
        run "$ARCHBUILD" merge --store "$STORE" -t "127.0.0.1:$REG_PORT/only/amd64:1" --push --insecure t/p:amd64
        assert_success
        run "$ARCHBUILD" merge --store "$STORE" -t "127.0.0.1:$REG_PORT/base/multi:1" --push --insecure test/base:bb
        assert_success
        fresh=$BATS_TEST_TMPDIR/fresh-store
        # an index with only amd64, used for arm64: an error that names what the image has
        printf 'FROM 127.0.0.1:%s/only/amd64:1\nRUN true\n' "$REG_PORT" >"$CTX/Dockerfile"
        run "$ARCHBUILD" --store "$fresh" --insecure --platform linux/arm64 "$CTX"
        assert_failure 1
        assert_output --partial "Dockerfile:1: [linux/arm64] FROM 127.0.0.1:$REG_PORT/only/amd64:1: the base image 127.0.0.1:$REG_PORT/only/amd64:1 has no linux/arm64 variant (it has: linux/amd64); a base of another platform is never used in its place"
        refute_output --partial '#2/2'
        # the same image for amd64 is pulled into the fresh store and used
        run "$ARCHBUILD" --store "$fresh" --insecure --platform linux/amd64 -t t/pulled:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_success
        assert_output --partial "pulling 127.0.0.1:$REG_PORT/only/amd64:1 for linux/amd64"
        unpack "$BATS_TEST_TMPDIR/o" 1 amd64 "$BATS_TEST_TMPDIR/b"
        [[ $(cat "$BATS_TEST_TMPDIR/b/rootfs/pulled") == pulled ]]
        run "$ARCHBUILD" images --store "$fresh"
        assert_output --partial "127.0.0.1:$REG_PORT/only/amd64:1"
        # a two-platform index: each build gets its own platform's layers
        printf 'FROM 127.0.0.1:%s/base/multi:1\nCOPY Dockerfile /df\n' "$REG_PORT" >"$CTX/Dockerfile"
        run "$ARCHBUILD" --store "$fresh" --insecure --platform linux/amd64,linux/arm64 "$CTX"
        assert_success
        run "$ARCHBUILD" images --store "$fresh"
        assert_output --regexp "base/multi:1 +linux/arm64"
        assert_output --regexp "base/multi:1 +linux/amd64"
        # without --insecure a plain-HTTP registry is not used
        printf 'FROM 127.0.0.1:%s/base/multi:1\n' "$REG_PORT" >"$CTX/Dockerfile"
        run "$ARCHBUILD" --store "$BATS_TEST_TMPDIR/other" --platform linux/amd64 "$CTX"
        assert_failure 1
        assert_output --partial "Failed to fetch 127.0.0.1:$REG_PORT/base/multi:1"
}

# COPY's source patterns were expanded by glob() on the host's view of the stage's root: a stage's
# symlink to a host directory listed it, and the error named a host file.
@test "COPY: a glob through a stage's symlink to a host directory lists nothing of the host" {
        require_binfmt_ns
        local secret=$BATS_TEST_TMPDIR/secret
        mkdir -p "$secret"
        : >"$secret/host-secret-name.txt"
        printf 'FROM test/base:bb AS s0\nRUN ln -s %s /l\nFROM test/base:bb\nCOPY --from=s0 /l/* /x/\n' "$secret" >"$CTX/Dockerfile"
        run ab --no-cache --platform linux/amd64 "$CTX"
        assert_failure
        refute_output --partial 'host-secret-name'
}

@test "COPY --from=IMAGE copies from an image of the stage's platform, not from a stage" {
        start_registry
        printf 'FROM test/base:bb\nRUN echo from-image > /marker\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 -t t/src:amd64 "$CTX"
        assert_success
        run "$ARCHBUILD" merge --store "$STORE" -t "127.0.0.1:$REG_PORT/src:1" --push --insecure t/src:amd64
        assert_success
        printf 'FROM test/base:bb\nCOPY --from=127.0.0.1:%s/src:1 /marker /copied\nCOPY --from=test/base:bb /bin/busybox /bb\n' \
                "$REG_PORT" >"$CTX/Dockerfile"
        run ab --insecure --platform linux/amd64 -t t/cf:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/o" "$CTX"
        assert_success
        unpack "$BATS_TEST_TMPDIR/o" 1 amd64 "$BATS_TEST_TMPDIR/b"
        [[ $(cat "$BATS_TEST_TMPDIR/b/rootfs/copied") == from-image ]]
        [[ -x $BATS_TEST_TMPDIR/b/rootfs/bb ]]
        # the image has no arm64 variant: no fallback to its amd64 files
        run ab --insecure --platform linux/arm64 "$CTX"
        assert_failure 1
        assert_output --partial "has no linux/arm64 variant (it has: linux/amd64)"
        printf 'FROM test/base:bb\nCOPY --from=no/such:image /x /x\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 "$CTX"
        assert_failure 1
        assert_output --partial 'the base image no/such:image is not in the store'
}

@test "merge of oci:DIR sources gives one two-platform index" {
        printf 'FROM test/base:bb\nCOPY Dockerfile /df\n' >"$CTX/Dockerfile"
        run ab --platform linux/amd64 -t t/oa:a -o "type=oci,dest=$BATS_TEST_TMPDIR/a" "$CTX"
        assert_success
        run ab --platform linux/arm64 -t t/ob:b -o "type=oci,dest=$BATS_TEST_TMPDIR/b" "$CTX"
        assert_success
        run "$ARCHBUILD" merge --store "$BATS_TEST_TMPDIR/s2" -t t/merged:1 -o "type=oci,dest=$BATS_TEST_TMPDIR/m" \
                "oci:$BATS_TEST_TMPDIR/a:a" "oci:$BATS_TEST_TMPDIR/b"
        assert_success
        run skopeo inspect --raw "oci:$BATS_TEST_TMPDIR/m:1"
        assert_success
        assert_output --partial '"architecture":"arm64"'
        assert_output --partial '"architecture":"amd64"'
        run skopeo copy -q --all "oci:$BATS_TEST_TMPDIR/m:1" "oci:$BATS_TEST_TMPDIR/copy:1"
        assert_success
        # the same platform twice is refused
        run "$ARCHBUILD" merge --store "$BATS_TEST_TMPDIR/s2" -t t/merged:2 "oci:$BATS_TEST_TMPDIR/a:a" "oci:$BATS_TEST_TMPDIR/a"
        assert_failure 1
        assert_output --partial 'two sources give linux/amd64'
}

@test "the first foreign RUN is preceded by a probe; a broken emulator stops the build with the shim's message" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nRUN echo one > /one\nRUN echo two > /two\n' >"$CTX/Dockerfile"
        run ab --no-cache --platform linux/arm64 "$CTX"
        assert_success
        [[ $(grep -c 'emulation of linux/arm64 verified by a probe' <<<"$output") -eq 1 ]]
        run ab --no-cache --platform linux/amd64 "$CTX"
        assert_success
        refute_output --partial 'probe'
        # an interpreter that cannot emulate, as the shim reports it (one line, exit 127)
        mkdir -p "$BATS_TEST_TMPDIR/shim"
        printf '#!/bin/sh\necho "archshim: qemu-aarch64: not found in /nowhere" >&2\nexit 127\n' \
                >"$BATS_TEST_TMPDIR/shim/qemu-aarch64-archway"
        chmod +x "$BATS_TEST_TMPDIR/shim/qemu-aarch64-archway"
        ARCHWAY_SHIM_DIR=$BATS_TEST_TMPDIR/shim run ab --no-cache --platform linux/arm64 "$CTX"
        assert_failure 1
        assert_output --partial 'Dockerfile:2: [linux/arm64] RUN echo one > /one: emulation of linux/arm64 with'
        assert_output --partial 'does not work: the probe program exited with status 127: archshim: qemu-aarch64: not found in /nowhere'
        refute_output --partial 'DONE'
        # one that spins is stopped by the probe's CPU limit (lib/binfmt-probe.h), not left running
        printf '#!/bin/sh\nwhile :; do :; done\n' >"$BATS_TEST_TMPDIR/shim/qemu-aarch64-archway"
        ARCHWAY_SHIM_DIR=$BATS_TEST_TMPDIR/shim run ab --no-cache --platform linux/arm64 "$CTX"
        assert_failure 1
        assert_output --partial 'does not work: the probe program did not finish (it used 10 CPU seconds, or ran for 60 s)'
        refute_output --partial 'DONE'
}

# archbuild removes the stubs it made for a step's mounts (bind targets, /etc/hosts, /etc/resolv.conf)
# from the step's upper on the host, and makes the /etc ones before pivot_root, where "/" is the
# host's: a symlink the image or the step made there led onto the host's files.
@test "stubs: a step that swaps a symlink under its --mount target does not make archbuild remove a host directory" {
        require_binfmt_ns
        local v=$BATS_TEST_TMPDIR/victim
        mkdir -p "$v/emptydir"
        printf 'FROM test/base:bb\nRUN mkdir -p /real%s && ln -s /real /a\nRUN --mount=type=bind,from=test/base:bb,source=/bin,target=/a%s/emptydir rm /a && ln -s / /a\n' \
                "$v" "$v" >"$CTX/Dockerfile"
        run ab --no-cache --platform linux/amd64 "$CTX"
        assert_success
        [[ -d $v/emptydir ]] || fail "the host's $v/emptydir was removed"
}

# An image of one static program, /t ("/t relink DIR": /etc becomes a symlink to DIR), and an /etc
# that is a symlink to $2: etc_image NAME ETC-TARGET.
etc_image() {
        local d=$BATS_TEST_TMPDIR/etc-image
        mkdir -p "$d"
        printf '%s\n' '#include <string.h>' '#include <unistd.h>' \
                'int main(int c, char **v) { if (c == 3 && !strcmp(v[1], "relink")) return unlink("/etc") || symlink(v[2], "/etc"); return 0; }' >"$d/t.c"
        [[ -x $d/t ]] || env -u LIBRARY_PATH gcc -static -O1 -o "$d/t" "$d/t.c" || fail "cannot build /t"
        python3 -c 'import sys, tarfile
with tarfile.open(sys.argv[1], "w") as tar:
    tar.add(sys.argv[2], "t")
    d = tarfile.TarInfo("etc2"); d.type = tarfile.DIRTYPE; d.mode = 0o755; tar.addfile(d)
    l = tarfile.TarInfo("etc"); l.type = tarfile.SYMTYPE; l.linkname = sys.argv[3]; tar.addfile(l)' \
                "$d/$1.tar" "$d/t" "$2"
        "$ARCHBUILD" import --store "$STORE" --platform linux/amd64 "$d/$1.tar" "t/$1:1" >/dev/null
}

@test "stubs: an /etc symlinked to a host directory gets no hosts or resolv.conf made or removed there" {
        require_binfmt_ns
        local made=$BATS_TEST_TMPDIR/made removed=$BATS_TEST_TMPDIR/removed
        mkdir -p "$made" "$removed"
        : >"$removed/hosts"
        : >"$removed/resolv.conf"
        # The image's /etc leads to a host directory: the step's stubs were created there.
        etc_image made "$made"
        printf 'FROM t/made:1\nRUN ["/t"]\n' >"$CTX/Dockerfile"
        run ab --no-cache --platform linux/amd64 "$CTX"
        assert_success
        run ls -A "$made"
        assert_output ''
        # /etc leads to etc2 in the image: the stubs were made there; the step then points /etc at a
        # host directory, whose empty hosts and resolv.conf were removed after it.
        etc_image removed etc2
        printf 'FROM t/removed:1\nRUN ["/t", "relink", "%s"]\n' "$removed" >"$CTX/Dockerfile"
        run ab --no-cache --platform linux/amd64 "$CTX"
        assert_success
        [[ -e $removed/hosts && -e $removed/resolv.conf ]] || fail "the host's empty hosts or resolv.conf in $removed was removed"
}

# Native twins are installed into the step's root from a sandbox that also sees the host's files
# (lib/accel-install.c): an image's /.archway that is a symlink out of the root was followed, and
# archway-twin-launch and the host's loader were written into that host directory as root.
@test "twins: an image's /.archway symlinked out of the root writes nothing outside; busybox's applet symlinks are skipped quietly" {
        require_binfmt_ns
        command -v aarch64-linux-gnu-gcc-12 >/dev/null || skip "gcc-12-aarch64-linux-gnu not installed: no twins are tried"
        local out=$BATS_TEST_TMPDIR/outside
        mkdir -p "$out"
        printf 'FROM test/base:bb\nRUN ln -s %s /.archway\nRUN echo two > /two\n' "$out" >"$CTX/Dockerfile"
        run ab --no-cache --platform linux/arm64 "$CTX"
        assert_success
        refute_output --partial 'native twins could not be installed'
        run ls -A "$out"
        assert_output ''
}

@test "busybox applets keep their argv[0] under bare QEMU (P registered when kernel and QEMU read AT_FLAGS), ours and Debian's" {
        require_binfmt_ns
        # busybox-static's sh runs an applet by re-executing /proc/self/exe with the applet's name as
        # argv[0]; without P that name was lost and "cat /etc/passwd" ran the passwd applet.
        printf 'FROM test/base:bb\nRUN cat /etc/passwd > /o; ls /etc/passwd >> /o; cat /o\n' >"$CTX/Dockerfile"
        local modes=()
        [[ -x ${ARCHWAY_QEMU_DIR:-/nonexistent}/qemu-aarch64 ]] && modes+=(archway)
        [[ -x /usr/bin/qemu-aarch64-static ]] && modes+=(debian)
        [[ ${#modes[@]} -gt 0 ]] || skip "neither our QEMU (ARCHWAY_QEMU_DIR) nor Debian's qemu-user-static"
        for m in "${modes[@]}"; do
                run ab --no-cache --emulator "$m" --platform linux/arm64 "$CTX"
                assert_success
                assert_line 'root:x:0:0:root:/root:/bin/sh'
                assert_line '/etc/passwd'
                refute_output --partial 'password'
        done
}

# test/gcc:12 (the arm64 gcc root of scripts/fetch-fixtures) in the store, and shim the directory of
# the linked shim; skips without what twins need.
twins_base() {
        require_binfmt_ns
        shim=${ARCHWAY_SHIM_DIR:-$(dirname "$ARCHBUILD")/../libexec}
        [[ -x $shim/qemu-aarch64-archway ]] || skip "no linked shim qemu-aarch64-archway (make shim-qemu, or set ARCHWAY_SHIM_DIR)"
        [[ -x $(dirname "$ARCHBUILD")/../libexec/archway-twin-launch ]] || skip "archway-twin-launch not built"
        command -v aarch64-linux-gnu-gcc-12 >/dev/null || skip "no host cross compiler (gcc-12-aarch64-linux-gnu)"
        local root_tar
        root_tar=$(fixture gcc-root-arm64.tar)
        "$ARCHBUILD" images --store "$STORE" | grep -q 'test/gcc:12' ||
                "$ARCHBUILD" import --store "$STORE" --platform linux/arm64 "$root_tar" test/gcc:12 >/dev/null
}

@test "native twins are installed for foreign RUN steps through the shim; --no-accel opts out" {
        local shim
        twins_base
        printf 'int main(void) { return 0; }\n' >"$CTX/t.c"
        printf 'FROM test/gcc:12\nCOPY t.c /t.c\nRUN gcc -O2 -c /t.c -o /t.o && gcc -march=native -E /t.c -o /dev/null\n' >"$CTX/Dockerfile"
        ARCHWAY_SHIM_DIR=$shim run ab --no-cache --platform linux/arm64 -o "type=oci,dest=$BATS_TEST_TMPDIR/oci" "$CTX"
        assert_success
        assert_output --partial 'native twins installed for linux/arm64'
        # One line per step says what ran native and why the rest did not; the log stays out of the layer.
        assert_output --regexp '#3/3 native twins: 1 of 2 compiler runs twinned, [0-9]+ of [0-9]+ runs of other tools; emulated: unless-arg -march=native \(1\)'
        # Every layer's members (the base's and the steps'): the object is there, /.archway nowhere.
        run bash -c 'for b in "$1"/blobs/sha256/*; do tar -tzf "$b" 2>/dev/null; done' _ "$BATS_TEST_TMPDIR/oci"
        assert_line --regexp '^(\./)?t\.o$'
        refute_output --partial '.archway'
        ARCHWAY_SHIM_DIR=$shim run ab --no-cache --no-accel --platform linux/arm64 "$CTX"
        assert_success
        refute_output --partial 'native twins'
}

# After a step archbuild reads and removes the step's /.archway/accel.log from its upper, which the
# step wrote: a /.archway made a symlink to a host directory had that directory's accel.log read and
# deleted.
@test "twins: a step that makes /.archway a symlink to a host directory: its accel.log is neither read nor deleted" {
        local shim out=$BATS_TEST_TMPDIR/host-dir
        twins_base
        mkdir -p "$out"
        echo canary >"$out/accel.log"
        printf 'FROM test/gcc:12\nRUN rm -rf /.archway && ln -s %s /.archway\n' "$out" >"$CTX/Dockerfile"
        ARCHWAY_SHIM_DIR=$shim run ab --no-cache --platform linux/arm64 "$CTX"
        assert_success
        assert_output --partial 'native twins installed for linux/arm64'
        run cat "$out/accel.log"
        assert_output canary
}

# --- progress display and --version ----------------------------------------------------------------

@test "--progress: plain lines without a TTY, a table redrawn in place on one (under script), quiet prints nothing" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nRUN echo step-output && sleep 0.5\nRUN echo two > /two\n' >"$CTX/Dockerfile"
        # Not a TTY: auto means plain, the log lines of every step, each platform's output prefixed.
        run ab --no-cache --platform linux/amd64,linux/arm64 "$CTX"
        assert_success
        assert_line '#2/3 [linux/arm64] RUN echo step-output && sleep 0.5'
        assert_line '[linux/arm64] step-output'
        assert_line --regexp '^\[linux/arm64\] #3/3 DONE [0-9.]+s$'
        assert_line --regexp '^\[linux/arm64\] built sha256:[0-9a-f]{64} in [0-9.]+s \(pulled 0 B, wrote [0-9.]+ k?B\)$'
        refute_output --partial $'\033['
        # One job, plain: built in this process, the same lines without the platform prefix.
        run ab --no-cache --jobs 1 --progress=plain --platform linux/arm64 "$CTX"
        assert_success
        assert_line '#3/3 [linux/arm64] RUN echo two > /two'
        assert_line 'step-output'
        # quiet: only the result on stdout.
        run ab --no-cache --progress=quiet --platform linux/amd64,linux/arm64 "$CTX"
        assert_success
        assert_output --regexp '^sha256:[0-9a-f]{64}$'
        # A terminal (script gives it a pty): one line per platform, redrawn (cursor up two lines, clear),
        # with the step, the elapsed time and the bytes; the steps' output scrolls above it.
        run script -qec "'$ARCHBUILD' --store '$STORE' --no-cache --platform linux/amd64,linux/arm64 '$CTX'" /dev/null
        assert_success
        assert_output --partial $'\r\033[2A\033[J'
        assert_output --regexp '\[linux/arm64\] +[0-9]+\.[0-9]s +#2/3 [0-9]+\.[0-9]s +pulled 0 B, wrote 0 B +RUN echo step-out'
        assert_output --regexp '\[linux/arm64\] +[0-9]+\.[0-9]s +DONE +pulled 0 B, wrote [0-9.]+ k?B +built sha256:'
        assert_output --partial '[linux/arm64] step-output'
        refute_output --partial '#2/3 DONE'
        # --progress=tty forces the table without a terminal too.
        run ab --no-cache --progress=tty --platform linux/arm64 "$CTX"
        assert_success
        assert_output --partial $'\r\033[1A\033[J'
}

@test "--progress=quiet shows the output of the platform that failed; an unknown mode exits 2" {
        printf 'FROM test/base:bb\nRUN echo before-the-failure && exit 3\n' >"$CTX/Dockerfile"
        run ab --no-cache --progress=quiet --platform linux/amd64 "$CTX"
        assert_failure 1
        assert_output --partial '[linux/amd64] before-the-failure'
        assert_output --partial 'RUN echo before-the-failure && exit 3'
        refute_output --partial '#1/2'
        run ab --progress=fancy --platform linux/amd64 "$CTX"
        assert_failure 2
        assert_output --partial "--progress: 'fancy' is not auto, plain, tty or quiet"
}

# Kernels before 6.8 have no "lowerdir+": the classic option string (escaped) is used, and short
# links once it exceeds a page. ARCHBUILD_DISABLE makes this kernel behave so (docs/builder.md).
@test "without lowerdir+ (Linux < 6.8): the classic lowerdir= string gives the same image" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nCOPY f /f\nRUN cp /f /g && uname -m > /machine\n' >"$CTX/Dockerfile"
        echo data >"$CTX/f"
        export SOURCE_DATE_EPOCH=1700000000
        run ab --no-cache --platform linux/amd64,linux/arm64 "$CTX"
        assert_success
        plus=${lines[-1]}
        ARCHBUILD_DISABLE=lowerdir+ run ab --debug --no-cache --platform linux/amd64,linux/arm64 "$CTX"
        assert_success
        assert_output --partial 'overlay layers through the classic lowerdir= option string'
        [[ ${lines[-1]} == "$plus" ]]
}

@test "without lowerdir+: a stack whose option string exceeds a page is mounted through short links" {
        local long="$BATS_TEST_TMPDIR/$(printf 'd%.0s' {1..200})/$(printf 'e%.0s' {1..200})"
        mkdir -p "$long"
        cp -a "$STORE" "$long/store"
        { echo 'FROM test/base:bb'; for i in $(seq 14); do echo "COPY f /f$i"; done
          echo 'RUN cat /f1 /f14 > /both && ls / | grep -c "^f" > /count'; } >"$CTX/Dockerfile"
        echo data >"$CTX/f"
        # 16 lowers of ~470 bytes each: far over a page as absolute paths
        ARCHBUILD_DISABLE=lowerdir+ run "$ARCHBUILD" --store "$long/store" --no-cache --platform linux/amd64 \
                -o "type=oci,dest=$BATS_TEST_TMPDIR/o" -t t/links:1 "$CTX"
        assert_success
        unpack "$BATS_TEST_TMPDIR/o" 1 amd64 "$BATS_TEST_TMPDIR/u"
        [[ $(cat "$BATS_TEST_TMPDIR/u/rootfs/count") == 14 ]]
        [[ $(cat "$BATS_TEST_TMPDIR/u/rootfs/both") == $'data\ndata' ]]
}

# Kernels before 6.7 have no private binfmt_misc instances: foreign RUN steps go through the host's
# entries, which archbuild only reads. Here "the host's" table is a private instance mounted over
# /proc/sys/fs/binfmt_misc in the test's own namespace (binfmt_ns_full), never the real one.
@test "without private binfmt_misc instances (Linux < 6.7): the host's entry is probed, named and used" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nCOPY f /f\nRUN echo "machine=$(uname -m)" && cp /f /g\n' >"$CTX/Dockerfile"
        echo data >"$CTX/f"
        export CTX
        run binfmt_ns_full '
                # /proc/sys/fs/binfmt_misc must be this namespace'"'"'s private instance, never the host'"'"'s
                [ "$(stat -c %d "$BINFMT_DIR")" = "$(stat -c %d /proc/sys/fs/binfmt_misc)" ] || exit 20
                "$BINFMT" --config /dev/null --binfmt-dir "$BINFMT_DIR" -q --install arm64 >/dev/null || exit 10
                ls /proc/sys/fs/binfmt_misc >"$BATS_TEST_TMPDIR/before"
                ARCHBUILD_DISABLE=binfmt_misc-ns "$ARCHBUILD" --debug --store "$STORE" --no-cache \
                        --platform linux/amd64,linux/arm64 "$CTX"; echo "rc=$?"
                ls /proc/sys/fs/binfmt_misc | diff - "$BATS_TEST_TMPDIR/before" && echo "table unchanged"'
        assert_success
        assert_line "rc=0"
        assert_output --partial 'private binfmt_misc instances no'
        assert_line --regexp "^emulation: linux/arm64: the host's binfmt_misc entry qemu-aarch64 \((archway's|another registrar's), /.*qemu-aarch64(-static)?, flags P?F\)$"
        assert_output --partial '[linux/arm64] machine=aarch64'
        assert_output --partial 'emulation of linux/arm64 verified by a probe'
        assert_line "table unchanged"
}

@test "without private instances and no host entry: the build stops before any work, naming the fix" {
        require_binfmt_ns
        printf 'FROM test/base:bb\nRUN touch /x\n' >"$CTX/Dockerfile"
        export CTX
        run binfmt_ns_full '
                [ "$(stat -c %d "$BINFMT_DIR")" = "$(stat -c %d /proc/sys/fs/binfmt_misc)" ] || exit 20
                printf ":theirs:E::archwaytest::/bin/true:" >"$BINFMT_DIR/register"
                ARCHBUILD_DISABLE=binfmt_misc-ns "$ARCHBUILD" --store "$STORE" --no-cache --platform linux/amd64,linux/arm64 "$CTX"
                echo "rc=$?"
                # an entry without F cannot reach into a build root: refused before any work too
                printf "%s" ":qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:" \
                        >"$BINFMT_DIR/register" || exit 10
                ARCHBUILD_DISABLE=binfmt_misc-ns "$ARCHBUILD" --store "$STORE" --no-cache --platform linux/arm64 "$CTX"
                echo "rc=$?"'
        assert_success
        assert_line "archbuild: linux/arm64: no emulation for foreign RUN steps: this kernel has no private binfmt_misc instances (Linux < 6.7) and no entry in the host's binfmt_misc handles it; run 'binfmt --install arm64' as root, or enable archway-binfmt.service with it in /etc/archway/binfmt.conf"
        assert_output --partial "the host's binfmt_misc entry qemu-aarch64 (another registrar's, /usr/bin/qemu-aarch64-static) has no flag F, so it cannot run programs inside a build's root; run 'binfmt --install arm64'"
        [[ $(grep -c '^rc=1$' <<<"$output") -eq 2 ]]
        refute_output --partial '#1/'
}
