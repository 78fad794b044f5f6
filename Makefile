# SPDX-License-Identifier: MIT
# qoslab: one binary (build/qoslab) with subcommands; tests are separate binaries.
CC      ?= cc
BUILD   ?= build
PKGS    := libnl-route-3.0 libnl-3.0 libpcap libturbojpeg yaml-0.1 libmicrohttpd gsl jansson libcurl nettle sqlite3
DARKNET := /usr/lib/darknet
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. -I$(DARKNET)/include \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libdarknet is dlopen()ed by models/detector.c (it pulls ~250 OpenCV libraries)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lpthread -lm

# snprintf truncation is handled where it matters; gcc's guesses about it are noise (clang
# has no such warning)
ifeq ($(findstring clang,$(CC)),)
override CFLAGS += -Wno-format-truncation
endif

MODULES := emu netem measure pipeline models scenarios plots
LIB_SRC := units.c regfile.c version.c version_cmd.c $(foreach d,$(MODULES),$(wildcard $(d)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/web_files.o
# The job board's pages, compiled into the binary (pipeline/web.h)
WEB_SRC := $(sort $(wildcard pipeline/web/*.html pipeline/web/*.css pipeline/web/*.js pipeline/web/*.svg))
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# programs tests run (inside UML too); not tests themselves
TEST_TOOLS := $(BUILD)/tests/vecstress
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# Stand-ins for the OpenCV libraries libdarknet names (see models/stub/opencv.c)
OPENCV_NEEDED := $(shell readelf -d $(DARKNET)/libdarknet.so 2>/dev/null | sed -n 's/.*\[\(libopencv_[^]]*\)\]/\1/p')
OPENCV_STUBS := $(OPENCV_NEEDED:%=$(BUILD)/opencv-stub/%)

# Preloaded into linux.uml where the host's XSAVE area outgrows UML's (emu/xstate.h). Its own
# flags: it runs inside UML's host process, never with the sanitizers of check-asan.
XSTATE_PRELOAD := $(BUILD)/libqoslab-xstate.so

# The ns-3 program of ns-3 links (emu/ns3link.c), built only where libns3-dev is installed.
# Debian's ns3-*.pc files are broken (-I/usr;), so its libraries are named directly.
NS3_LIBS := core network fd-net-device point-to-point csma wifi mobility propagation
NS3_PROG := $(if $(wildcard /usr/include/ns3/fd-net-device-module.h),$(BUILD)/qoslab-ns3)

# qoslab's UML kernel (emu/umlkernel/): its key names the cached build qoslab looks for
KERNEL_KEY := $(shell emu/umlkernel/build.sh --key 2>/dev/null)
$(BUILD)/emu/uml.o: override CFLAGS += -DQOSLAB_KERNEL_KEY='"$(KERNEL_KEY)"'
$(BUILD)/emu/uml.o: emu/umlkernel/config emu/umlkernel/netem-prng-seed.patch
# netem's delay distribution tables, where iproute2 installs them on this architecture
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
$(BUILD)/netem/netem.o: override CFLAGS += -DTC_LIB_DIR_DEFAULT='"/usr/lib/$(or $(MULTIARCH),x86_64-linux-gnu)/tc"'

# the kernel key rule for uml.o above would otherwise be the default goal
.DEFAULT_GOAL := all
.PHONY: all prog check kernel check-asan deps clean fuzz bench install uninstall deb FORCE
all: prog $(TEST_BIN) $(TEST_TOOLS) $(BENCH_BIN)
# what `make install` installs
prog: $(BUILD)/qoslab $(OPENCV_STUBS) $(XSTATE_PRELOAD) $(NS3_PROG) $(BUILD)/qoslab-scenario.schema.json

# editors' YAML language servers validate and complete scenario files with it
$(BUILD)/qoslab-scenario.schema.json: $(BUILD)/qoslab
	$(BUILD)/qoslab scenario schema >$@.tmp && mv $@.tmp $@

# The release is debian/changelog's; the commit is git's at build time. `make deb` builds in
# a copy without .git, so it passes QOSLAB_COMMIT from the checkout.
RELEASE := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null)
QOSLAB_COMMIT ?= $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)
# BUILT_<macro>=<pkg-config name>: the library versions version.c reports as "built with"
BUILT_LIBS := LIBNL=libnl-3.0 LIBCURL=libcurl LIBMICROHTTPD=libmicrohttpd JANSSON=jansson \
              YAML=yaml-0.1 GSL=gsl LIBTURBOJPEG=libturbojpeg LIBPCAP=libpcap
# rewritten only when its text changes, so that only version.o rebuilds
$(BUILD)/build_info.h: FORCE
	@mkdir -p $(BUILD)
	@{ echo '#define QOSLAB_RELEASE "$(or $(RELEASE),unknown)"'; \
	  echo '#define QOSLAB_COMMIT "$(QOSLAB_COMMIT)"'; \
	  for kv in $(BUILT_LIBS); do \
	    echo "#define BUILT_$${kv%%=*} \"$$(pkg-config --modversion $${kv#*=} 2>/dev/null)\""; \
	  done; } >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/version.o: $(BUILD)/build_info.h
$(BUILD)/version.o: override CFLAGS += -I$(BUILD)

$(BUILD)/opencv-stub/%: models/stub/opencv.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -fPIC $(LDFLAGS) -o $@ -Wl,-soname,$* $<

$(XSTATE_PRELOAD): emu/preload/xstate.c emu/xstate.c emu/xstate.h
	@mkdir -p $(dir $@)
	cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I. -shared -fPIC -o $@ \
	  emu/preload/xstate.c emu/xstate.c -ldl

# its own flags: C++17, never the C sanitizers of check-asan (libns3 is not built with them)
$(BUILD)/qoslab-ns3: emu/ns3/qoslab-ns3.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O2 -g -Wall -Wextra -Werror -o $@ $< $(NS3_LIBS:%=-lns3-%)

# Debian's linux-source-6.1 with seeded netem, cached outside the tree (emu/umlkernel/build.sh)
kernel:
	emu/umlkernel/build.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/web_files.c: pipeline/web/embed.sh $(WEB_SRC)
	@mkdir -p $(dir $@)
	sh pipeline/web/embed.sh $(WEB_SRC) >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/web_files.o: $(BUILD)/gen/web_files.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libqoslab.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/qoslab: $(BUILD)/main.o $(BUILD)/libqoslab.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/vecstress: tests/vecstress.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libqoslab.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libqoslab.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Installed layout. The binary finds PKGLIBDIR as ../lib/qoslab beside BINDIR
# (models/locate.h LOCATE_HELPER_DIR), so the tree may be moved (DESTDIR, any PREFIX).
PREFIX     ?= /usr/local
BINDIR     := $(PREFIX)/bin
PKGLIBDIR  := $(PREFIX)/lib/qoslab
DATADIR    := $(PREFIX)/share/qoslab
DOCDIR     := $(PREFIX)/share/doc/qoslab
MANDIR     := $(PREFIX)/share/man
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
# Helper artefacts other parts of the tree build under BUILD/ (UML preload libraries, a
# kernel of our own, ...): installed into PKGLIBDIR when they exist, found at run time with
# locate_helper(). Extend the patterns when a new kind of helper appears.
INSTALL_HELPERS := $(wildcard $(BUILD)/libqoslab-*.so $(BUILD)/linux*.uml $(BUILD)/uml-modules \
                   $(BUILD)/qoslab-ns3)
INSTALL_DOCS := README.md DESIGN.md
INSTALL_EXAMPLES := $(wildcard scenarios/*.yaml)
INSTALL_EXAMPLE_SCRIPTS := $(wildcard scenarios/*.sh)

install: prog
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGLIBDIR)/opencv-stub \
	  $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/qoslab $(DESTDIR)$(BINDIR)/qoslab
	$(if $(OPENCV_STUBS),install -m 0644 $(OPENCV_STUBS) $(DESTDIR)$(PKGLIBDIR)/opencv-stub/)
	$(if $(INSTALL_HELPERS),cp -R --preserve=mode $(INSTALL_HELPERS) $(DESTDIR)$(PKGLIBDIR)/)
	install -m 0644 $(INSTALL_DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 scenarios/README.md $(DESTDIR)$(DOCDIR)/scenarios.md
	install -m 0644 pipeline/README.md $(DESTDIR)$(DOCDIR)/pipeline.md
	install -m 0644 $(INSTALL_EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	$(if $(INSTALL_EXAMPLE_SCRIPTS),install -m 0755 $(INSTALL_EXAMPLE_SCRIPTS) $(DESTDIR)$(DOCDIR)/examples/)
	install -m 0644 $(BUILD)/qoslab-scenario.schema.json $(DESTDIR)$(DATADIR)/
	install -m 0644 doc/qoslab.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 doc/qoslab-scenario.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completion/qoslab.bash $(DESTDIR)$(BASHCOMPDIR)/qoslab

# Removes what install put there (also helpers no longer built), then our own directories.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/qoslab $(DESTDIR)$(MANDIR)/man1/qoslab.1 \
	  $(DESTDIR)$(MANDIR)/man5/qoslab-scenario.5 $(DESTDIR)$(BASHCOMPDIR)/qoslab
	rm -rf $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)

# The Debian package, built in a copy of the tree (dpkg-buildpackage writes beside the source
# directory and leaves debian/ artefacts) so that nothing lands outside BUILD/deb/: the .deb,
# its .buildinfo and .changes, and lintian's report.
# The package is Debian's build with Debian's flags: none of ours (check-asan's clang and
# sanitizers would reach debian/rules through MAKEFLAGS; dwz cannot read clang's DWARF 5).
deb:
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb
	@set -e; tmp=$$(mktemp -d /tmp/qoslab-deb.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	  mkdir "$$tmp/qoslab-$(RELEASE)"; \
	  git ls-files -co --exclude-standard -z | grep -zv '^build' | \
	    xargs -0 tar cf - | tar xf - -C "$$tmp/qoslab-$(RELEASE)"; \
	  start=$$(date +%s); \
	  (cd "$$tmp/qoslab-$(RELEASE)" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CC -u CFLAGS \
	    -u LDFLAGS QOSLAB_COMMIT=$(QOSLAB_COMMIT) DEB_BUILD_OPTIONS=parallel=2 \
	    dpkg-buildpackage -us -uc -b) >$(BUILD)/deb/build.log 2>&1 || \
	    { tail -30 $(BUILD)/deb/build.log; exit 1; }; \
	  echo "package built in $$(( $$(date +%s) - start )) s"; \
	  mv "$$tmp"/*.deb "$$tmp"/*.buildinfo "$$tmp"/*.changes $(BUILD)/deb/; \
	  ls -l $(BUILD)/deb/*.deb; \
	  lintian $(BUILD)/deb/qoslab_*.changes >$(BUILD)/deb/lintian.txt 2>&1 || true; \
	  echo "lintian: $$(grep -c '^E:' $(BUILD)/deb/lintian.txt) errors, $$(grep -c '^W:' $(BUILD)/deb/lintian.txt) warnings ($(BUILD)/deb/lintian.txt)"

# The test command README.md names. Kernel-dependent tests boot UML themselves
# through `qoslab --kernel auto`, so this works on hosts with or without netem.
check: all
	BUILD=$(BUILD) tests/run.sh

check-asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" check

# Debian packages the build, the tests and the product need (root; apt). flex, bison, bc,
# patch and xz-utils build qoslab's UML kernel (make kernel). nodejs and npm run the browser
# tests (tests/browser/: puppeteer-core from npm, driving Debian's chromium); Debian's npm
# is installed only where no npm exists (NodeSource's nodejs bundles one and conflicts).
# python3-scipy checks the paired t intervals against an implementation that is not ours
# (tests/test_paired.sh). slurm-wlm and munge: tests/test_slurm.sh starts a real one-node
# cluster to submit a sweep to (--slurm).
# libns3-dev builds qoslab-ns3 (ns-3 links); iperf3 measures their goodput in tests/test_ns3.sh
# and is scenarios/iperf3-path.yaml's program (with jq and ping in iperf3-metrics.sh).
DEB_PKGS := build-essential pkg-config clang libclang-rt-14-dev \
            libnl-3-dev libnl-route-3-dev libpcap-dev libturbojpeg0-dev darknet \
            libyaml-dev libmicrohttpd-dev libgsl-dev libjansson-dev libcurl4-openssl-dev nettle-dev \
            libsqlite3-dev \
            gnuplot-nox user-mode-linux kmod iproute2 iputils-ping tshark curl jq \
            chromium tidy nodejs python3-jsonschema python3-yaml debhelper lintian \
            flex bison bc patch xz-utils \
            python3-scipy slurm-wlm munge libns3-dev iperf3
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	  grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
	@# exactly the locked versions; puppeteer-core never fetches a browser (Debian's is used)
	cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

# libFuzzer targets: tests/fuzz_*.c, each built against the library compiled with
# coverage and sanitizers, run for FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz_*.c)
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  build-fuzz/libqoslab.a
	@mkdir -p build-fuzz/fuzz
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang -std=c11 -D_GNU_SOURCE -O1 -g -I. -I$(DARKNET)/include $$(pkg-config --cflags $(PKGS)) \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o build-fuzz/fuzz/$$n $$f build-fuzz/libqoslab.a $(LDLIBS); \
	  mkdir -p build-fuzz/corpus/$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS) s"; \
	  build-fuzz/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	    build-fuzz/corpus/$$n $$( [ -d tests/corpus/$$n ] && echo tests/corpus/$$n ); \
	done

bench: all
	bench/run.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
