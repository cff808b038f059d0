#!/usr/bin/env bats
# archway with a real Docker engine: Debian's dockerd and containerd, started by tests/cli/docker-daemon
# in a disposable user namespace with its own binfmt_misc instance (Linux >= 6.7), so BuildKit and runc
# see only the entries these tests register, and the host's global binfmt_misc is never touched.
# Bases come from archbuild (docker load of a docker-archive), never from Docker Hub; builds run with
# --network none. Covered: docker run and BuildKit RUN steps of linux/arm64 through archway's entries
# (bare QEMU and the shim), the twins recipe (RUN --mount=type=bind,from=<twins image>) with its
# objects compiled by the twins and nothing of them left in the image, and check-arch on docker save;
# the installer image (make image) against the engine's binfmt_misc and through a loopback registry;
# trixie's dockerd 26.1 with the containerd image store and buildx 0.13 (scripts/docker-trixie) for
# multi-platform --output type=oci and --push, each output checked by check-arch.

load helpers

setup_file() {
        export STORE="$BATS_FILE_TMPDIR/store" IMAGES="$BATS_FILE_TMPDIR/images"
        mkdir -p "$IMAGES"
        [[ -x $ARCHBUILD ]] || return 0
        ARCHBUILD=$ARCHBUILD "$REPO/scripts/make-base-image" --platform linux/arm64 --store "$STORE" bb:arm64 >/dev/null 2>&1 || true
        # docker-archives of store images: a build that only names them writes them out.
        printf 'FROM bb:arm64\n' >"$BATS_FILE_TMPDIR/Dockerfile.bb"
        "$ARCHBUILD" --store "$STORE" --platform linux/arm64 -f "$BATS_FILE_TMPDIR/Dockerfile.bb" -t bb:arm64 \
                -o "type=docker-archive,dest=$IMAGES/bb.tar" "$BATS_FILE_TMPDIR" >/dev/null 2>&1 || true
}

setup() {
        [[ $(id -u) -eq 0 ]] || skip "the Docker engine's namespace needs a full uid map (root)"
        command -v dockerd >/dev/null || skip "dockerd is not installed (scripts/install-deps docker)"
        require_binfmt_ns
        [[ -s $IMAGES/bb.tar ]] || skip "no arm64 base (scripts/make-base-image needs Debian's mirror)"
        [[ -n ${ARCHWAY_QEMU_DIR:-} && -x $ARCHWAY_QEMU_DIR/qemu-aarch64 ]] ||
                skip "needs our QEMU (ARCHWAY_QEMU_DIR, as make check sets it)"
        # --shim registers the QEMU+shim build beside archshim (build/libexec).
        export CONF=$BATS_TEST_TMPDIR/binfmt.conf
        printf 'shim = %s\n' "$ARCHSHIM" >"$CONF"
}

# in_docker 'script': bash -c script next to a fresh engine; BINFMT, ARCHWAY_QEMU_DIR, IMAGES, ... exported.
in_docker() {
        "$REPO/tests/cli/docker-daemon" "$BATS_TEST_TMPDIR/engine" bash -c "set -e; $1"
}

@test "docker run and BuildKit RUN of linux/arm64 go through archway's entries: bare QEMU, then the shim" {
        [[ -x $BUILD/libexec/qemu-aarch64-archway ]] || skip "no QEMU+shim build (make emulators)"
        printf 'FROM bb:arm64\nRUN busybox uname -m > /m\n' >"$BATS_TEST_TMPDIR/Dockerfile"
        run in_docker '
                docker load -q -i "$IMAGES/bb.tar" >/dev/null
                "$BINFMT" --config "$CONF" -q --install arm64 >/dev/null
                grep ^interpreter /proc/sys/fs/binfmt_misc/qemu-aarch64
                docker run --rm --network none --platform linux/arm64 bb:arm64 busybox uname -m
                DOCKER_BUILDKIT=1 docker build -q --network none --platform linux/arm64 -t t:qemu "$BATS_TEST_TMPDIR" >/dev/null
                docker run --rm --network none --platform linux/arm64 t:qemu busybox cat /m
                "$BINFMT" --config "$CONF" -q --uninstall arm64 >/dev/null
                "$BINFMT" --config "$CONF" -q --install arm64 --shim >/dev/null
                grep ^interpreter /proc/sys/fs/binfmt_misc/qemu-aarch64
                docker run --rm --network none --platform linux/arm64 -e ARCHWAY_SHIM_DEBUG=1 bb:arm64 busybox uname -m 2>&1
                DOCKER_BUILDKIT=1 docker build -q --no-cache --network none --platform linux/arm64 -t t:shim "$BATS_TEST_TMPDIR" >/dev/null
                docker run --rm --network none --platform linux/arm64 t:shim busybox cat /m'
        assert_success
        assert_line --index 0 "interpreter $ARCHWAY_QEMU_DIR/qemu-aarch64"
        assert_line --index 1 aarch64
        assert_line --index 2 aarch64
        assert_line --index 3 --regexp '^interpreter /.*/qemu-aarch64-archway$'
        assert_line --partial 'archshim'
        [[ $(grep -c '^aarch64$' <<<"$output") -eq 4 ]]
}

