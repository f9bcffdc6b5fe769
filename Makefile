# eoswath: PGXS build
EXTENSION    = eoswath
EXTVERSION   = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" eoswath.control)

MODULE_big   = eoswath
OBJS = \
	src/eoswath.o \
	src/bigmem.o \
	src/guc.o \
	src/wosoid.o \
	src/catalog.o \
	src/sites.o \
	src/guard.o \
	src/xact.o \
	src/store.o \
	src/store_direct.o \
	src/store_fs.o \
	src/store_s3.o \
	src/s3_request.o \
	src/s3_xml.o \
	src/s3_list.o \
	src/s3_reader.o \
	src/gzip.o \
	src/object_hash.o \
	src/object_put.o \
	src/object_read.o \
	src/object_copies.o \
	src/object_blocks.o \
	src/object_place.o \
	src/object_file.o \
	src/object_scrub.o \
	src/object_deletes.o \
	src/worker_launcher.o \
	src/worker_main.o \
	src/wos_health.o \
	src/wos_objects.o \
	src/wos_streams.o \
	src/wos_files.o \
	src/wos_admin.o \
	src/region.o \
	src/region_sphere.o \
	src/granule_proto.o \
	src/granule_client.o \
	src/granule_file.o \
	src/swath_sql.o \
	src/swath_quicklook.o \
	src/quicklook_png.o \
	src/quicklook_cmap.o \
	src/quicklook_font.o

# The granule parsing code (netCDF-C, HDF5) runs only in the helper program
# eoswath-granule, a confined process the backend starts (issue: hostile
# granules).  It is built from the same sources with the helper's small
# runtime (src/helper/runtime.c) standing in for the backend's palloc,
# memory contexts and ereport, and installed in pkglibdir.
HELPER       = src/helper/eoswath-granule
HELPER_SRCS  = src/helper/main.c src/helper/sandbox.c src/helper/runtime.c \
               src/helper/hdf5_check.c \
               src/granule_proto.c src/granule.c src/nc_util.c src/nc_swath.c \
               src/nc_time.c src/footprint.c src/region.c src/region_sphere.c src/region_grid.c \
               src/subset_window.c src/subset_write.c src/quicklook_grid.c src/quicklook_var.c src/quicklook_png.c \
               src/quicklook_cmap.c src/quicklook_font.c
HELPER_OBJS  = $(patsubst src/%.c,src/helper/obj/%.o,$(patsubst src/helper/%,src/%,$(HELPER_SRCS)))

