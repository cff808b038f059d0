# archway: one non-recursive makefile.
#
#   make [all]      build lib/, the programs and the shim into build/
#   make check      install deps, build, run unit tests (ASan+UBSan) and CLI tests
#   make demo       the main job on the bundled example
#   make bench      benchmarks (bench/*), each printing a ratio against a named peer
#   make qemu       build and cache our user-mode QEMU (scripts/build-qemu)
#   make install    PREFIX=/usr/local DESTDIR=
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
# Quiet rules unless V=1.
Q        := $(if $(V),,@)
say       = $(if $(V),,@printf '  %-6s %s\n' $(1) $(2);)
O        ?= build
PKGS     := libelf json-c libarchive libcurl libcrypto libzstd zlib libcap libsystemd
WARN     := -Wall -Wextra -Wshadow -Wpointer-arith -Wmissing-prototypes -Wstrict-prototypes \
            -Wformat=2 -Wno-unused-parameter -Wno-missing-field-initializers -Werror=implicit-function-declaration
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -Ilib -I$(O)/gen -MMD -MP \
             -DARCHWAY_LIBEXECDIR='"$(ARCHWAY_LIBEXECDIR)"' -DARCHWAY_SYSCONFDIR='"$(SYSCONFDIR)"'
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
SANITIZE  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

PROGRAMS   := binfmt check-arch
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

.PHONY: all check unit cli demo bench qemu install clean deps test-deps fixtures
.DEFAULT_GOAL := all

all: $(PROGRAM_BINS)

# --- compile rules ----------------------------------------------------------------------------

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(SAN)/%.o: %.c
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
$(O)/bin/$(1): $$(call objs,$(O),$$(filter-out %-gen.c,$$(wildcard $(1)/*.c))) $(LIB_A)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$$(CC) $$(CFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# Unit tests may also test a program's pure modules: tests/unit/test-binfmt-foo.c links binfmt/foo.c
# when it exists (see unit_extra).
unit_extra = $(wildcard $(foreach p,$(PROGRAMS),$(p)/$(patsubst test-$(p)-%,%,$(1)).c))
$(SAN)/tests/%: tests/unit/%.c $(SAN_LIB_A)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(SANITIZE) $(PKG_CFLAGS) -o $@ $< $(call unit_extra,$*) $(SAN_LIB_A) \
		$(PKG_LIBS) -lcmocka

# --- tests ------------------------------------------------------------------------------------

deps:
	@scripts/install-deps build

test-deps:
	@scripts/install-deps build test peers

fixtures: test-deps
	@scripts/fetch-fixtures

check: test-deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@scripts/fetch-fixtures
	@scripts/run-tests $(UNIT_BINS)

unit: $(UNIT_BINS)
	@scripts/run-tests --unit-only $(UNIT_BINS)

cli: all
	@scripts/run-tests --cli-only

demo: test-deps
	@$(MAKE) --no-print-directory all
	@scripts/fetch-fixtures
	@scripts/demo

bench: test-deps
	@$(MAKE) --no-print-directory all
	@scripts/fetch-fixtures
	@for b in bench/*; do [ -x "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done; true

qemu: deps
	@scripts/build-qemu

# --- install ----------------------------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(PROGRAM_BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(wildcard docs/man/*.1) $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