# The gcc base and its twins image, as docker-archives (made once per file, ~1 minute).
gcc_images() {
        [[ -s $IMAGES/twins.tar ]] && return 0
        local root
        root=$(fixture gcc-root-arm64.tar)
        [[ -x /usr/bin/aarch64-linux-gnu-gcc-12 ]] || skip "the host has no aarch64-linux-gnu-gcc-12 for the twins"
        "$ARCHBUILD" import --store "$STORE" --platform linux/arm64 "$root" gcc:arm64 >/dev/null
        "$ARCHBUILD" twins --store "$STORE" --platform linux/arm64 gcc:arm64 twins:arm64 >/dev/null
        for n in gcc twins; do
                printf 'FROM %s:arm64\n' $n >"$BATS_FILE_TMPDIR/Dockerfile.$n"
                "$ARCHBUILD" --store "$STORE" --platform linux/arm64 -f "$BATS_FILE_TMPDIR/Dockerfile.$n" -t $n:arm64 \
                        -o "type=docker-archive,dest=$IMAGES/$n.tar" "$BATS_FILE_TMPDIR" >/dev/null
        done
}

@test "twins recipe: RUN --mount=type=bind,from=<twins image> compiles natively under BuildKit; same objects; nothing left" {
        [[ -x $BUILD/libexec/qemu-aarch64-archway ]] || skip "no QEMU+shim build (make emulators)"
        gcc_images
        mkdir -p "$BATS_TEST_TMPDIR/ctx"
        printf 'int twice(int x) { return 2 * x; }\nint main(void) { return twice(21) != 42; }\n' >"$BATS_TEST_TMPDIR/ctx/t.c"
        cat >"$BATS_TEST_TMPDIR/ctx/Dockerfile" <<'EOF'
FROM gcc:arm64
COPY t.c /src/
ENV ARCHWAY_ACCEL_LOG=/src/accel.log
RUN --mount=type=bind,from=twins:arm64,source=/.archway,target=/.archway \
    cd /src && ARCHWAY_SHIM_DEBUG=1 gcc -O2 -g -c t.c -o t.o 2>/src/shim.log
EOF
        # The same build without the mount: the Dockerfile's RUN line with the --mount dropped.
        sed -e 's/--mount=[^ ]* //' "$BATS_TEST_TMPDIR/ctx/Dockerfile" >"$BATS_TEST_TMPDIR/ctx/Dockerfile.emulated"
        run in_docker '
                docker load -q -i "$IMAGES/gcc.tar" >/dev/null; docker load -q -i "$IMAGES/twins.tar" >/dev/null
                "$BINFMT" --config "$CONF" -q --install arm64 --shim >/dev/null
                cd "$BATS_TEST_TMPDIR/ctx"
                DOCKER_BUILDKIT=1 docker build -q --network none --platform linux/arm64 -t t:twins . >/dev/null
                DOCKER_BUILDKIT=1 docker build -q --network none --platform linux/arm64 -f Dockerfile.emulated -t t:emu . >/dev/null
                for t in twins emu; do
                        id=$(docker create --platform linux/arm64 t:$t /bin/true)
                        docker cp "$id:/src/t.o" "$BATS_TEST_TMPDIR/$t.o"
                        docker cp "$id:/src/shim.log" "$BATS_TEST_TMPDIR/$t.log"
                        docker export "$id" | tar -t | grep -c "^\.archway/." || true
                        docker cp "$id:/src/accel.log" "$BATS_TEST_TMPDIR/$t.accel.log" 2>/dev/null || echo "$t: no accel log"
                        docker rm "$id" >/dev/null
                done
                docker save -o "$BATS_TEST_TMPDIR/twins-built.tar" t:twins'
        assert_success
        # nothing of the twins in either image (docker 20.10's BuildKit 0.8 leaves the empty mount point /.archway; newer BuildKit removes it)
        assert_line --index 0 0
        assert_line --index 1 0
        # ARCHWAY_ACCEL_LOG (ENV) reached the RUN and names what ran native; without twins there is none
        assert_line --index 2 "emu: no accel log"
        refute_line "twins: no accel log"
        # the twin compiled one, the emulated root's gcc the other: the shim's debug lines say so
        # (.comment cannot: with a version-exact cc1 in the cache, scripts/build-cross-gcc, the twin's
        # version string is the root's own; without one it is the host cross gcc's 12.2.0-14)
        run grep -c 'route line [0-9]*: exec /.archway/native/' "$BATS_TEST_TMPDIR/twins.log"
        assert_output 1
        run grep -c 'route line' "$BATS_TEST_TMPDIR/emu.log"
        assert_output 0
        run cat "$BATS_TEST_TMPDIR/twins.accel.log"
        assert_line $'twinned\t/usr/bin/gcc\t/.archway/native/usr/bin/aarch64-linux-gnu-gcc-12'
        assert_line $'twinned\t/bin/sh\t/.archway/native/bin/dash'
        run "$BUILD/bin/archway" accel report "$BATS_TEST_TMPDIR/twins.accel.log"
        assert_success
        assert_line "compiler drivers: 1 of 1 twinned (100.0 %)"
        # (readelf -p prints the string whole; objdump -s splits it across its hex dump's lines)
        run aarch64-linux-gnu-readelf -p .comment "$BATS_TEST_TMPDIR/emu.o"
        assert_output --partial '+deb12u1'
        # byte-identical once .comment (the version string) is removed
        for t in twins emu; do
                aarch64-linux-gnu-objcopy --remove-section .comment "$BATS_TEST_TMPDIR/$t.o" "$BATS_TEST_TMPDIR/$t.stripped.o"
        done
        cmp "$BATS_TEST_TMPDIR/twins.stripped.o" "$BATS_TEST_TMPDIR/emu.stripped.o"
        # check-arch proves docker save's output for linux/arm64
        run "$CHECK_ARCH" --platform linux/arm64 "docker-archive:$BATS_TEST_TMPDIR/twins-built.tar"
        assert_success
}

