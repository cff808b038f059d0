# archway: one non-recursive makefile.
#
#   make [all]      build lib/, the programs and the shim into build/
#   make check      install deps, build, run unit tests (ASan+UBSan) and CLI tests
#   make demo       the main job on the bundled example
#   make bench      benchmarks (bench/*), each printing a ratio against a named peer
#   make fuzz       libFuzzer targets (fuzz/), FUZZ_TIME seconds each (make check: a smoke run)
#   make qemu       build and cache our user-mode QEMU (scripts/build-qemu)
#   make install    PREFIX=/usr/local DESTDIR= (also our QEMU and its QEMU+shim builds, QEMU_TARGETS)
#   make deb        the Debian package (debian/, dpkg-buildpackage), then lintian
#   make image      the installer image (image/Dockerfile): docker-archive and OCI layout in build/image
#   make clean
#
# New files need no edits here: lib/*.c form libarchway.a, each program folder's *.c form that
# program, each tests/unit/test-*.c forms one cmocka binary.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/libexec/archway
MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR  ?= /etc
DESTDIR     ?=

# Where the shim and tools look for our QEMU and helpers by default.
ARCHWAY_LIBEXECDIR ?= $(LIBEXECDIR)
QEMU_CACHE_DIR     ?= /var/cache/archway

CC       ?= gcc
# The one version of every program (--version); debian/rules passes the changelog's.
VERSION  ?= 0.1.0
# Quiet rules unless V=1.
Q        := $(if $(V),,@)
say       = $(if $(V),,@printf '  %-6s %s\n' $(1) $(2);)
O        ?= build
PKGS     := libelf json-c libarchive libcurl libcrypto libzstd zlib libcap libsystemd capstone
WARN     := -Wall -Wextra -Wshadow -Wpointer-arith -Wmissing-prototypes -Wstrict-prototypes \
            -Wformat=2 -Wno-unused-parameter -Wno-missing-field-initializers -Werror=implicit-function-declaration
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -D_GNU_SOURCE -Ilib -I$(O)/gen -MMD -MP \
             -DARCHWAY_LIBEXECDIR='"$(ARCHWAY_LIBEXECDIR)"' -DARCHWAY_SYSCONFDIR='"$(SYSCONFDIR)"' \
             -DARCHWAY_VERSION='"$(VERSION)"'
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Zydis (the x86-64 decoder of the isa scan) ships no pkg-config file.
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lZydis -lpthread
SANITIZE  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

