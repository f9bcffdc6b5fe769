#!/usr/bin/env bash
# test/suites/clean_uninstall.sh: make install, CREATE EXTENSION, DROP
# EXTENSION, make uninstall leaves the server tree as it was: every file
# listed (path, size, mode) before and after, in a private copy of the tree.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
# always a private copy of the server tree of our own (also as root)
TREE=$WORK/clean-tree
mkdir -p "$TREE/usr/lib/postgresql" "$TREE/usr/share/postgresql" "$TREE/usr/include"
cp -a /usr/lib/postgresql/$PG_MAJOR "$TREE/usr/lib/postgresql/"
cp -a /usr/share/postgresql/$PG_MAJOR "$TREE/usr/share/postgresql/"
ln -s /usr/include/postgresql "$TREE/usr/include/postgresql"
# remove what an earlier install put into the copied tree, so "before" is clean
PG_CONFIG=$TREE/usr/lib/postgresql/$PG_MAJOR/bin/pg_config PGBIN=$TREE/usr/lib/postgresql/$PG_MAJOR/bin
make -C "$REPO" -s PG_CONFIG="$PG_CONFIG" uninstall >/dev/null
listing() { (cd "$TREE" && find . -path ./usr/include -prune -o -printf '%p %s %m %y\n' | sort); }
listing > "$WORK/before"
make -C "$REPO" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
[ -f "$("$PG_CONFIG" --pkglibdir)/eoswath.so" ] || { echo "not ok - nothing installed"; exit 1; }
pg_start clean
psql_user -q -c "SET client_min_messages = error" -c "CREATE EXTENSION eoswath CASCADE" \
    -c "SELECT wos_delete(wos_put('x'))" -c "DROP EXTENSION eoswath" -c "DROP EXTENSION postgis" >/dev/null
pg_stop
make -C "$REPO" -s PG_CONFIG="$PG_CONFIG" uninstall >/dev/null
listing > "$WORK/after"
if diff -u "$WORK/before" "$WORK/after"; then
    echo "ok - make install, CREATE/DROP EXTENSION, make uninstall: the tree is as it was ($(wc -l < "$WORK/before") entries)"
else
    echo "not ok - files left behind or removed (above)"; exit 1
fi
