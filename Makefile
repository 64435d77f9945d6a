# Weir - the single build entry point.  See README.md for the two commands.
#
#   make            release build -> build/weir-server
#   make run        install build deps, build, start on 127.0.0.1:6379
#   make test       install test deps, build, unit + integration tests
#   make asan       the same suite under AddressSanitizer + UBSan
#   make unit       C unit tests only
#   make fuzz       libFuzzer target for the request parser (clang)
#   make bench      Weir vs redis-server side by side
#   make format / format-check / lint

CC      ?= cc
VARIANT ?= release
BUILD   := build/$(VARIANT)
PYTHON  := /usr/bin/python3

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wundef -Wno-format-nonliteral
BASEFLAGS := -std=c11 -D_GNU_SOURCE -g $(WARN) -Isrc -I$(BUILD)/gen -MMD -MP
ifeq ($(VARIANT),release)
  OPTFLAGS := -O2
else ifeq ($(VARIANT),asan)
  OPTFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDSAN    := -fsanitize=address,undefined
else
  OPTFLAGS := -O0 -DCHECK_LEVEL=2
endif
CFLAGS  := $(BASEFLAGS) $(OPTFLAGS) $(EXTRA_CFLAGS)
LDLIBS  := -lxxhash -lm -lpthread
LDFLAGS := $(LDSAN)

SRCS     := $(wildcard src/*.c src/lib/*.c)
CORE_SRCS:= $(filter-out src/main.c,$(SRCS))
CORE_OBJS:= $(CORE_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/main.o
UNIT_SRCS:= $(wildcard tests/unit/test_*.c)
UNIT_BINS:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
CMD_JSON := $(wildcard commands/*.json)
GEN_TABLE:= $(BUILD)/gen/cmd_table.h
GEN_PROTO:= $(BUILD)/gen/cmd_handlers.h

.PHONY: all release run test unit integ asan fuzz bench deps test-deps format format-check lint clean crash

all: $(BUILD)/weir-server $(BUILD)/weir-check-aof
	@if [ "$(VARIANT)" = release ]; then ln -sf release/weir-server build/weir-server; fi

$(GEN_TABLE): $(CMD_JSON) commands tools/gencmd.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/gencmd.py --out $@ commands/*.json

$(GEN_PROTO): $(CMD_JSON) commands tools/genhandlers.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/genhandlers.py $@ commands/*.json

$(BUILD)/%.o: %.c | $(GEN_TABLE) $(GEN_PROTO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcore.a: $(CORE_OBJS)
	rm -f $@; ar rcs $@ $^

$(BUILD)/weir-server: $(MAIN_OBJ) $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/weir-check-aof: tools/weir-check-aof.c $(BUILD)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libcore.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

deps:
	@./tools/deps.sh build

test-deps:
	@./tools/deps.sh test

run: deps
	$(MAKE) all
	./build/weir-server --bind 127.0.0.1 --port 6379

unit: all $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integ: all
	@WEIR_BIN=$(BUILD)/weir-server ./tests/integ/run.sh

test: test-deps
	$(MAKE) lint
	$(MAKE) format-check
	$(MAKE) unit
	$(MAKE) integ
	$(PYTHON) tools/check_handlers.py commands src

asan: test-deps
	$(MAKE) VARIANT=asan unit
	$(MAKE) VARIANT=asan integ

fuzz:
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	  -o build/fuzz/fuzz_resp_parse tests/fuzz/fuzz_resp_parse.c src/resp_parse.c src/lib/util.c
	mkdir -p build/fuzz/corpus
	build/fuzz/fuzz_resp_parse -max_total_time=$${FUZZ_SECONDS:-60} -dict=tests/fuzz/resp.dict build/fuzz/corpus tests/fuzz/corpus

# The crash soak: many more kill -9 rounds than make test runs.
crash: all
	@WEIR_BIN=$(BUILD)/weir-server WEIR_CRASH_ROUNDS=$${CRASH_ROUNDS:-100} WEIR_FILE_TIMEOUT=3600 \
	  ./tests/integ/run.sh tests/integ/test_aof_crash.py

bench: deps
	$(MAKE) all
	$(PYTHON) bench/bench.py

format:
	clang-format -i src/*.c src/*.h src/lib/*.c src/lib/*.h tests/unit/*.c tests/unit/*.h

format-check:
	clang-format --dry-run --Werror src/*.c src/*.h src/lib/*.c src/lib/*.h

lint:
	./tools/check_layers.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