PROGRAMS   := binfmt check-arch archbuild
# archway (folder archway/): the umbrella command; today `archway accel` (docs/accel.md).
PROGRAMS   += archway
# A program's sources are in the folder of its name, except archbuild's, which live in builder/ (the
# folder names the role, the binary the command). program_dir maps a program to its folder.
program_dir = $(if $(filter archbuild,$(1)),builder,$(1))
PROGRAM_DIRS = $(foreach p,$(PROGRAMS),$(call program_dir,$(p)))
LIB_SRC    := $(wildcard lib/*.c)
UNIT_SRC   := $(wildcard tests/unit/test-*.c)

# Objects of one variant: $(call objs,VARIANT_DIR,SOURCES)
objs = $(patsubst %.c,$(1)/%.o,$(2))

LIB_OBJ      := $(call objs,$(O),$(LIB_SRC))
LIB_A        := $(O)/libarchway.a
PROGRAM_BINS := $(addprefix $(O)/bin/,$(PROGRAMS))

# The sanitizer variant builds lib/ again for the unit tests.
SAN          := $(O)/san
SAN_LIB_OBJ  := $(call objs,$(SAN),$(LIB_SRC))
SAN_LIB_A    := $(SAN)/libarchway.a
UNIT_BINS    := $(patsubst tests/unit/%.c,$(SAN)/tests/%,$(UNIT_SRC))

.PHONY: all check unit cli demo bench qemu install clean deps test-deps fixtures emulators fuzz fuzz-build image
.DEFAULT_GOAL := all

# The values compiled into the programs (paths, version) and the flags they are built with. The stamp
# is rewritten only when they change, and everything built depends on it: `make install PREFIX=/opt/y`
# after `make` rebuilds, so the installed binaries look in /opt/y, not where the first build pointed.
CONFIG_STAMP  := $(O)/config.stamp
config_values := VERSION=$(VERSION) PREFIX=$(PREFIX) BINDIR=$(BINDIR) LIBEXECDIR=$(LIBEXECDIR) \
                 ARCHWAY_LIBEXECDIR=$(ARCHWAY_LIBEXECDIR) SYSCONFDIR=$(SYSCONFDIR) CC=$(CC) CFLAGS=$(CFLAGS) \
                 CPPFLAGS=$(CPPFLAGS) LDFLAGS=$(LDFLAGS)
ifneq ($(file <$(CONFIG_STAMP)),$(config_values))
$(shell mkdir -p $(O))
$(file >$(CONFIG_STAMP),$(config_values))
endif

all: $(PROGRAM_BINS)

# --- compile rules ----------------------------------------------------------------------------

$(O)/%.o: %.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(SAN)/%.o: %.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) $(SANITIZE) $(PKG_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

$(SAN_LIB_A): $(SAN_LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

# Each program: every .c in its folder, linked against lib/.
define program_rule
$(O)/bin/$(1): $$(call objs,$(O),$$(filter-out %-gen.c,$$(wildcard $$(call program_dir,$(1))/*.c))) $(LIB_A)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# Unit tests may also test a program's pure modules: tests/unit/test-binfmt-foo.c links binfmt/foo.c
# when it exists (see unit_extra).
unit_extra = $(wildcard $(foreach p,$(PROGRAM_DIRS) shim,$(p)/$(patsubst test-$(p)-%,%,$(1)).c \
                                                       $(p)/$(patsubst test-$(p)-%,%,$(1))-*.c)) $(unit_deps_$(1))
# ... and the other modules of its program it needs, named here.
unit_deps_test-builder-dockerfile-scope := builder/dockerfile.c builder/dockerfile-expand.c builder/dockerfile-mount.c
unit_deps_test-check-arch-fs-model := check-arch/isa-read.c check-arch/isa-cache.c
unit_deps_test-check-arch-isa-read := check-arch/isa-cache.c tests/unit/tar-fixture.c tests/unit/elf-fixture.c
# The ELF images built in memory for lib/elf-id and lib/elf-sections.
unit_deps_test-elf-id := tests/unit/elf-fixture.c
unit_deps_test-elf-isa := tests/unit/elf-fixture.c
unit_deps_test-elf-id-headers := tests/unit/elf-fixture.c
unit_deps_test-elf-sections := tests/unit/elf-fixture.c
# Layer tarballs built in memory.
unit_deps_test-layer := tests/unit/tar-fixture.c
unit_deps_test-layer-extract := tests/unit/tar-fixture.c tests/unit/extract-fixture.c
unit_deps_test-layer-extract-refuse := tests/unit/tar-fixture.c tests/unit/extract-fixture.c
.SECONDEXPANSION:
$(SAN)/tests/%: tests/unit/%.c $$(call unit_extra,$$*) $(SAN_LIB_A) $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(SANITIZE) $(PKG_CFLAGS) -o $@ $< $(call unit_extra,$*) $(SAN_LIB_A) \
		$(PKG_LIBS) -lcmocka

# --- binfmt: generated probe programs ---------------------------------------------------------
# binfmt/probe-gen.c writes one tiny static ELF per QEMU target as C arrays into
# $(O)/gen/binfmt-probes.h (no committed blobs); lib/binfmt-probe.c (shared by binfmt and archbuild)
# and the table unit test include it.

BINFMT_PROBES_H := $(O)/gen/binfmt-probes.h

$(O)/gen/binfmt-probe-gen: binfmt/probe-gen.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $<

$(BINFMT_PROBES_H): $(O)/gen/binfmt-probe-gen
	$< >$@.tmp && mv $@.tmp $@

$(O)/lib/binfmt-probe.o $(SAN)/lib/binfmt-probe.o: $(BINFMT_PROBES_H)
$(SAN)/tests/test-binfmt-table: $(BINFMT_PROBES_H)

# systemd units from systemd/*.in with the install paths filled in; `make install` installs them.
BINFMT_UNITS := $(O)/systemd/archway-binfmt.service $(O)/systemd/archway-binfmt-check.service \
                $(O)/systemd/archway-binfmt-check.timer

$(O)/systemd/%: systemd/%.in $(CONFIG_STAMP)
	@mkdir -p $(@D)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' $< >$@

$(O)/systemd/%.timer: systemd/%.timer
	@mkdir -p $(@D)
	cp $< $@

.PHONY: install-binfmt
install: install-binfmt
# binfmt.conf ("arch = installed") is installed only where there is none: an admin's file stays.
install-binfmt: $(BINFMT_UNITS) $(O)/systemd/binfmt.conf
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/archway
	install -m 0644 $(BINFMT_UNITS) $(DESTDIR)$(UNITDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/archway/binfmt.conf ] || \
		install -m 0644 $(O)/systemd/binfmt.conf $(DESTDIR)$(SYSCONFDIR)/archway/binfmt.conf

# --- shim: archshim, the exec shim (docs/shim.md) --------------------------------------------
# Not in PROGRAMS: it runs on every foreign exec, also inside chroots, so it is linked -static from
# its own objects and only the lib/ files it needs (no libelf, json-c, ...). lib/elf-id.c is built
# again with -DELF_ID_NO_SECTIONS for it. shim/qemu-main.c is the entry of the linked QEMU+shim
# build (scripts/link-shim-qemu), not of this binary. Unit tests test-shim-*.c link shim/<name>.c.

# musl when installed (Debian: musl-tools): its static startup costs ~250 us less per exec than
# glibc's here (bench/shim, docs/shim.md), and the shim runs on every foreign exec.
SHIM_CC      ?= $(if $(shell command -v musl-gcc 2>/dev/null),musl-gcc,$(CC))
# (emulator-paths.c: where QEMU is; qemu-locate.c and file-util.c only for --version, which reads the
# installed QEMU's manifest.)
SHIM_LIB_SRC := lib/elf-id.c lib/platform.c lib/isa-table.c lib/qemu-cpu.c lib/routes.c lib/routes-compile.c \
                lib/sha256.c lib/emulator-paths.c lib/qemu-locate.c lib/file-util.c \
                lib/time-util.c
SHIM_SRC     := $(filter-out shim/qemu-main.c,$(wildcard shim/*.c))
SHIM_OBJ     := $(call objs,$(O)/shim-static,$(SHIM_SRC) $(SHIM_LIB_SRC))
SHIM_BIN     := $(O)/libexec/archshim

$(O)/shim-static/%.o: %.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(SHIM_CC) $(ALL_CFLAGS) -DELF_ID_NO_SECTIONS -c $< -o $@

$(SHIM_BIN): $(SHIM_OBJ)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(SHIM_CC) $(CFLAGS) $(LDFLAGS) -Wl,--build-id -static -o $@ $^

all: $(SHIM_BIN)

# The linked QEMU+shim per target (docs/shim.md): needs our QEMU build tree, so not part of all.
.PHONY: shim-qemu install-shim
shim-qemu:
	@CFLAGS="$(SHIM_QEMU_CFLAGS)" SYSCONFDIR="$(SYSCONFDIR)" scripts/link-shim-qemu --out $(O)/libexec \
		$(if $(TARGETS),--targets "$(TARGETS)")

install: install-shim
install-shim: $(SHIM_BIN)
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(SHIM_BIN) $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 docs/man/archshim.8 $(DESTDIR)$(MANDIR)/man8/

# --- accel: archway-twin-launch (docs/accel.md) ----------------------------------------------
# Hard-linked into ROOT/.archway/native for every twinned tool; runs the copied host loader on the
# copied program. Static and allocation-free like the shim (it starts once per compiler process), so
# it gets its own rule, with the shim's compiler.
TWIN_LAUNCH := $(O)/libexec/archway-twin-launch

$(TWIN_LAUNCH): twin/launch.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(SHIM_CC) $(ALL_CFLAGS) $(LDFLAGS) -Wl,--build-id -static -o $@ $<

# accel-verify beside it in the build tree, as installed: `archway accel install --verify` finds it
# next to its own binary (../libexec), and it finds archshim beside itself.
$(O)/libexec/accel-verify: scripts/accel-verify
	@mkdir -p $(@D)
	cp $< $@
# accel-perl and the module it installs (twin/perl-twin.pm), beside it: `archway accel install` runs it.
$(O)/libexec/accel-perl: scripts/accel-perl
	@mkdir -p $(@D)
	cp $< $@
$(O)/libexec/perl-twin.pm: twin/perl-twin.pm
	@mkdir -p $(@D)
	cp $< $@

all: $(TWIN_LAUNCH) $(O)/libexec/accel-verify $(O)/libexec/accel-perl $(O)/libexec/perl-twin.pm
install: install-accel
.PHONY: install-accel
install-accel: $(TWIN_LAUNCH)
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(TWIN_LAUNCH) $(DESTDIR)$(LIBEXECDIR)/archway-twin-launch
	install -m 0755 scripts/accel-verify $(DESTDIR)$(LIBEXECDIR)/accel-verify
	install -m 0755 scripts/accel-perl $(DESTDIR)$(LIBEXECDIR)/accel-perl
	install -m 0644 twin/perl-twin.pm $(DESTDIR)$(LIBEXECDIR)/perl-twin.pm

# --- tests ------------------------------------------------------------------------------------

deps:
	@scripts/install-deps build

test-deps:
	@scripts/install-deps build test peers fuzz

fixtures: test-deps
	@scripts/fetch-fixtures

# The QEMU targets the tests and the demo need; make qemu builds the rest. Both share one cache
# (scripts/build-qemu), so a second make check rebuilds nothing.
TEST_QEMU_TARGETS ?= aarch64 arm
# check-arch's CPU-level tests also run x86-64 programs under qemu-x86_64 -cpu MODEL (no shim needed).
ISA_QEMU_TARGETS  ?= x86_64
qemu_dir_cmd = scripts/build-qemu --cache-dir $(QEMU_CACHE_DIR) --print-dir --targets "$(TEST_QEMU_TARGETS) $(ISA_QEMU_TARGETS)"

# Our QEMU for the test targets, and the same QEMU with the shim linked in ($(O)/libexec).
emulators: deps
	@$(qemu_dir_cmd) >/dev/null
	@CFLAGS="$(SHIM_QEMU_CFLAGS)" SYSCONFDIR="$(SYSCONFDIR)" scripts/link-shim-qemu --cache-dir $(QEMU_CACHE_DIR) \
		--out $(O)/libexec --targets "$(TEST_QEMU_TARGETS)"

check: test-deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) emulators fuzz-build $(O)/image/binfmt
	@scripts/fetch-fixtures
	@$(MAKE) --no-print-directory buildd-root twin-tools
	$(if $(ARCHWAY_CROSS_GCC),@$(MAKE) --no-print-directory cross-gcc)
	$(if $(CHECK_DEB),@$(MAKE) --no-print-directory deb-test)
	@$(if $(CHECK_DEB),ARCHWAY_VM_DEB=$(DEB_FILE) )ARCHWAY_QEMU_DIR=$$($(qemu_dir_cmd)) FUZZ_DIR=$(FUZZ_O) scripts/run-tests $(UNIT_BINS)

# The compiler proper (cc1, cc1plus, lto1) of the test root's exact gcc version, when the host's cross
# gcc is built from another revision (docs/accel.md, "Hardened compiles"). Cached by version under
# $(QEMU_CACHE_DIR)/cross-gcc. Opt-in (make cross-gcc, or ARCHWAY_CROSS_GCC=1 make check): a first
# build is gcc's whole backend at -O2, too long to risk in CI's first run on a busy 2-core host. A
# failure only warns; the tests that need it skip, saying why.
.PHONY: cross-gcc
cross-gcc:
	@scripts/build-cross-gcc --if-needed --cache-dir $(QEMU_CACHE_DIR) \
		--root $${ARCHWAY_FIXTURES:-$(QEMU_CACHE_DIR)/fixtures}/gcc-root-arm64 || \
		echo "make cross-gcc: failed (see above); hardened compiles stay emulated, their tests skip"

# The configured arm64 bookworm buildd root of scripts/pkgbuild-roots (bench/pkgbuild's): the tests of
# the twins the extracted fixture cannot show (bash, m4, mawk, perl with debhelper) run in it. About
# 15 minutes once (its maintainer scripts run under our QEMU in a private binfmt_misc), cached by its
# package list; a failure only warns (those tests skip, saying why).
.PHONY: buildd-root
buildd-root:
	@O=$(O) scripts/pkgbuild-roots arm64 >/dev/null || \
		echo "make buildd-root: failed (see above); the tests that need a buildd root skip"

# Build tools that compile the target machine in (make: $(MAKE_HOST)), built natively from the test
# root's exact Debian source version (docs/accel.md, "Build tools"). About a minute, cached by version
# under $(QEMU_CACHE_DIR)/twin-tools, so make check builds it; a failure only warns (its tests skip).
.PHONY: twin-tools
twin-tools:
	@scripts/build-twin-tools --cache-dir $(QEMU_CACHE_DIR) \
		--root $${ARCHWAY_FIXTURES:-$(QEMU_CACHE_DIR)/fixtures}/gcc-root-arm64 || \
		echo "make twin-tools: failed (see above); make stays emulated in twinned roots, its tests skip"
	@for r in $(QEMU_CACHE_DIR)/pkgbuild-roots/*/arm64; do [ ! -x $$r/bin/bash ] || \
		scripts/build-twin-tools --cache-dir $(QEMU_CACHE_DIR) --root $$r || \
		echo "make twin-tools: failed for $$r (see above); its bash tests skip"; done

unit: $(UNIT_BINS)
	@scripts/run-tests --unit-only $(UNIT_BINS)

cli: all
	@scripts/run-tests --cli-only

demo: test-deps
	@$(MAKE) --no-print-directory all emulators
	@scripts/fetch-fixtures
	@scripts/fetch-fixtures gcc-root-amd64
	@ARCHWAY_QEMU_DIR=$$($(qemu_dir_cmd)) scripts/demo

bench: test-deps
	@$(MAKE) --no-print-directory all
	@scripts/fetch-fixtures
	@for b in bench/*; do [ -x "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done; true

qemu: deps
	@ARCHWAY_CACHE_DIR=$(QEMU_CACHE_DIR) scripts/build-qemu

# --- fuzz: libFuzzer targets under ASan+UBSan (docs/security.md) -------------------------------
# fuzz/fuzz-NAME.c is one target; lib/ is built again with coverage instrumentation. A target may
# also take a program's pure module (fuzz_extra). make fuzz runs each for FUZZ_TIME seconds with the
# seed corpora (fuzz/corpus/NAME in the tree, and seeds scripts/fuzz generates from fixtures);
# make check runs each for FUZZ_SMOKE_TIME seconds, after the saved regression inputs.

FUZZ_CC         ?= clang
FUZZ_TIME       ?= 60
FUZZ_SMOKE_TIME ?= 4
FUZZ_O          := $(O)/fuzz
FUZZ_SRC        := $(wildcard fuzz/fuzz-*.c)
FUZZ_BINS       := $(patsubst fuzz/%.c,$(FUZZ_O)/bin/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ    := $(call objs,$(FUZZ_O),$(LIB_SRC))
FUZZ_LIB_A      := $(FUZZ_O)/libarchway.a
FUZZ_CFLAGS      = -std=gnu11 -g -O1 -D_GNU_SOURCE -Ilib -I$(O)/gen -MMD -MP -fno-omit-frame-pointer \
                   -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                   -DARCHWAY_LIBEXECDIR='"$(ARCHWAY_LIBEXECDIR)"' -DARCHWAY_SYSCONFDIR='"$(SYSCONFDIR)"'
fuzz_extra = $(if $(filter fuzz-binfmt-config,$(1)),binfmt/config.c) \
             $(if $(filter fuzz-dockerfile,$(1)),builder/dockerfile.c builder/dockerfile-expand.c builder/dockerfile-mount.c)

$(FUZZ_O)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

$(FUZZ_O)/lib/binfmt-probe.o: $(BINFMT_PROBES_H)

$(FUZZ_LIB_A): $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

$(FUZZ_O)/bin/%: fuzz/%.c fuzz/fuzz.h $(FUZZ_LIB_A)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(call fuzz_extra,$*) \
		$(FUZZ_LIB_A) $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: test-deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fetch-fixtures
	@scripts/fuzz --dir $(FUZZ_O) --time $(FUZZ_TIME) $(FUZZ_TARGETS)

# --- install ----------------------------------------------------------------------------------

# Everything the registrar can register: our QEMU in LIBEXECDIR/qemu/ for QEMU_TARGETS and, for each
# of them, the QEMU+shim build LIBEXECDIR/qemu-<target>-archway (what `binfmt --install ARCH --shim`
# registers; the only shim that works inside chroots and containers). Both come from the shared cache
# (scripts/build-qemu, scripts/link-shim-qemu); scripts/install-emulators says what it has to build
# and how long that took. QEMU_TARGETS= (empty) installs no emulator.
# The shim objects linked into QEMU get SHIM_QEMU_CFLAGS, not CFLAGS: QEMU's own link keeps QEMU's flags,
# and one set of flags for every build (make check, make install, make deb) lets all of them share the
# cached links (scripts/link-shim-qemu keys them by compiler, flags and sources).
# TARGETS= is accepted too (the name `make shim-qemu` and the VM test use).
QEMU_TARGETS ?= $(or $(TARGETS),$(shell scripts/build-qemu --print-default-targets))
SHIM_QEMU_CFLAGS ?=

.PHONY: install-emulators
install: install-emulators
install-emulators: $(CONFIG_STAMP)
	$(if $(strip $(QEMU_TARGETS)),@CFLAGS="$(SHIM_QEMU_CFLAGS)" SYSCONFDIR="$(SYSCONFDIR)" scripts/install-emulators \
		--cache-dir $(QEMU_CACHE_DIR) --libexec $(DESTDIR)$(LIBEXECDIR) --build $(O)/libexec --targets "$(QEMU_TARGETS)")

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(PROGRAM_BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(wildcard docs/man/*.1) $(DESTDIR)$(MANDIR)/man1/

# --- the installer image (image/Dockerfile, docs/docker.md) --------------------------------------

# FROM scratch: a static binfmt (Debian ships libelf.a and libcap.a; libsystemd only shared, so
# binfmt/notify.c is compiled without it), our static QEMU for IMAGE_TARGETS and their QEMU+shim
# builds, built by archbuild for the host's platform. IMAGE_O/archway-binfmt.tar is for docker load,
# IMAGE_O/oci an OCI image layout (skopeo copy oci:build/image/oci docker://...).
IMAGE_O       := $(O)/image
IMAGE_TAG     ?= archway/binfmt:$(VERSION)
IMAGE_TARGETS ?= $(QEMU_TARGETS)
IMAGE_BINFMT_OBJ := $(filter-out $(O)/binfmt/notify.o,$(call objs,$(O),$(filter-out %-gen.c,$(wildcard binfmt/*.c))))

$(IMAGE_O)/notify.o: binfmt/notify.c $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) -DARCHWAY_NO_SYSTEMD=1 -c $< -o $@

$(IMAGE_O)/binfmt: $(IMAGE_BINFMT_OBJ) $(IMAGE_O)/notify.o $(LIB_A)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -static -o $@ $^ -lelf -lzstd -lz -lcap -lpthread

image: deps
	@$(MAKE) --no-print-directory all $(IMAGE_O)/binfmt
	@CFLAGS="$(SHIM_QEMU_CFLAGS)" SYSCONFDIR="$(SYSCONFDIR)" scripts/link-shim-qemu --cache-dir $(QEMU_CACHE_DIR) \
		--out $(IMAGE_O)/libexec --targets "$(IMAGE_TARGETS)"
	@ARCHBUILD=$(O)/bin/archbuild scripts/make-image --binfmt $(IMAGE_O)/binfmt \
		--qemu-dir "$$(scripts/build-qemu --cache-dir $(QEMU_CACHE_DIR) --print-dir --targets "$(IMAGE_TARGETS)")" \
		--shim-dir $(IMAGE_O)/libexec --libexecdir $(ARCHWAY_LIBEXECDIR) --targets "$(IMAGE_TARGETS)" \
		--tag $(IMAGE_TAG) --out $(IMAGE_O)

# --- Debian package ---------------------------------------------------------------------------

# debian/ with debhelper (dpkg-buildpackage -us -uc -b), then lintian; the .deb lands in $(O)/deb/.
# deb-test installs, removes and purges it in a fresh Debian 12 chroot (scripts/test-deb).
#
# Not part of `make check`: the package needs all nine QEMU targets and their
# nine shim links where the tests need two, so a first CI run would grow by about 12 minutes (QEMU
# 6.5, links 6) and every change to shim/ by 6 minutes of relinking; a cached run by about 4.5
# minutes (dpkg-deb compresses ~100 MB of QEMU, lintian, the chroot) on top of today's 3-4; and the
# chroot test fetches its dependencies from the mirror on every run. What the package installs is
# what `make install` installs, which tests/cli/install.bats covers in every `make check`.
# `make check CHECK_DEB=1` adds it, and the VM boot test (tests/cli/vm.bats) then installs this .deb
# in its guest with apt (ARCHWAY_VM_DEB) instead of `make install`.
DEB_FILE = $(abspath $(O))/deb/archway_$(VERSION)_$$(dpkg --print-architecture).deb
.PHONY: deb deb-test print-version
deb:
	@scripts/make-deb --out $(O)/deb

deb-test: deb
	@scripts/test-deb $(DEB_FILE)

print-version:
	@echo $(VERSION)

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
