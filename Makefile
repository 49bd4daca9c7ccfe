# assistd - build, run, test and benchmark.
#
#   make          build build/assistd and its document reader build/assistd-docs (optimised)
#   make run      install missing packages, build, serve on 127.0.0.1:8080 with data in ./data
#   make test     install missing packages, build with sanitizers, run every test
#   make bench    build and run the benchmarks (see BENCHMARKS.md)
#   make fuzz     build the libFuzzer targets (fuzz/) with clang; `make test` runs each for
#                 FUZZ_SECONDS (default 20) through scripts/fuzz.sh

PKGS      := libmicrohttpd jansson sqlite3 libcurl libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The libraries of documents, poppler-glib (with glib, cairo, ...), libxml2 and libzip, go only
# into the document reader, assistd-docs, a program of its own that the server starts for each
# PDF, HTML, DOCX or PPTX file (src/docs/reader.c); the server does not link them. The unit tests
# build their DOCX and PPTX fixtures with libzip.
READER_PKGS   := poppler-glib libxml-2.0 libzip
READER_CFLAGS := $(shell pkg-config --cflags $(READER_PKGS) 2>/dev/null)
READER_LIBS   := $(shell pkg-config --libs $(READER_PKGS) 2>/dev/null)
ZIP_CFLAGS    := $(shell pkg-config --cflags libzip 2>/dev/null)
ZIP_LIBS      := $(shell pkg-config --libs libzip 2>/dev/null)
# PCRE2 builds the tokenizer's class table (src/text/gen) and checks it in the unit tests; the
# server does not link it.
PCRE_CFLAGS := $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
PCRE_LIBS   := $(shell pkg-config --libs libpcre2-8 2>/dev/null)

