#!/usr/bin/env bash
# ceph.sh - throw-away single-node Ceph cluster (1 mon, 1 osd, radosgw/S3)
# built from Debian 12 packages (Ceph 16.2 "pacific"), for eoswath's S3 tests.
#
#   ceph.sh install          apt-get install the needed packages (idempotent)
#   ceph.sh start DIR        start mon+osd+rgw under DIR, create one S3 user,
#                            write DIR/env and print its path
#   ceph.sh stop DIR         stop rgw, osd, mon (in that order) and remove DIR
#   ceph.sh stop-rgw DIR     stop only the gateway   (fault injection)
#   ceph.sh start-rgw DIR    restart only the gateway
#   ceph.sh stop-osd DIR     stop only the OSD       (bluestore only)
#   ceph.sh start-osd DIR    restart only the OSD; bluestore keeps the data
#   ceph.sh status DIR       show which daemons are alive
#
# Environment:
#   CEPH_STORE=memstore|bluestore   object store (default memstore: RAM only,
#                                   data lost when the OSD stops)
#   CEPH_BLUESTORE_SIZE=10G         size of the sparse bluestore block file
#   CEPH_MEMSTORE_SIZE=4G           memstore capacity (an upper bound only)
#   CEPH_START_TIMEOUT=60           seconds to wait for each daemon
#
# Everything runs as plain background processes (no systemd) as the calling
# user; root is fine (the Debian daemons only drop privileges if given
# --setuser, which we never pass). Auth is disabled cluster-wide; S3 auth
# (SigV4 with the generated keys) is of course still enforced by radosgw.
set -euo pipefail

PACKAGES=(ceph-mon ceph-osd radosgw ceph-common s3cmd)
# A caller that sourced some DIR/env has CEPH_CONF pointing at that cluster;
# tools we call without -c (monmaptool) would read it. Never inherit these.
unset CEPH_CONF CEPH_ARGS
START_TIMEOUT=${CEPH_START_TIMEOUT:-60}
STOP_TIMEOUT=${CEPH_STOP_TIMEOUT:-15}

log() { printf '[ceph.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- helpers

# A TCP port that is free right now on 127.0.0.1. The kernel picks it
# (bind to port 0), so two harnesses started concurrently get different ports.
free_port() {
    local py
    for py in /usr/bin/python3 python3; do
        if command -v "$py" >/dev/null 2>&1; then
            "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
            return
        fi
    done
    # Fallback without python: random port in the ephemeral range, checked
    # with bash's /dev/tcp (connection refused => probably free).
    local p _
    for _ in $(seq 1 100); do
        p=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"; return
        fi
    done
    die "could not find a free port"
}

# Every ceph CLI call goes through this: without a manager daemon some
# commands wait forever, and a dead monitor makes all of them hang.
cephc() { timeout 20 ceph -c "$CONF" "$@"; }

# Alive = exists and is not a zombie. The daemons fork into the background,
# so they are re-parented to PID 1; if PID 1 is a lazy reaper (seen in a
# firecracker VM: ~2 s) a finished daemon lingers as a zombie and kill -0
# would still succeed.
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $st != Z ]]
}

# Read the pid a daemon wrote (they daemonize and write pid_file themselves).
read_pid() {
    local f=$1 _
    for _ in $(seq 1 $(( START_TIMEOUT * 10 ))); do
        [[ -s $f ]] && { cat "$f"; return; }
        sleep 0.1
    done
    die "no pid file $f"
}

# stop_pid NAME PID: SIGTERM, wait up to STOP_TIMEOUT s, then SIGKILL.
stop_pid() {
    local name=$1 pid=$2 _
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $(( STOP_TIMEOUT * 10 ))); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || return 0; sleep 0.1; done
    log "$name (pid $pid) survived SIGKILL?"
}

setup_paths() {
    [[ -n "${1:-}" ]] || die "usage: $0 ${CMD} DIR"
    DIR=$(cd "$1" 2>/dev/null && pwd) || die "no such directory: $1"
    CONF=$DIR/ceph.conf
    ENVF=$DIR/env
}

load_env() {
    [[ -f $ENVF ]] || die "$ENVF not found (was '$0 start $DIR' run?)"
    # shellcheck disable=SC1090
    source "$ENVF"
}

# Rewrite one VAR=value line of DIR/env (used when the gateway restarts).
set_env_var() {
    local var=$1 val=$2
    sed -i "s|^${var}=.*|${var}=${val}|" "$ENVF"
}

# ---------------------------------------------------------------- install

