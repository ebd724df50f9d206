# SecureAudit. `make` builds every program into build/bin/.
#   make check   all tests (unit, unit and secaudit read under ASan+UBSan, corpus, operations, end-to-end)
#   make install PREFIX=/usr/local DESTDIR=   programs, presets, units, man pages, examples
#   make deb     Debian packages in build/deb/ (docs/packaging.md)
#   make demo    the main job on an embedded default
#   make fuzz    libFuzzer campaign, FUZZ_SECONDS per harness (FUZZ_ONLY: some; FUZZING.md)
#   make memcheck  the corpus through secaudit read under valgrind
#   make bench   benchmarks against the reference tools (make bench-read: the offline part)
# Modules are discovered: every .c in common/ monitor/<layer>/ agent/ server/
# cli/ is built; <dir>/main.c (monitor/daemon/main.c) is a program's entry
# point, the rest its library. monitor/'s layers and the direction their
# includes may take are in docs/architecture.md (`make layers` checks them).
# DEBUG=1 builds without optimisation; SAN=1 with ASan+UBSan; BUILD=dir
# puts all output elsewhere (the sanitizer and fuzz builds use this).

BUILD   ?= build
CC      ?= cc
PYTHON  ?= /usr/bin/python3
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2

# The one version of every program (--version, the stats): common/version.c.
VERSION ?= 0.9.0

PKGS    := libpcap libnetfilter_queue libnetfilter_log libmnl openssl yaml-0.1 sqlite3 libpq zlib yajl
CPPFLAGS += -Icommon -Imonitor -Iagent -Iserver -Icli -D_GNU_SOURCE \
	    $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS  ?= $(if $(DEBUG),-O0,-O2) -g
CFLAGS  += -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter -MMD -MP
LDLIBS  += -Wl,--as-needed $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
ifdef SAN
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
ifdef FUZZ
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DSECAUDIT_FUZZ
LDFLAGS += -fsanitize=address,undefined
endif