@test "twins under buildx 0.13 (trixie's dockerd): ARCHWAY_ACCEL_LOG in the step's files says what ran native; not in the read-only /.archway" {
        [[ -x $BUILD/libexec/qemu-aarch64-archway ]] || skip "no QEMU+shim build (make emulators)"
        local root
        root=$("$REPO/scripts/docker-trixie" 2>/dev/null) || skip "trixie's docker packages could not be fetched (Debian's mirror)"
        gcc_images
        mkdir -p "$BATS_TEST_TMPDIR/ctx"
        printf 'int twice(int x) { return 2 * x; }\n' >"$BATS_TEST_TMPDIR/ctx/t.c"
        # The log must be a file the step can write and keep: BuildKit >= 0.10 mounts /.archway
        # read-only (EROFS; 0.8 gives a writable layer that is thrown away with the mount).
        cat >"$BATS_TEST_TMPDIR/ctx/Dockerfile" <<'EOF'
FROM gcc:arm64
COPY t.c /src/
ENV ARCHWAY_ACCEL_LOG=/src/accel.log
RUN --mount=type=bind,from=twins:arm64,source=/.archway,target=/.archway \
    cd /src && gcc -O2 -c t.c -o t.o && \
    ARCHWAY_SHIM_DEBUG=1 ARCHWAY_ACCEL_LOG=/.archway/accel.log gcc -O2 -c t.c -o t2.o 2>/src/ro.log
EOF
        DOCKER_ROOT=$root run in_docker '
                docker load -q -i "$IMAGES/gcc.tar" >/dev/null; docker load -q -i "$IMAGES/twins.tar" >/dev/null
                "$BINFMT" --config "$CONF" -q --install arm64 --shim >/dev/null
                cd "$BATS_TEST_TMPDIR/ctx"
                docker buildx build -q --network none --platform linux/arm64 -t t:bx . >/dev/null
                id=$(docker create --platform linux/arm64 t:bx /bin/true)
                for f in accel.log ro.log t.o t2.o; do docker cp "$id:/src/$f" "$BATS_TEST_TMPDIR/bx.$f"; done'
        assert_success
        run cat "$BATS_TEST_TMPDIR/bx.accel.log"
        assert_line $'twinned\t/usr/bin/gcc\t/.archway/native/usr/bin/aarch64-linux-gnu-gcc-12'
        [[ $(grep -c $'^twinned\t/usr/bin/gcc\t' <<<"$output") -eq 1 ]] # the second gcc logged nowhere
        run "$BUILD/bin/archway" accel report "$BATS_TEST_TMPDIR/bx.accel.log"
        assert_line "compiler drivers: 1 of 1 twinned (100.0 %)"
        run cat "$BATS_TEST_TMPDIR/bx.ro.log"
        assert_output --partial "route line"
        assert_output --partial "ARCHWAY_ACCEL_LOG /.archway/accel.log: cannot append: Read-only file system"
        cmp "$BATS_TEST_TMPDIR/bx.t.o" "$BATS_TEST_TMPDIR/bx.t2.o"
}