cmd_install() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    if (( ${#missing[@]} == 0 )); then
        log "all packages already installed"
        return 0
    fi
    local SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    log "installing: ${missing[*]}"
    # Try without 'apt-get update' first (fast path when lists are current);
    # update only if the candidates are unknown or the download fails.
    if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
        $SUDO apt-get update
        $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
    fi
}

# ---------------------------------------------------------------- config

write_conf() {
    local store=$1
    cat >"$CONF" <<EOF
# Generated by ceph.sh - single node, throw-away, no authentication.
[global]
fsid = $FSID
# Our own monitor port (not the fixed 3300/6789) so that several harnesses can
# run side by side. msgr v2 only: one port, and v1 would need a second one.
mon_host = [v2:127.0.0.1:$MON_PORT]
ms_bind_msgr1 = false
public_addr = 127.0.0.1
# ...and the OSD's cluster/heartbeat ports too (default: all interfaces).
cluster_addr = 127.0.0.1

# No cephx at all; nothing here is reachable from outside 127.0.0.1.
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# With auth "none" there is no session key, so msgr2 "secure" mode cannot be
# negotiated; the mon-client default (secure first) makes radosgw hang for
# ever at start-up. Force crc everywhere.
ms_mon_client_mode = crc
ms_mon_cluster_mode = crc
ms_mon_service_mode = crc
ms_client_mode = crc
ms_cluster_mode = crc
ms_service_mode = crc
# Avoid "unable to find a keyring" noise: there are no keys.
keyring = /dev/null

# Keep every file of the cluster inside DIR.
run_dir = $DIR/run
admin_socket = $DIR/run/\$name.asok
pid_file = $DIR/run/\$name.pid
log_file = $DIR/log/\$name.log
mon_cluster_log_file = $DIR/log/cluster.log
crash_dir = $DIR/crash
mon_data = $DIR/mon/\$name
osd_data = $DIR/osd/\$name
# Debian's default is to log to syslog/journald as well for daemons. Don't.
log_to_syslog = false
err_to_syslog = false
clog_to_syslog = false
log_to_stderr = false
err_to_stderr = true

# A single OSD: single-copy pools. size=1 additionally has to be allowed
# explicitly since Octopus.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
# Place replicas across OSDs, not hosts (irrelevant with size 1, but keeps
# CRUSH happy if someone raises the size).
osd_crush_chooseleaf_type = 0
# radosgw creates ~7 pools; with the default 32 PGs each, one OSD would exceed
# mon_max_pg_per_osd (250) and pool creation would fail. Small PG counts also
# make peering faster. No mgr => no autoscaler; silence it.
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
mon_allow_pool_delete = true
# Silence health warnings that only matter for real clusters.
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim = false
mon_warn_on_insecure_global_id_reclaim_allowed = false

[mon]
# The monitor batches map updates for 1 s per proposal by default; the
# many sequential map changes of bring-up (osd boot, 7 pool creations) then
# take > 12 s. 0.1 s brings start-up to a couple of seconds.
paxos_propose_interval = 0.1
paxos_min_wait = 0.01
mon_osd_reporter_subtree_level = osd

[osd]
osd_objectstore = $store
# Skip telling the mon we are going down (waits up to 5 s for an ack).
osd_fast_shutdown_notify_mon = false
osd_fast_shutdown = true
# Small memory footprint.
osd_memory_target = 939524096
EOF
    if [[ $store == memstore ]]; then
        cat >>"$CONF" <<EOF
# memstore keeps every object in RAM and loses it when the OSD stops. This is
# only a capacity limit (the OSD reports it as its size), not an allocation.
memstore_device_bytes = $(numfmt --from=iec "${CEPH_MEMSTORE_SIZE:-4G}")
EOF
    else
        cat >>"$CONF" <<EOF
# BlueStore on a sparse file. The file must not be osd_data/block itself
# (ceph-osd --mkfs creates the 'block' symlink there and would clobber it),
# so it lives in $DIR/bluestore and is referenced by path.
bluestore_block_path = $DIR/bluestore/block
bluestore_block_create = true
bluestore_block_size = $(numfmt --from=iec "${CEPH_BLUESTORE_SIZE:-10G}")
bluestore_block_db_create = false
bluestore_block_wal_create = false
bluestore_fsck_on_mkfs = false
bluestore_fsck_on_mount = false
bluestore_cache_autotune = false
bluestore_cache_size = 134217728
# The sparse file lives on a regular filesystem: no TRIM.
bdev_enable_discard = false
EOF
    fi
    cat >>"$CONF" <<EOF

[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw_data = $DIR/rgw
# Fail fast instead of the default 300 s if the cluster is not usable.
rgw_init_timeout = 60
# Nothing of this is needed for tests; fewer background threads.
rgw_enable_usage_log = false
rgw_dynamic_resharding = false
rgw_thread_pool_size = 64
EOF
}

# ---------------------------------------------------------------- start

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
    local secs=$1 what=$2 _; shift 2
    for _ in $(seq 1 $(( secs * 10 ))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out after ${secs}s waiting for $what (logs in $DIR/log)"
}

osd_is_up() { cephc osd dump 2>/dev/null | grep -q '^osd\.0 up'; }

rgw_answers() { # any HTTP response at all (the anonymous GET / returns 200)
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$RGW_PORT/") || return 1
    [[ $code != 000 ]]
}

start_rgw_process() {
    rm -f "$DIR/run/client.rgw.pid"
    radosgw -c "$CONF" -n client.rgw 2>>"$DIR/log/radosgw.stderr"
    RGW_PID=$(read_pid "$DIR/run/client.rgw.pid")
    wait_for "$START_TIMEOUT" "radosgw on port $RGW_PORT" rgw_answers
}

cmd_start() {
    [[ -n "${1:-}" ]] || die "usage: $0 start DIR"
    mkdir -p "$1"
    setup_paths "$1"
    [[ ! -e $ENVF ]] || die "$DIR already holds a cluster ($ENVF exists)"
    local store=${CEPH_STORE:-memstore}
    [[ $store == memstore || $store == bluestore ]] || die "CEPH_STORE must be memstore or bluestore"
    command -v ceph-mon >/dev/null || die "ceph not installed: run '$0 install'"

    mkdir -p "$DIR"/{run,log,crash,mon,osd/osd.0,rgw,bluestore}
    FSID=$(cat /proc/sys/kernel/random/uuid)
    MON_PORT=$(free_port)
    RGW_PORT=$(free_port)
    while [[ $RGW_PORT == "$MON_PORT" ]]; do RGW_PORT=$(free_port); done
    write_conf "$store"

    # If anything below fails (set -e or die), do not leave daemons running.
    STARTED=0
    trap 'if [[ $STARTED != 1 ]]; then log "start failed; daemons stopped, logs kept in $DIR/log"; kill_all_in_dir; fi' EXIT

    # --- monitor
    monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" \
        "$DIR/monmap" >/dev/null
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" 2>>"$DIR/log/mon.stderr"
    ceph-mon -c "$CONF" -i a 2>>"$DIR/log/mon.stderr"
    MON_PID=$(read_pid "$DIR/run/mon.a.pid")
    wait_for "$START_TIMEOUT" "monitor" cephc mon stat

    # --- osd
    local osd_uuid osd_id
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    osd_id=$(cephc osd new "$osd_uuid")
    [[ $osd_id == 0 ]] || die "unexpected osd id '$osd_id'"
    ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/osd.mkfs.log" 2>&1
    ceph-osd -c "$CONF" -i 0 2>>"$DIR/log/osd.stderr"
    OSD_PID=$(read_pid "$DIR/run/osd.0.pid")
    wait_for "$START_TIMEOUT" "osd.0 up" osd_is_up

    # --- gateway (it creates its pools and the default zone on first start)
    start_rgw_process

    # --- S3 user with keys of our choosing
    S3_ACCESS_KEY=$(tr -dc 'A-Z0-9' </dev/urandom | head -c 20 || true)
    S3_SECRET_KEY=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40 || true)
    timeout 30 radosgw-admin -c "$CONF" user create --uid=eoswath \
        --display-name="eoswath tests" \
        --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" \
        >"$DIR/user.json" 2>>"$DIR/log/radosgw-admin.stderr"

    write_env "$store"
    write_s3cfg
    STARTED=1
    echo "$ENVF"
}

write_env() {
    cat >"$ENVF" <<EOF
# Generated by ceph.sh; source me.
S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
S3_ACCESS_KEY=$S3_ACCESS_KEY
S3_SECRET_KEY=$S3_SECRET_KEY
# radosgw does not check the region in the SigV4 credential scope against
# its zonegroup; any string signs fine. us-east-1 is what SDKs default to.
S3_REGION=us-east-1
RGW_PORT=$RGW_PORT
MON_PORT=$MON_PORT
MON_PID=$MON_PID
OSD_PID=$OSD_PID
RGW_PID=$RGW_PID
CEPH_STORE=$1
CEPH_CONF=$CONF
S3CFG=$DIR/s3cfg
export S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION CEPH_CONF
EOF
}

write_s3cfg() {
    cat >"$DIR/s3cfg" <<EOF
[default]
access_key = $S3_ACCESS_KEY
secret_key = $S3_SECRET_KEY
host_base = 127.0.0.1:$RGW_PORT
host_bucket = 127.0.0.1:$RGW_PORT
bucket_location = us-east-1
use_https = False
signature_v2 = False
EOF
}

# ---------------------------------------------------------------- stop

# Last resort for a failed start: every daemon whose pid file is in DIR.
kill_all_in_dir() {
    local n f
    for n in client.rgw osd.0 mon.a; do
        f=$DIR/run/$n.pid
        [[ -s $f ]] && stop_pid "$n" "$(cat "$f")"
    done
    return 0
}

# daemon_pid NAME ENV_PID: the daemons (re)write DIR/run/NAME.pid on every
# start and remove it on clean exit; prefer it over the copy in DIR/env.
daemon_pid() {
    local f=$DIR/run/$1.pid
    if [[ -s $f ]]; then cat "$f"; else echo "${2:-}"; fi
}

cmd_stop() {
    setup_paths "$1"
    if [[ -f $ENVF ]]; then
        load_env
        # Order matters: radosgw hangs in SIGTERM handling once the OSD or
        # the monitor is gone, and the OSD wants the monitor while stopping.
        # radosgw normally exits in 0.2 s, but hangs in shutdown if its
        # requests cannot complete (e.g. after a memstore OSD restart).
        STOP_TIMEOUT=5 stop_pid radosgw "$(daemon_pid client.rgw "$RGW_PID")"
        stop_pid osd.0 "$(daemon_pid osd.0 "$OSD_PID")"
        stop_pid mon.a "$(daemon_pid mon.a "$MON_PID")"
    fi
    kill_all_in_dir     # in case start died half way (pid files only)
    rm -rf "$DIR"
}

cmd_stop_rgw() {
    setup_paths "$1"; load_env
    stop_pid radosgw "$(daemon_pid client.rgw "$RGW_PID")"
    set_env_var RGW_PID ""
}

cmd_start_rgw() {
    setup_paths "$1"; load_env
    if pid_alive "$RGW_PID"; then log "radosgw already running (pid $RGW_PID)"; return 0; fi
    # Record the pid even if the port never answers, so stop can find it.
    trap 'set_env_var RGW_PID "${RGW_PID:-}"' EXIT
    start_rgw_process
    set_env_var RGW_PID "$RGW_PID"
}

# memstore has nothing on disk: a restarted OSD comes back empty while the
# monitor still lists the pools, and radosgw then hangs for ever. So OSD
# restarts are only offered with bluestore.
need_bluestore() {
    [[ $CEPH_STORE == bluestore ]] || die "OSD restart needs CEPH_STORE=bluestore (memstore loses all data)"
}

cmd_stop_osd() {
    setup_paths "$1"; load_env; need_bluestore
    stop_pid osd.0 "$(daemon_pid osd.0 "$OSD_PID")"
    set_env_var OSD_PID ""
    # osd_fast_shutdown_notify_mon=false: the monitor still believes osd.0 is
    # up (until its heartbeat grace expires). Tell it, so that start-osd's
    # wait for "up" means the new process.
    cephc osd down 0 >/dev/null 2>&1 || true
}

cmd_start_osd() {
    setup_paths "$1"; load_env; need_bluestore
    if pid_alive "$OSD_PID"; then log "osd.0 already running (pid $OSD_PID)"; return 0; fi
    rm -f "$DIR/run/osd.0.pid"
    ceph-osd -c "$CONF" -i 0 2>>"$DIR/log/osd.stderr"
    OSD_PID=$(read_pid "$DIR/run/osd.0.pid")
    set_env_var OSD_PID "$OSD_PID"
    wait_for "$START_TIMEOUT" "osd.0 up" osd_is_up
}

cmd_status() {
    setup_paths "$1"; load_env
    local n p rc=0
    for n in MON OSD RGW; do
        p=${n}_PID; p=${!p}
        if pid_alive "$p"; then echo "$n running (pid $p)"; else echo "$n stopped"; rc=1; fi
    done
    return $rc
}

# ---------------------------------------------------------------- main

CMD=${1:-}
shift || true
case $CMD in
    install)   cmd_install ;;
    start)     cmd_start "$@" ;;
    stop)      cmd_stop "$@" ;;
    stop-rgw)  cmd_stop_rgw "$@" ;;
    start-rgw) cmd_start_rgw "$@" ;;
    stop-osd)  cmd_stop_osd "$@" ;;
    start-osd) cmd_start_osd "$@" ;;
    status)    cmd_status "$@" ;;
    *) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