# The install script is written once, in pieces by subsystem (src/sql/*.sql),
# and the versioned script is produced from it.
SQL_SOURCES  = $(sort $(wildcard src/sql/*.sql))
DATA_built   = $(EXTENSION)--$(EXTVERSION).sql
# earlier versions' install scripts, frozen, and the upgrade scripts between
# versions (ALTER EXTENSION eoswath UPDATE)
DATA         = $(sort $(wildcard src/sql/versions/$(EXTENSION)--*.sql))
EXTRA_CLEAN  = $(EXTENSION)--$(EXTVERSION).sql

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=tmp_regress

# the TAP suite runs with "make prove_installcheck" (see below)
PROVE_TESTS ?= $(sort $(wildcard test/t/*.pl))
PROVE_FLAGS ?= -I $(CURDIR)/test

NC_CFLAGS   := $(shell nc-config --cflags 2>/dev/null)
NC_LIBS     := $(shell nc-config --libs 2>/dev/null)
CURL_LIBS   := $(shell curl-config --libs 2>/dev/null)
PG_CPPFLAGS  = -I$(srcdir)/src $(NC_CFLAGS) -Wall -Wextra -Wno-unused-parameter \
               -Wno-missing-field-initializers -Wno-sign-compare $(EOSWATH_CFLAGS)
PNG_LIBS    := $(shell pkg-config --libs libpng 2>/dev/null || echo -lpng)
SHLIB_LINK   = $(CURL_LIBS) $(PNG_LIBS) -lz -lcrypto
HDF5_LIBS   := $(shell pkg-config --libs hdf5 2>/dev/null)
HDF5_CFLAGS := $(shell pkg-config --cflags hdf5 2>/dev/null)

PG_CONFIG   ?= pg_config
PGXS        := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: rebuild everything when one changes
$(OBJS): $(wildcard src/*.h)

# ---- the granule helper ----
PG_PKGLIBDIR := $(shell $(PG_CONFIG) --pkglibdir)
HELPER_CPPFLAGS = -DEOSWATH_VERSION='"$(EXTVERSION)"' \
                  -I$(srcdir)/src/helper/include -I$(srcdir)/src/helper -I$(srcdir)/src \
                  -I$(includedir_server) -I$(includedir_internal) $(NC_CFLAGS) $(HDF5_CFLAGS)
HELPER_CFLAGS   = $(CFLAGS) -Wall -Wextra -Wno-unused-parameter \
                  -Wno-missing-field-initializers -Wno-sign-compare $(EOSWATH_CFLAGS)
# full RELRO: the helper parses hostile bytes, so its GOT is read-only
# before main() runs (BIND_NOW), not resolved lazily later
HELPER_LDFLAGS  = -Wl,-z,relro,-z,now
HELPER_LIBS     = $(NC_LIBS) $(HDF5_LIBS) $(PNG_LIBS) -lseccomp -L$(PG_PKGLIBDIR) -lpgcommon -lpgport -lm -pthread

src/helper/obj/%.o: src/helper/%.c $(wildcard src/*.h src/helper/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HELPER_CFLAGS) $(HELPER_CPPFLAGS) -c -o $@ $<
src/helper/obj/%.o: src/%.c $(wildcard src/*.h src/helper/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HELPER_CFLAGS) $(HELPER_CPPFLAGS) -c -o $@ $<
$(HELPER): $(HELPER_OBJS)
	$(CC) $(HELPER_CFLAGS) $(HELPER_LDFLAGS) -o $@ $^ $(HELPER_LIBS)

all: $(HELPER)
install: install-helper
.PHONY: install-helper uninstall-helper clean-helper
install-helper: $(HELPER)
	$(INSTALL_PROGRAM) $(HELPER) '$(DESTDIR)$(pkglibdir)/eoswath-granule'
uninstall: uninstall-helper
uninstall-helper:
	rm -f '$(DESTDIR)$(pkglibdir)/eoswath-granule'
clean: clean-helper
clean-helper:
	rm -rf src/helper/obj $(HELPER)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) eoswath.control
	cat $(SQL_SOURCES) > $@

# pg_regress writes results next to a copy of the tree owned by the tester.
# The granule-dependent files read the real granules from EOSWATH_GRANULES
# (default: ../shared/data/swaths beside the repository) and skip the rest
# of their checks when they are not there (expected/*_1.out).
EOSWATH_GRANULES ?= $(abspath $(srcdir)/../shared/data/swaths)
installcheck: export EOSWATH_GRANULES := $(EOSWATH_GRANULES)
installcheck: | tmp_regress
tmp_regress:
	mkdir -p $@

# TAP suite (PostgreSQL::Test::Cluster): make prove_installcheck [PROVE_TESTS=...]
.PHONY: prove_installcheck
prove_installcheck:
	$(prove_installcheck)

.PHONY: test demo bench
test:
	test/run-all.sh
demo:
	test/demo.sh
bench:
	test/bench/run.sh

# the command-line client, built and installed with the extension
.PHONY: cli install-cli uninstall-cli clean-cli
all: cli
cli:
	$(MAKE) -C src/cli PG_CONFIG=$(PG_CONFIG) eoswath
install: install-cli
install-cli: cli
	$(MAKE) -C src/cli PG_CONFIG=$(PG_CONFIG) install
uninstall: uninstall-cli
uninstall-cli:
	$(MAKE) -C src/cli PG_CONFIG=$(PG_CONFIG) uninstall
clean: clean-cli
clean-cli:
	$(MAKE) -C src/cli clean

# ---- fuzzing (README: "Fuzzing", under "Tests") ----
# A libFuzzer target over the helper's parsing entry points, built with
# clang and sanitizers from the same sources as the helper (the libraries
# stay uninstrumented), and one over WKB regions.  "make fuzz
# [FUZZ_SECONDS=600] [FUZZ_TARGET=granule|region]" fuzzes and triages;
# test/suites/fuzz.sh replays the committed corpora and fuzzes briefly.
FUZZ_CC        ?= clang
FUZZ_BIN        = test/fuzz/fuzz_granule
FUZZ_SANITIZE   = -fsanitize=address,undefined -fno-sanitize-recover=all
# coverage for libFuzzer in every object of ours (the libraries have none)
FUZZ_COVERAGE   = -fsanitize=fuzzer-no-link
FUZZ_CFLAGS     = -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZE) \
                  -Wall -Wno-unused-parameter -Wno-missing-field-initializers \
                  -Wno-sign-compare -Wno-unused-command-line-argument \
                  -Wno-ignored-attributes
FUZZ_SRCS       = test/fuzz/fuzz_granule.c \
                  src/helper/runtime.c src/helper/hdf5_check.c \
                  src/granule.c src/nc_util.c src/nc_swath.c src/nc_time.c \
                  src/footprint.c src/region.c src/region_sphere.c src/region_grid.c \
                  src/subset_window.c src/subset_write.c src/quicklook_grid.c src/quicklook_var.c src/quicklook_png.c \
                  src/quicklook_cmap.c src/quicklook_font.c
FUZZ_OBJS       = $(patsubst %.c,test/fuzz/obj/%.o,$(FUZZ_SRCS))
# a second target: WKB regions (region.c is also built into the backend)
FUZZ_REGION_BIN = test/fuzz/fuzz_region
FUZZ_REGION_OBJS = test/fuzz/obj/test/fuzz/fuzz_region.o \
                  test/fuzz/obj/src/helper/runtime.o test/fuzz/obj/src/region.o \
                  test/fuzz/obj/src/region_sphere.o test/fuzz/obj/src/region_grid.o
FUZZ_SECONDS   ?= 600
FUZZ_JOBS      ?= 1
FUZZ_TARGET    ?= granule

test/fuzz/obj/%.o: %.c $(wildcard src/*.h src/helper/*.h) Makefile
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_COVERAGE) $(HELPER_CPPFLAGS) -c -o $@ $<
$(FUZZ_BIN): $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ \
		$(NC_LIBS) $(HDF5_LIBS) $(PNG_LIBS) -L$(PG_PKGLIBDIR) -lpgcommon -lpgport -lm
$(FUZZ_REGION_BIN): $(FUZZ_REGION_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ \
		-L$(PG_PKGLIBDIR) -lpgcommon -lpgport -lm

# source coverage of the corpora (no sanitizers): make fuzz-coverage
FUZZ_COV_BIN    = test/fuzz/fuzz_granule_cov
FUZZ_COV_OBJS   = $(patsubst %.c,test/fuzz/obj-cov/%.o,$(FUZZ_SRCS))
test/fuzz/obj-cov/%.o: %.c $(wildcard src/*.h src/helper/*.h) Makefile
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer-no-link \
		-w $(HELPER_CPPFLAGS) -c -o $@ $<
$(FUZZ_COV_BIN): $(FUZZ_COV_OBJS)
	$(FUZZ_CC) -fprofile-instr-generate -fsanitize=fuzzer -o $@ $^ \
		$(NC_LIBS) $(HDF5_LIBS) $(PNG_LIBS) -L$(PG_PKGLIBDIR) -lpgcommon -lpgport -lm

.PHONY: fuzz fuzz-build fuzz-seeds clean-fuzz fuzz-coverage fuzz-corpus
# refresh the committed corpora from the work corpora (then review, commit)
fuzz-corpus: fuzz-build
	test/fuzz/update_corpus.sh granule
	test/fuzz/update_corpus.sh region
fuzz-coverage: $(FUZZ_COV_BIN)
	test/fuzz/coverage.sh
fuzz-build: $(FUZZ_BIN) $(FUZZ_REGION_BIN)
fuzz-seeds:
	rm -rf test/fuzz/work/granule/seeds test/fuzz/work/region/seeds
	test/fuzz/make_seeds.sh test/fuzz/work/granule/seeds
	test/fuzz/make_region_seeds.py test/fuzz/work/region/seeds
fuzz: fuzz-build
	FUZZ_TARGET=$(FUZZ_TARGET) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) test/fuzz/run.sh
clean: clean-fuzz
clean-fuzz:
	rm -rf test/fuzz/obj test/fuzz/obj-cov $(FUZZ_BIN) $(FUZZ_REGION_BIN) $(FUZZ_COV_BIN)

# ---- the soak test (README: "The soak test", under "Tests") ----
# "make soak [SOAK_SECONDS=3600] [SOAK_SEED=N]": writers, readers and faults
# for that long, then the consistency checks; test/suites/soak.sh is the
# bounded run in CI (75 s of load).
SOAK_SECONDS ?= 600
.PHONY: soak
soak:
	SOAK_SECONDS=$(SOAK_SECONDS) $(if $(SOAK_SEED),SOAK_SEED=$(SOAK_SEED)) test/suites/soak.sh