CC       ?= cc
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wundef -Wno-unused-parameter
CFLAGS   := -std=c17 -D_GNU_SOURCE -MMD -MP $(WARN) $(PKG_CFLAGS) $(PCRE_CFLAGS)
LDLIBS   := $(PKG_LIBS) -lpthread -lm
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC  := $(sort $(wildcard src/base/*.c src/json/*.c src/http/*.c src/store/*.c src/text/*.c \
                src/docs/*.c src/providers/*.c src/tools/*.c src/limits/*.c src/engine/*.c \
                src/api/*.c))
# The document reader: its folder, with the text builder it shares with the server and what
# that needs of src/base.
READER_SRC := $(sort $(wildcard src/docs/reader/*.c)) src/docs/out.c src/base/alloc.c \
                src/base/buf.c
MAIN_SRC := src/main.c src/cli.c src/cli_backup.c src/cli_limits.c src/cli_tokenize.c \
            src/config.c
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))

FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

B        ?= build
# The tokenizer's rank tables: fetched and verified (scripts/tokdata.sh), converted to blobs
# (src/text/gen/tokgen.c) that src/text/tok_table.c includes with .incbin.
TOK_DATA := $(B)/gen/o200k_base.bin $(B)/gen/cl100k_base.bin $(B)/gen/classes.bin
CFLAGS   += -DTOK_GEN_DIR='"$(B)/gen"' $(EXTRA_CFLAGS)
REL_OBJ  := $(patsubst %.c,$(B)/rel/%.o,$(LIB_SRC) $(MAIN_SRC))
TST_OBJ  := $(patsubst %.c,$(B)/test/%.o,$(LIB_SRC) $(MAIN_SRC))
UNIT_OBJ := $(patsubst %.c,$(B)/test/%.o,$(LIB_SRC) $(UNIT_SRC))
READER_REL := $(patsubst %.c,$(B)/rel/%.o,$(READER_SRC))
READER_TST := $(patsubst %.c,$(B)/test/%.o,$(READER_SRC))
FUZZ_OBJ := $(patsubst %.c,$(B)/fuzz/%.o,$(LIB_SRC))
FUZZ_BIN := $(patsubst fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))

# Fuzzing: clang with libFuzzer; the library is instrumented, each target adds its entry point.
# The library's warnings are gcc's to enforce (the other builds): clang's own do not stop this
# one. The targets themselves (fuzz/) build with -Werror.
FUZZ_CC  ?= clang
FUZZ_CFLAGS = $(filter-out -Werror,$(CFLAGS)) -Wno-format-nonliteral
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all run test test-build unit bench deps clean lint fuzz
all: $(B)/assistd $(B)/assistd-docs

# The server's pointers to its own tables (routes, schemas, ...) are relocated at start: packed
# (DT_RELR) they take 0.5 KB of the binary instead of 32 KB, pages every process reads.
REL_LDFLAGS := -Wl,-z,pack-relative-relocs

$(B)/assistd: $(REL_OBJ)
	@echo "  LINK    $@"
	@$(CC) $(REL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/rel/src/docs/reader/%.o $(B)/test/src/docs/reader/%.o: CFLAGS += $(READER_CFLAGS)
$(B)/test/tests/unit/%.o: CFLAGS += $(ZIP_CFLAGS)

$(B)/assistd-docs: $(READER_REL)
	@echo "  LINK    $@"
	@$(CC) -o $@ $^ $(READER_LIBS)

$(B)/test/assistd-docs: $(READER_TST)
	@echo "  LINK    $@"
	@$(CC) $(SAN) -o $@ $^ $(READER_LIBS)

$(B)/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -O2 -g -c -o $@ $<

$(B)/test/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC test $<"
	@$(CC) $(CFLAGS) -O1 -g $(SAN) -DASSISTD_TEST -c -o $@ $<

$(B)/test/assistd: $(TST_OBJ)
	@echo "  LINK    $@"
	@$(CC) $(SAN) -o $@ $^ $(LDLIBS)

$(B)/test/unit: $(UNIT_OBJ)
	@echo "  LINK    $@"
	@$(CC) $(SAN) -o $@ $^ $(LDLIBS) $(PCRE_LIBS) $(ZIP_LIBS)

$(B)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -DASSISTD_TEST -c -o $@ $<

$(B)/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJ)
	@echo "  LINK    $@"
	@$(FUZZ_CC) $(CFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: $(FUZZ_BIN)

.SECONDARY: $(FUZZ_OBJ)

$(B)/gen/tokgen: src/text/gen/tokgen.c src/text/tok_blob.h src/base/alloc.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -std=c17 -D_GNU_SOURCE -O2 $(WARN) -o $@ src/text/gen/tokgen.c src/base/alloc.c

$(B)/gen/classgen: src/text/gen/classgen.c src/text/tok_blob.h src/base/alloc.c src/base/utf8.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -std=c17 -D_GNU_SOURCE -O2 $(WARN) $(PCRE_CFLAGS) -o $@ src/text/gen/classgen.c \
		src/base/alloc.c $(PCRE_LIBS)

$(B)/gen/classes.bin: $(B)/gen/classgen
	@echo "  GEN     $@"
	@$(B)/gen/classgen $@

$(B)/cache/tokdata.stamp: scripts/tokdata.sh
	@scripts/tokdata.sh $(B)/cache
	@touch $@

$(B)/gen/%.bin: $(B)/cache/tokdata.stamp $(B)/gen/tokgen
	@echo "  GEN     $@"
	@$(B)/gen/tokgen $(B)/cache/$*.tiktoken $@

$(B)/rel/src/text/tok_table.o $(B)/test/src/text/tok_table.o $(B)/fuzz/src/text/tok_table.o: $(TOK_DATA)
# The sandbox's Python driver is built into the binary with .incbin.
$(B)/rel/src/tools/sandbox_proc.o $(B)/test/src/tools/sandbox_proc.o $(B)/fuzz/src/tools/sandbox_proc.o: \
		src/tools/sandbox_driver.py

# The playground page (web/) is built into the binary with .incbin (src/api/web.c), each file
# beside its gzip -9 form.
WEB_FILES := $(sort $(wildcard web/*))
WEB_GZ    := $(patsubst web/%,$(B)/gen/web/%.gz,$(WEB_FILES))
CFLAGS    += -DWEB_GEN_DIR='"$(B)/gen/web"'

$(B)/gen/web/%.gz: web/%
	@mkdir -p $(dir $@)
	@echo "  GZIP    $@"
	@gzip -9 -n -c $< > $@

$(B)/rel/src/api/web.o $(B)/test/src/api/web.o $(B)/fuzz/src/api/web.o: $(WEB_FILES) $(WEB_GZ)

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory build/assistd build/assistd-docs
	@mkdir -p data
	./build/assistd --listen 127.0.0.1:8080 --data ./data

test-build: $(B)/test/assistd $(B)/test/assistd-docs $(B)/test/unit

unit: $(B)/test/unit $(B)/test/assistd-docs
	$(B)/test/unit

test: deps
	@scripts/lint.sh
	@$(MAKE) --no-print-directory test-build fuzz
	@scripts/test.sh

bench: deps
	@scripts/deps.sh --bench
	@$(MAKE) --no-print-directory build/assistd build/assistd-docs
	@$(MAKE) --no-print-directory -C bench
	@bench/run.sh

lint:
	@scripts/lint.sh

clean:
	rm -rf $(B)

-include $(REL_OBJ:.o=.d) $(TST_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(READER_REL:.o=.d) \
	$(READER_TST:.o=.d) $(FUZZ_OBJ:.o=.d)
