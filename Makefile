# mmops - one non-recursive GNU make.  Sources are found by wildcard, so a new
# lib/ module, src/cmd_*.c, tests/unit/test_*.c or fuzz/fuzz_*.c needs no edit
# here.  Build output goes to $(O) (build/ by default, build-san/ for
# SANITIZE=...), so a normal and a sanitizer build can sit side by side.
include config.mk

ifneq ($(SANITIZE),)
O ?= build-san
SANFLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O ?= build
endif

# A fresh machine has no -dev packages yet: say how to get them instead of
# failing on "jansson.h: No such file or directory".  The targets that
# install them first (check, demo, bench, deps) and clean go on.
ifeq ($(filter deps deps-bench check demo bench loop clean,$(MAKECMDGOALS)),)
MISSING_PKGS := $(shell for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || echo $$p; done)
ifneq ($(MISSING_PKGS),)
$(error missing build dependencies ($(MISSING_PKGS)): run 'scripts/install-deps' (or 'make deps') first)
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(SANFLAGS) -iquote lib -DMMOPS_VERSION='"$(VERSION)"' \
	     $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o)
CMD_SRC  := $(wildcard src/*.c)
CMD_OBJ  := $(CMD_SRC:%.c=$(O)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/unit/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:fuzz/%.c=$(O)/fuzz/replay_%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(O)/bench/%)

LIBMMOPS = $(O)/libmmops.a
MMOPS    = $(O)/mmops

.PHONY: all check check-build demo deps deps-bench fuzz install clean bench unit cases loop
all: $(MMOPS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBMMOPS): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(MMOPS): $(CMD_OBJ) $(LIBMMOPS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(LIBMMOPS) $(LIBS)

# tests/unit/helpers.c: fixtures shared by several unit tests, in every binary.
$(O)/tests/unit/%: $(O)/tests/unit/%.o $(O)/tests/unit/helpers.o $(LIBMMOPS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(O)/tests/unit/helpers.o $(LIBMMOPS) $(CMOCKA_LIBS) $(LIBS)

# Corpus replay: the fuzz target linked with a plain main(), built by the
# normal compiler, so `make check` replays every corpus without clang.
$(O)/fuzz/replay_%: $(O)/fuzz/%.o $(O)/fuzz/replay.o $(LIBMMOPS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(O)/fuzz/replay.o $(LIBMMOPS) $(LIBS)

$(O)/bench/%: $(O)/bench/%.o $(LIBMMOPS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBMMOPS) $(LIBS)

check-build: $(MMOPS) $(UNIT_BIN) $(REPLAY_BIN) $(BENCH_BIN)

deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

# what only the benchmarks need (wrk, hyperfine, valgrind), on top of deps
deps-bench:
	@scripts/install-deps --check --bench >/dev/null 2>&1 || scripts/install-deps --bench

# The README's test command: every suite, then one closing count line.
check: deps
	@$(MAKE) --no-print-directory check-build
	@O=$(O) scripts/check

demo: deps
	@$(MAKE) --no-print-directory all
	@O=$(O) scripts/demo

unit: check-build
	@O=$(O) scripts/check unit

cases: check-build
	@O=$(O) scripts/check cases

# The production loop on one machine (sim, Prometheus, Alertmanager, mmops
# watch) with its timeline; LOOP_SPEED=K (default 60).  Also run by make check.
loop: deps
	@$(MAKE) --no-print-directory all
	@MMOPS=$(CURDIR)/$(MMOPS) bash tests/e2e/full_loop.sh

bench: deps-bench
	@$(MAKE) --no-print-directory $(MMOPS) $(BENCH_BIN)
	@O=$(O) bench/run-all

# libFuzzer binaries (clang): make fuzz; then build-fuzz/fuzz_X fuzz/corpus/X
# The library is compiled once, instrumented, and linked into every target.
FUZZ_O = build-fuzz
FUZZ_CFLAGS = $(CSTD) -O1 -g -iquote lib -DMMOPS_VERSION='"$(VERSION)"' $(PKG_CFLAGS) \
	      -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_LIB = $(FUZZ_O)/libmmops.a
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_O)/%)

$(FUZZ_O)/%.fo: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(LIB_SRC:%.c=$(FUZZ_O)/%.fo)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_O)/fuzz_%: $(FUZZ_O)/fuzz/fuzz_%.fo $(FUZZ_LIB)
	clang -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIB) $(PKG_LIBS) -lpthread -lm

fuzz: $(FUZZ_BIN)

install: $(MMOPS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/mmops
	install -m 755 $(MMOPS) $(DESTDIR)$(PREFIX)/bin/mmops
	cp -R deploy docs $(DESTDIR)$(PREFIX)/share/mmops/

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(O) -name '*.d' 2>/dev/null)
