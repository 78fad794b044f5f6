# SPDX-License-Identifier: MIT
# qoslab: one binary (build/qoslab) with subcommands; tests are separate binaries.
CC      ?= cc
BUILD   ?= build
PKGS    := libnl-route-3.0 libnl-3.0 libpcap libturbojpeg yaml-0.1 libmicrohttpd gsl jansson libcurl nettle
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

MODULES := emu netem pipeline models scenarios plots
LIB_SRC := cli.c regfile.c $(foreach d,$(MODULES),$(wildcard $(d)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
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

# qoslab's UML kernel (emu/umlkernel/): its key names the cached build qoslab looks for
KERNEL_KEY := $(shell emu/umlkernel/build.sh --key 2>/dev/null)
$(BUILD)/emu/uml.o: override CFLAGS += -DQOSLAB_KERNEL_KEY='"$(KERNEL_KEY)"'
$(BUILD)/emu/uml.o: emu/umlkernel/config emu/umlkernel/netem-prng-seed.patch

.PHONY: all check kernel check-asan deps clean fuzz bench
all: $(BUILD)/qoslab $(TEST_BIN) $(TEST_TOOLS) $(BENCH_BIN) $(OPENCV_STUBS) $(XSTATE_PRELOAD)

$(BUILD)/opencv-stub/%: models/stub/opencv.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -o $@ -Wl,-soname,$* $<

$(XSTATE_PRELOAD): emu/preload/xstate.c emu/xstate.c emu/xstate.h
	@mkdir -p $(dir $@)
	cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I. -shared -fPIC -o $@ \
	  emu/preload/xstate.c emu/xstate.c -ldl

# Debian's linux-source-6.1 with seeded netem, cached outside the tree (emu/umlkernel/build.sh)
kernel:
	emu/umlkernel/build.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

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

# The test command README.md names. Kernel-dependent tests boot UML themselves
# through `qoslab --kernel auto`, so this works on hosts with or without netem.
check: all
	BUILD=$(BUILD) tests/run.sh

check-asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" check

# Debian packages the build, the tests and the product need (root; apt). flex, bison, bc,
# patch and xz-utils build qoslab's UML kernel (make kernel). python3-scipy checks the paired
# t intervals against an implementation that is not ours (tests/test_paired.sh). slurm-wlm and
# munge: tests/test_slurm.sh starts a real one-node cluster to submit a sweep to (--slurm).
DEB_PKGS := build-essential pkg-config clang libclang-rt-14-dev \
            libnl-3-dev libnl-route-3-dev libpcap-dev libturbojpeg0-dev darknet \
            libyaml-dev libmicrohttpd-dev libgsl-dev libjansson-dev libcurl4-openssl-dev nettle-dev \
            gnuplot-nox user-mode-linux kmod iproute2 iputils-ping tshark curl jq \
            chromium tidy \
            flex bison bc patch xz-utils \
            python3-scipy slurm-wlm munge
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	  grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

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