# The installer image: IMAGE_TAR (make image's, all default targets) or one built here by the same
# scripts/make-image from the test targets' QEMU and QEMU+shim builds (made once per file).
installer_image() {
        if [[ -n ${IMAGE_TAR:-} ]]; then
                INSTALLER_TAR=$IMAGE_TAR INSTALLER_OCI=${IMAGE_OCI:-$(dirname "$IMAGE_TAR")/oci}
                INSTALLER_TAG=${IMAGE_TAG:?IMAGE_TAG names the tag of IMAGE_TAR}
                return 0
        fi
        INSTALLER_TAR=$IMAGES/installer/archway-binfmt.tar INSTALLER_OCI=$IMAGES/installer/oci
        INSTALLER_TAG=archway/binfmt:test
        [[ -s $INSTALLER_TAR ]] && return 0
        [[ -x $BUILD/image/binfmt ]] || skip "no static binfmt (make build/image/binfmt)"
        [[ -x $BUILD/libexec/qemu-arm-archway ]] || skip "no QEMU+shim builds (make emulators)"
        "$REPO/scripts/make-image" --binfmt "$BUILD/image/binfmt" --qemu-dir "$ARCHWAY_QEMU_DIR" \
                --shim-dir "$BUILD/libexec" --libexecdir "$(libexecdir_of "$BUILD/image/binfmt")" \
                --targets "aarch64 arm" --tag "$INSTALLER_TAG" --out "$IMAGES/installer" 2>/dev/null
}

# Where a binfmt looks for our QEMU by default (what --version prints without $ARCHWAY_QEMU_DIR).
libexecdir_of() {
        env -u ARCHWAY_QEMU_DIR "$1" --config /dev/null --version | sed -n 's|^qemu: .* in \(/.*\)/qemu\( .*\)\{0,1\}$|\1|p' | head -1
}