lib_src = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))
objs    = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJ  := $(call objs,$(call lib_src,common))
MONITOR_OBJ := $(call objs,$(filter-out monitor/daemon/main.c,$(wildcard monitor/*/*.c)))
AGENT_OBJ   := $(call objs,$(call lib_src,agent))
SERVER_OBJ  := $(call objs,$(call lib_src,server))
CLI_OBJ     := $(call objs,$(call lib_src,cli))
LIB_OBJ     := $(MONITOR_OBJ) $(AGENT_OBJ) $(SERVER_OBJ) $(CLI_OBJ) $(COMMON_OBJ)
LIB         := $(BUILD)/lib/libsecaudit.a

PROGRAMS := $(BUILD)/bin/secaudit \
	    $(BUILD)/bin/secaudit-monitor \
	    $(if $(wildcard agent/main.c),$(BUILD)/bin/secaudit-agent) \
	    $(if $(wildcard server/main.c),$(BUILD)/bin/secaudit-server)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all deps layers check unit unit-san read-san corpus e2e ops demo fuzz fuzz-regress memcheck bench bench-read clean \
	install uninstall dist deb FORCE
all: $(PROGRAMS)

deps:
	@scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/common/version.o: CPPFLAGS += -DSECAUDIT_VERSION='"$(VERSION)"'
$(BUILD)/obj/common/version.o: Makefile

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/secaudit: $(BUILD)/obj/cli/main.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/bin/secaudit-monitor: $(BUILD)/obj/monitor/daemon/main.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/bin/secaudit-%: $(BUILD)/obj/%/main.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcriterion -o $@

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do $$t --jobs 2 || fail=1; done; exit $$fail

# Criterion forks a child per test; ASan's leak checker runs in each.
unit-san:
	$(MAKE) BUILD=build/san SAN=1 unit

# secaudit read under ASan+UBSan through its worker pool's paths (several
# files, directories, standard input, 1 to 3 threads): scripts/read-san.sh.
read-san:
	$(MAKE) BUILD=build/san SAN=1 build/san/bin/secaudit
	@scripts/read-san.sh build/san/bin/secaudit

corpus: all
	$(PYTHON) -m pytest -q tests/corpus

e2e: all
	$(PYTHON) -m pytest -q tests/e2e

# install, units, man pages, rotation, metrics, policy tests
ops: all
	$(PYTHON) -m pytest -q -rs tests/ops

layers:
	@scripts/check-layers.sh

check: deps
	@scripts/check-layers.sh
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) read-san
	$(MAKE) fuzz-regress
	$(PYTHON) -m pytest -q -rs tests/ops tests/corpus tests/e2e

demo: deps all
	@scripts/demo.sh

# Fuzzers: clang + libFuzzer. `make fuzz` is a campaign: every harness
# FUZZ_SECONDS, FUZZ_JOBS at a time, growing tests/fuzz/corpus/<name>/
# (minimised and capped at the end) from tests/fuzz/seeds/<name>/; findings
# become files in tests/fuzz/regress/<name>/; a table of executions,
# coverage and findings at the end (scripts/fuzz.sh says more).
fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang FUZZ=1 fuzz-build
	@scripts/fuzz.sh build/fuzz/fuzz/fuzz $(FUZZ_SECONDS) $(FUZZ_JOBS)
fuzz-build: $(FUZZ_BIN)
# Replays every regression input (a crash fixed stays fixed): seconds, not minutes.
fuzz-regress:
	$(MAKE) BUILD=build/fuzz CC=clang FUZZ=1 fuzz-build
	@scripts/fuzz.sh build/fuzz/fuzz/fuzz 0

# The corpus through `secaudit read` under valgrind (uninitialised reads).
memcheck: all
	@scripts/memcheck.sh

bench: all
	@scripts/install-deps.sh --bench
	@bench/run.sh

# Only the offline part of make bench: secaudit read against the floor and
# the reference tools on the bulk capture, memory, checksums (~5 minutes).
bench-read: all
	@scripts/install-deps.sh --bench
	@bench/run.sh read

# ---- installation (GNU directory variables; DESTDIR for packaging) ------
# The configuration and state live where the system's daemons keep theirs
# (/etc, /var) whatever the prefix; pass sysconfdir=... localstatedir=... to
# change that. Files under $(sysconfdir) are examples installed only where
# the admin has none yet (a package marks them conffiles instead).
PREFIX          ?= /usr/local
prefix          ?= $(PREFIX)
exec_prefix     ?= $(prefix)
bindir          ?= $(exec_prefix)/bin
sbindir         ?= $(exec_prefix)/sbin
libdir          ?= $(exec_prefix)/lib
datarootdir     ?= $(prefix)/share
datadir         ?= $(datarootdir)
mandir          ?= $(datarootdir)/man
docdir          ?= $(datarootdir)/doc/secaudit
sysconfdir      ?= /etc
localstatedir   ?= /var
runstatedir     ?= /run
systemdunitdir  ?= $(libdir)/systemd/system
sysusersdir     ?= $(libdir)/sysusers.d
tmpfilesdir     ?= $(libdir)/tmpfiles.d
INSTALL         ?= install

DAEMONS   := $(filter-out $(BUILD)/bin/secaudit,$(PROGRAMS))
UNITS     := $(patsubst config/systemd/%.in,$(BUILD)/dist/%,$(wildcard config/systemd/*.in))
LOGROTATE := $(patsubst config/logrotate/%,$(BUILD)/dist/logrotate/%,$(wildcard config/logrotate/*))
MANPAGES  := $(wildcard man/*.[1-8])
DIST      := $(UNITS) $(LOGROTATE) $(BUILD)/dist/secaudit.tmpfiles \
	     $(patsubst config/%,$(BUILD)/dist/%,$(wildcard config/*.yaml))
# Paths in units, logrotate and example files, as installed: the example
# configurations name the default paths literally, the rest @placeholders@.
SUBST := sed -e 's|/etc/secaudit|$(sysconfdir)/secaudit|g' \
	     -e 's,/var/\(log\|lib\|spool\)/secaudit,$(localstatedir)/\1/secaudit,g' \
	     -e 's|/run/secaudit|$(runstatedir)/secaudit|g' \
	     -e 's|@bindir@|$(bindir)|g; s|@sbindir@|$(sbindir)|g; s|@docdir@|$(docdir)|g' \
	     -e 's|@sysconfdir@|$(sysconfdir)|g; s|@localstatedir@|$(localstatedir)|g'

# Made again every time: the paths come from the command line.
$(BUILD)/dist/%: config/systemd/%.in FORCE
	@mkdir -p $(@D)
	@$(SUBST) $< > $@
$(BUILD)/dist/%: config/% FORCE
	@mkdir -p $(@D)
	@$(SUBST) $< > $@
dist: $(DIST)
FORCE:

# install_new SRC DEST: SRC to DEST unless the admin has a file there.
install_new = if [ -e $(2) ]; then echo "keeping $(2) (the example is $(1))"; \
	      else $(INSTALL) -m 644 $(1) $(2); fi

install: all $(DIST)
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(sbindir) \
		$(DESTDIR)$(datadir)/secaudit/rules/audit $(DESTDIR)$(docdir) \
		$(DESTDIR)$(systemdunitdir) $(DESTDIR)$(sysusersdir) $(DESTDIR)$(tmpfilesdir) \
		$(DESTDIR)$(sysconfdir)/logrotate.d $(DESTDIR)$(sysconfdir)/default \
		$(DESTDIR)$(sysconfdir)/secaudit/rules/audit \
		$(addprefix $(DESTDIR)$(mandir)/man,1 5 7 8)
	$(INSTALL) -m 755 $(BUILD)/bin/secaudit $(DESTDIR)$(bindir)/
	$(INSTALL) -m 755 $(DAEMONS) $(DESTDIR)$(sbindir)/
	$(INSTALL) -m 644 rules/*.yaml $(DESTDIR)$(datadir)/secaudit/rules/
	$(INSTALL) -m 644 rules/audit/*.yaml $(DESTDIR)$(datadir)/secaudit/rules/audit/
	$(INSTALL) -m 644 README.md docs/*.md $(DESTDIR)$(docdir)/
	$(INSTALL) -m 644 $(UNITS) $(DESTDIR)$(systemdunitdir)/
	$(INSTALL) -m 644 config/secaudit.sysusers $(DESTDIR)$(sysusersdir)/secaudit.conf
	$(INSTALL) -m 644 $(BUILD)/dist/secaudit.tmpfiles $(DESTDIR)$(tmpfilesdir)/secaudit.conf
	for m in $(MANPAGES); do \
		$(INSTALL) -m 644 $$m $(DESTDIR)$(mandir)/man$${m##*.}/ || exit 1; done
	for f in $(LOGROTATE); do \
		$(call install_new,$$f,$(DESTDIR)$(sysconfdir)/logrotate.d/$${f##*/}); done
	$(call install_new,config/secaudit-gateway.default,$(DESTDIR)$(sysconfdir)/default/secaudit-gateway)
	for f in monitor agent server; do \
		$(call install_new,$(BUILD)/dist/$$f.yaml,$(DESTDIR)$(sysconfdir)/secaudit/$$f.yaml); done
	$(call install_new,rules/default.yaml,$(DESTDIR)$(sysconfdir)/secaudit/rules/default.yaml)
	for f in rules/audit/*.yaml; do \
		$(call install_new,$$f,$(DESTDIR)$(sysconfdir)/secaudit/rules/audit/$${f##*/}); done

