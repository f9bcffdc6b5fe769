# test/harness.sh: sourced by the test and demo scripts.
#
# Builds and installs the extension, and runs a throwaway PostgreSQL cluster
# as an unprivileged user (PostgreSQL refuses to run as root) in a temporary
# directory, on a Unix socket only.  Everything is removed on exit.
#
#   As root: installs into the system PostgreSQL, runs the server as
#   'postgres' (or $EOSWATH_TEST_USER).
#   As a normal user: installs into a private copy of the PostgreSQL tree
#   under the work directory; no root needed.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
SYS_PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin

# A work directory removed at exit.
WORK=$(mktemp -d /tmp/eoswath-test.XXXXXX)
chmod 755 "$WORK"
cleanup_hooks=()
harness_cleanup() {
    local rc=$?
    for ((i=${#cleanup_hooks[@]}-1; i>=0; i--)); do eval "${cleanup_hooks[i]}" || true; done
    [ -n "${EOSWATH_KEEP:-}" ] || rm -rf "$WORK"
    exit $rc
}
trap harness_cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" = 0 ]; then
    TEST_USER=${EOSWATH_TEST_USER:-postgres}
    id "$TEST_USER" >/dev/null 2>&1 || useradd --system --home-dir "$WORK" "$TEST_USER"
    as_user() { runuser -u "$TEST_USER" -- env PATH="$PATH" "$@"; }
    # EOSWATH_PG_CONFIG: a private server tree (see the non-root case)
    PG_CONFIG=${EOSWATH_PG_CONFIG:-$SYS_PGBIN/pg_config}
else
    TEST_USER=$(id -un)
    as_user() { "$@"; }
    if [ -n "${EOSWATH_PG_CONFIG:-}" ]; then
        # the private tree of the caller (run-all.sh passes its own to the suites)
        PG_CONFIG=$EOSWATH_PG_CONFIG
    else
        # private, relocatable copy of the server tree: pg_config follows it
        mkdir -p "$WORK/pg/usr/lib/postgresql" "$WORK/pg/usr/share/postgresql" "$WORK/pg/usr/include"
        cp -a /usr/lib/postgresql/$PG_MAJOR "$WORK/pg/usr/lib/postgresql/"
        cp -a /usr/share/postgresql/$PG_MAJOR "$WORK/pg/usr/share/postgresql/"
        ln -s /usr/include/postgresql "$WORK/pg/usr/include/postgresql"
        PG_CONFIG=$WORK/pg/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
    fi
fi
PGBIN=$("$PG_CONFIG" --bindir)
export PG_CONFIG PGBIN TEST_USER

# build_and_install: compile warning-free (CI: -Werror) and install.
build_and_install() {
    local werror=""
    [ -n "${CI:-}" ] && werror="-Werror"
    make -C "$REPO" -s PG_CONFIG="$PG_CONFIG" EOSWATH_CFLAGS="$werror" clean >/dev/null
    make -C "$REPO" -s -j2 PG_CONFIG="$PG_CONFIG" EOSWATH_CFLAGS="$werror"
    make -C "$REPO" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# copy_tree DIR: a copy of the repository the test user can write in.
copy_tree() {
    local dest=$1
    mkdir -p "$dest"
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dest")
    chown -R "$TEST_USER" "$dest" 2>/dev/null || true
}

# pg_start NAME: start a cluster in $WORK/NAME; sets PGHOST, PGPORT, PGDATA.
pg_start() {
    local name=${1:-pg}
    export PGDATA=$WORK/$name/data PGHOST=$WORK/$name/sock
    export PGPORT=${PGPORT:-$((20000 + RANDOM % 20000))}
    export PGUSER=$TEST_USER PGDATABASE=postgres
    mkdir -p "$PGHOST"
    chown -R "$TEST_USER" "$WORK/$name" 2>/dev/null || true
    as_user "$PGBIN/initdb" -D "$PGDATA" -U "$TEST_USER" -A trust --no-sync -E UTF8 --locale=C >/dev/null
    cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$PGHOST'
port = $PGPORT
fsync = ${EOSWATH_FSYNC:-on}
log_min_messages = warning
CONF
    as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/$name/log" -w -t 60 start >/dev/null
    cleanup_hooks+=("as_user '$PGBIN/pg_ctl' -D '$PGDATA' -m immediate -w stop >/dev/null 2>&1")
}

pg_stop() {
    as_user "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
}

psql_user() {
    as_user "$PGBIN/psql" -X -v ON_ERROR_STOP=1 "$@"
}