@test "installer image: FROM scratch, static; no arguments print the JSON; --install, --uninstall, --shim in the engine's binfmt_misc" {
        installer_image
        export INSTALLER_TAR INSTALLER_TAG
        libexec=$(libexecdir_of "$BUILD/image/binfmt")
        [[ -n $libexec ]]
        run readelf -lW "$BUILD/image/binfmt"
        assert_success
        refute_output --partial 'Requesting program interpreter'
        run in_docker '
                docker load -q -i "$INSTALLER_TAR" >/dev/null
                img() { docker run --rm --privileged "$INSTALLER_TAG" "$@" 2>/dev/null; }
                docker image inspect -f "{{.Os}}/{{.Architecture}} {{json .Config.Entrypoint}} {{len .RootFS.Layers}}" "$INSTALLER_TAG"
                img | jq -c "[keys_unsorted[0:2], (.emulators | length)]"
                img --install arm64 | jq -c ".emulators"
                grep -h "^interpreter\|^flags" /proc/sys/fs/binfmt_misc/qemu-aarch64
                docker load -q -i "$IMAGES/bb.tar" >/dev/null
                docker run --rm --network none --platform linux/arm64 bb:arm64 busybox uname -m
                img --uninstall arm64 | jq -c ".emulators"
                ls /proc/sys/fs/binfmt_misc
                if docker run --rm --network none --platform linux/arm64 bb:arm64 busybox uname -m 2>/dev/null; then
                        echo "arm64 still runs"; fi
                img --install arm64 --shim | jq -c ".handlers[\"linux/arm64\"].owner"
                grep -h "^interpreter" /proc/sys/fs/binfmt_misc/qemu-aarch64
                docker run --rm --network none --platform linux/arm64 -e ARCHWAY_SHIM_DEBUG=1 bb:arm64 busybox uname -m 2>&1'
        assert_success
        assert_line --index 0 'linux/amd64 ["/usr/bin/binfmt"] 4'
        # no arguments: tonistiigi's two keys first, nothing registered yet in this engine's instance
        assert_line --index 1 '[["supported","emulators"],0]'
        assert_line --index 2 '["qemu-aarch64"]'
        # the interpreter is the image's QEMU, pinned by F: it keeps working after the container is gone
        assert_line --index 3 "interpreter $libexec/qemu/qemu-aarch64"
        assert_line --index 4 'flags: PF'
        assert_line --index 5 aarch64
        assert_line --index 6 '[]'
        assert_line --index 7 register
        assert_line --index 8 status
        refute_line 'arm64 still runs'
        assert_line --index 9 '"archway:shim"'
        assert_line --index 10 "interpreter $libexec/qemu-aarch64-archway"
        assert_line --partial 'archshim'
        assert_line aarch64
}

start_registry() {
        command -v docker-registry >/dev/null || skip "docker-registry not installed (scripts/install-deps peers)"
        REG_PORT=$(shuf -i 20000-45000 -n 1)
        printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
                "$BATS_TEST_TMPDIR/registry" "$REG_PORT" >"$BATS_TEST_TMPDIR/registry.yml"
        docker-registry serve "$BATS_TEST_TMPDIR/registry.yml" >"$BATS_TEST_TMPDIR/registry.log" 2>&1 &
        REG_PID=$!
        for _ in $(seq 300); do curl -sf "http://127.0.0.1:$REG_PORT/v2/" >/dev/null && return 0; sleep 0.1; done
        skip "registry did not start: $(cat "$BATS_TEST_TMPDIR/registry.log")"
}

teardown() {
        [[ -n ${REG_PID:-} ]] && kill "$REG_PID" 2>/dev/null || true
}

@test "installer image: the OCI layout pushed to a loopback registry reads back (skopeo), and docker pulls and runs it" {
        command -v skopeo >/dev/null || skip "skopeo not installed (scripts/install-deps peers)"
        installer_image
        start_registry
        local ref=127.0.0.1:$REG_PORT/archway/binfmt:test
        run skopeo copy -q --all --dest-tls-verify=false "oci:$INSTALLER_OCI:${INSTALLER_TAG##*:}" "docker://$ref"
        assert_success
        run skopeo inspect --tls-verify=false "docker://$ref"
        assert_success
        assert_output --partial '"Architecture": "amd64"'
        # the registry holds the layout's own index (same digest)
        run skopeo inspect --tls-verify=false --raw "docker://$ref"
        assert_success
        [[ sha256:$(printf '%s' "$output" | sha256sum | cut -d' ' -f1) == $(jq -r '.manifests[0].digest' "$INSTALLER_OCI/index.json") ]]
        # every ELF file of the image runs on linux/amd64 (the static binfmt, QEMU and QEMU+shim builds)
        run "$CHECK_ARCH" --platform linux/amd64 "oci:$INSTALLER_OCI"
        assert_success
        export ref
        run in_docker '
                docker pull -q "$ref" >/dev/null
                docker run --rm --privileged "$ref" --install arm64 2>/dev/null | jq -c ".emulators"'
        assert_success
        assert_output '["qemu-aarch64"]'
}