# Debian packages (debhelper), built in a copy of the tree so that the
# tree stays clean: build/deb/*.deb. DEB_VERSION: the programs' VERSION
# and the commit count, so each build upgrades the one before.
DEB_VERSION ?= $(VERSION)+git$(shell git rev-list --count HEAD 2>/dev/null || echo 0)
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	tar --exclude=./build --exclude=./.git -cf - . | tar -C $(BUILD)/deb/src -xf -
	sed -i '1s/([^)]*)/($(DEB_VERSION))/' $(BUILD)/deb/src/debian/changelog
	cd $(BUILD)/deb/src && DEB_BUILD_OPTIONS="parallel=2 $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -b -us -uc
	rm -rf $(BUILD)/deb/src
	@ls $(BUILD)/deb/*.deb

# Takes out what `make install` put in, except the files under
# $(sysconfdir) (the admin's now) and the daemons' state and logs.
uninstall:
	rm -f $(DESTDIR)$(bindir)/secaudit $(addprefix $(DESTDIR)$(sbindir)/,$(notdir $(DAEMONS)))
	rm -rf $(DESTDIR)$(datadir)/secaudit $(DESTDIR)$(docdir)
	rm -f $(addprefix $(DESTDIR)$(systemdunitdir)/,$(notdir $(UNITS)))
	rm -f $(DESTDIR)$(sysusersdir)/secaudit.conf $(DESTDIR)$(tmpfilesdir)/secaudit.conf
	for m in $(notdir $(MANPAGES)); do rm -f $(DESTDIR)$(mandir)/man$${m##*.}/$$m; done

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
