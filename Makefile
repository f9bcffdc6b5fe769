# eoswath: PGXS build
EXTENSION    = eoswath
EXTVERSION   = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" eoswath.control)

MODULE_big   = eoswath
OBJS = \
	src/eoswath.o \
	src/guc.o \
	src/wosoid.o \
	src/catalog.o \
	src/xact.o \
	src/store.o \
	src/store_fs.o \
	src/store_s3.o \
	src/gzip.o \
	src/object_hash.o \
	src/object_put.o \
	src/object_read.o \
	src/object_copies.o \
	src/object_file.o \
	src/wos_objects.o \
	src/wos_streams.o \
	src/wos_files.o \
	src/wos_admin.o \
	src/nc_swath.o \
	src/footprint.o \
	src/granule.o \
	src/swath.o \
	src/region.o \
	src/subset.o

# The install script is written once, in pieces by subsystem (src/sql/*.sql),
# and the versioned script is produced from it.
SQL_SOURCES  = $(sort $(wildcard src/sql/*.sql))
DATA_built   = $(EXTENSION)--$(EXTVERSION).sql
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
SHLIB_LINK   = $(NC_LIBS) $(CURL_LIBS) -lz -lcrypto

PG_CONFIG   ?= pg_config
PGXS        := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: rebuild everything when one changes
$(OBJS): $(wildcard src/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) eoswath.control
	cat $(SQL_SOURCES) > $@

# pg_regress writes results next to a copy of the tree owned by the tester
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