# The busybox base for linux/amd64 and linux/arm64 as one OCI layout (archbuild merge), made once.
multi_base() {
        [[ -s $IMAGES/multi/index.json ]] && return 0
        ARCHBUILD=$ARCHBUILD "$REPO/scripts/make-base-image" --platform linux/amd64 --store "$STORE" bb:amd64 >/dev/null 2>&1 ||
                skip "no amd64 base (scripts/make-base-image needs Debian's mirror)"
        "$ARCHBUILD" merge --store "$STORE" -t bb:multi bb:amd64 bb:arm64 >/dev/null
        printf 'FROM bb:multi\n' >"$BATS_FILE_TMPDIR/Dockerfile.multi"
        "$ARCHBUILD" --store "$STORE" --platform linux/amd64,linux/arm64 -f "$BATS_FILE_TMPDIR/Dockerfile.multi" -t bb:multi \
                -o "type=oci,dest=$IMAGES/multi" "$BATS_FILE_TMPDIR" >/dev/null
}

@test "trixie's dockerd 26.1 (containerd image store) and buildx 0.13: multi-platform --output type=oci and --push, each checked by check-arch" {
        command -v skopeo >/dev/null || skip "skopeo not installed (scripts/install-deps peers)"
        local root
        root=$("$REPO/scripts/docker-trixie" 2>/dev/null) || skip "trixie's docker packages could not be fetched (Debian's mirror)"
        multi_base
        start_registry
        # The base reaches BuildKit through the loopback registry: the containerd image store resolves
        # a multi-platform FROM there, never on Docker Hub.
        run skopeo copy -q --all --dest-tls-verify=false "oci:$IMAGES/multi:multi" "docker://127.0.0.1:$REG_PORT/bb:multi"
        assert_success
        mkdir -p "$BATS_TEST_TMPDIR/ctx"
        printf 'FROM 127.0.0.1:%s/bb:multi\nRUN busybox uname -m > /m && cat /etc/passwd > /p\n' "$REG_PORT" \
                >"$BATS_TEST_TMPDIR/ctx/Dockerfile"
        export REG_PORT
        DOCKER_ROOT=$root run in_docker '
                docker version --format "{{.Server.Version}}"
                docker info --format "{{.Driver}} {{index .DriverStatus 0 1}}"
                "$BINFMT" --config "$CONF" -q --install arm64 >/dev/null
                cd "$BATS_TEST_TMPDIR/ctx"
                docker buildx build -q --network none --platform linux/amd64,linux/arm64 \
                        --output "type=oci,dest=$BATS_TEST_TMPDIR/out.tar" . >/dev/null
                docker buildx build -q --network none --platform linux/amd64,linux/arm64 \
                        -t "127.0.0.1:$REG_PORT/t/multi:1" --push . >/dev/null
                for p in amd64 arm64; do
                        docker run --rm --network none --platform linux/$p "127.0.0.1:$REG_PORT/t/multi:1" busybox cat /m
                done'
        assert_success
        assert_line --index 0 --regexp '^26\.1\.'
        assert_line --index 1 'overlayfs io.containerd.snapshotter.v1'
        assert_line --index 2 x86_64
        assert_line --index 3 aarch64
        mkdir "$BATS_TEST_TMPDIR/out"
        tar -C "$BATS_TEST_TMPDIR/out" -xf "$BATS_TEST_TMPDIR/out.tar"
        for p in linux/amd64 linux/arm64; do
                run "$CHECK_ARCH" --platform "$p" "oci:$BATS_TEST_TMPDIR/out"
                assert_success
                assert_output --partial '0 platform checks failed'
                run "$CHECK_ARCH" --platform "$p" --insecure "docker://127.0.0.1:$REG_PORT/t/multi:1"
                assert_success
                assert_output --partial '0 platform checks failed'
        done
        # a platform the build did not produce fails the check
        run "$CHECK_ARCH" --platform linux/riscv64 --insecure "docker://127.0.0.1:$REG_PORT/t/multi:1"
        assert_failure
}
