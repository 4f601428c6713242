#!/usr/bin/env bash
# start-slurm.sh - idempotent single-node Slurm "cluster" on localhost for tests/cluster/test_slurm.py
# (adapted from shared/reference/local-slurm). Installs Debian's Slurm 22.05 with munge and
# slurmdbd+MariaDB (so sacct works), starts the daemons by hand (no systemd) and records
# their PIDs; stop-slurm.sh stops exactly those PIDs.
#
# Target: Debian 12 (bookworm) -> Slurm 22.05.8 from Debian packages; runs as
# root, no systemd (daemons are started by hand, PIDs recorded in
# $SLURM_LOCAL_DIR/pids/*.pid so stop-slurm.sh only kills what this script started).
#
# Knobs (environment variables):
#   SLURM_LOCAL_DIR   state/log/pid dir           (default /var/tmp/mlan-slurm)
#   SLURM_ACCOUNTING  dbd | none                  (default dbd: slurmdbd+mariadb, sacct works)
#   SLURM_AUTH        munge | none                (default munge; 'none' = auth/none+cred/none)
#   SLURM_FAKE_GPUS   number of fake GPUs         (default 8; 0 disables GRES)
#   SLURM_GPU_TYPE    GRES type name              (default a100)
#   SLURM_TASK_PLUGIN task/none | task/affinity   (default task/none; no cgroups either way)
#   SLURM_NODE_CPUS   advertise this many CPUs    (default: real count from `slurmd -C`)
#   SLURM_NODE_MEM_MB advertise this much memory  (default: real RealMemory - 512)
#                     (values above the real hardware use SlurmdParameters=config_overrides,
#                      so "big" requests like --mem 256000 -c 32 schedule on a small VM)
#   SLURM_ACCOUNTS    extra accounts to create for root (default: none; needs dbd),
#                     e.g. "myaccount" so the snakemake plugin's account check passes
#   SLURM_NO_INSTALL  1 = never run apt-get       (default 0)
#
# Creates partitions "cpu" (default) and "gpu", both containing node "localhost".
set -euo pipefail

RUN=${SLURM_LOCAL_DIR:-/var/tmp/mlan-slurm}
ACCOUNTING=${SLURM_ACCOUNTING:-dbd}
AUTH=${SLURM_AUTH:-munge}
NGPU=${SLURM_FAKE_GPUS:-8}
GPU_TYPE=${SLURM_GPU_TYPE:-a100}
TASK_PLUGIN=${SLURM_TASK_PLUGIN:-task/none}
CLUSTER=localcluster
CONF_DIR=/etc/slurm
DB_PASS=slurmtestpw

log() { printf '[start-slurm %(%T)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

# ---------------------------------------------------------------- packages
PKGS=(slurmctld slurmd slurm-client)
[ "$AUTH" = munge ] && PKGS+=(munge)
[ "$ACCOUNTING" = dbd ] && PKGS+=(slurmdbd mariadb-server)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "${SLURM_NO_INSTALL:-0}" = 1 ] && die "missing packages: ${missing[*]}"
  log "installing: ${missing[*]}"
  t0=$SECONDS
  # keep maintainer scripts from starting daemons (no systemd here anyway)
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  log "apt install took $((SECONDS - t0)) s"
fi

mkdir -p "$RUN"/{pids,log,state/ctld,state/d} "$CONF_DIR"
T_START=$SECONDS

# ---------------------------------------------------------------- helpers
# our_pid NAME COMM -> prints pid if we started it and it is still alive
our_pid() {
  local f="$RUN/pids/$1.pid" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  if [ -d "/proc/$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$2" ]; then
    echo "$pid"; return 0
  fi
  rm -f "$f"; return 1
}
# wait_for SECONDS DESC CMD...
wait_for() {
  local n=$1 desc=$2; shift 2
  for ((i = 0; i < n * 5; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "timed out waiting for $desc (see $RUN/log)"
}
# record_from_pidfile NAME DAEMON_PIDFILE COMM
record_from_pidfile() {
  local i
  for ((i = 0; i < 100; i++)); do
    if [ -s "$2" ] && [ "$(cat /proc/$(cat "$2")/comm 2>/dev/null)" = "$3" ]; then
      cp "$2" "$RUN/pids/$1.pid"; return 0
    fi
    sleep 0.1
  done
  die "$1 did not write $2 (see $RUN/log)"
}
# write_if_changed FILE MODE  (content on stdin); sets CHANGED=1 on change
CHANGED=0
write_if_changed() {
  local tmp; tmp=$(mktemp)
  cat > "$tmp"
  if ! cmp -s "$tmp" "$1"; then mv "$tmp" "$1"; CHANGED=1; else rm -f "$tmp"; fi
  chmod "$2" "$1"
}

# ---------------------------------------------------------------- config
HW=$(slurmd -C | head -1)   # NodeName=<host> CPUs=.. Boards=.. ... RealMemory=..
get() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$HW"; }
CPUS=$(get CPUs); SOCKETS=$(get SocketsPerBoard); CORES=$(get CoresPerSocket)
THREADS=$(get ThreadsPerCore); MEM=$(get RealMemory)
MEM=$((MEM - 512))          # leave a little headroom so the node never drains on "Low RealMemory"
OVERRIDES=""
if [ -n "${SLURM_NODE_CPUS:-}" ] && [ "$SLURM_NODE_CPUS" != "$CPUS" ]; then
  CPUS=$SLURM_NODE_CPUS; SOCKETS=1; CORES=$CPUS; THREADS=1; OVERRIDES=1
  [ "$TASK_PLUGIN" = task/none ] || die "fake CPU counts need SLURM_TASK_PLUGIN=task/none"
fi
if [ -n "${SLURM_NODE_MEM_MB:-}" ]; then
  [ "$SLURM_NODE_MEM_MB" -gt "$MEM" ] && OVERRIDES=1
  MEM=$SLURM_NODE_MEM_MB
fi
[ -n "$OVERRIDES" ] && OVERRIDES="SlurmdParameters=config_overrides"

GRES_LINE="" NODE_GRES=""
if [ "$NGPU" -gt 0 ]; then
  GRES_LINE="GresTypes=gpu"
  NODE_GRES="Gres=gpu:${GPU_TYPE}:${NGPU}"
fi
if [ "$AUTH" = munge ]; then AUTH_LINES="AuthType=auth/munge
CredType=cred/munge"; else AUTH_LINES="AuthType=auth/none
CredType=cred/none"; fi
if [ "$ACCOUNTING" = dbd ]; then ACCT_LINES="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu,gres/gpu:$GPU_TYPE
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30"; else ACCT_LINES="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"; fi

write_if_changed "$CONF_DIR/slurm.conf" 644 <<EOF
# generated by start-slurm.sh
ClusterName=$CLUSTER
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
$AUTH_LINES
StateSaveLocation=$RUN/state/ctld
SlurmdSpoolDir=$RUN/state/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$RUN/log/slurmctld.log
SlurmdLogFile=$RUN/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=$TASK_PLUGIN
SwitchType=switch/none
MpiDefault=none
LaunchParameters=use_interactive_step
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=5
MinJobAge=600
KillWait=5
InactiveLimit=0
Waittime=0
$ACCT_LINES
JobCompType=jobcomp/none
AccountingStoreFlags=job_comment
$OVERRIDES
$GRES_LINE
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS Sockets=$SOCKETS CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$MEM $NODE_GRES State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost Default=NO MaxTime=INFINITE State=UP
EOF

# Fake GPUs: slurmd drops GPUs without File= ("Removing file-less GPU"), and
# regular files are rejected ("not a valid character or block device"), so
# point File= at symlinks to /dev/null (a char device; no mknod needed).
rm -rf "$RUN/fakegpu"; mkdir -p "$RUN/fakegpu"
for ((i = 0; i < NGPU; i++)); do ln -s /dev/null "$RUN/fakegpu/nvidia$i"; done
{
  echo "# generated by start-slurm.sh: fake GPUs (symlinks to /dev/null), no autodetection"
  echo "AutoDetect=off"
  if [ "$NGPU" -gt 0 ]; then
    echo "NodeName=localhost Name=gpu Type=$GPU_TYPE File=$RUN/fakegpu/nvidia[0-$((NGPU - 1))]"
  fi
} | write_if_changed "$CONF_DIR/gres.conf" 644

write_if_changed "$CONF_DIR/cgroup.conf" 644 <<EOF
# generated by start-slurm.sh (cgroups are not used: proctrack/linuxproc, task/none)
CgroupPlugin=autodetect
EOF

if [ "$ACCOUNTING" = dbd ]; then
  write_if_changed "$CONF_DIR/slurmdbd.conf" 600 <<EOF
# generated by start-slurm.sh
$(echo "$AUTH_LINES" | head -1)
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
PidFile=$RUN/slurmdbd.pid
LogFile=$RUN/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
fi

# config changed while daemons of ours are running -> restart them
if [ $CHANGED = 1 ] && ls "$RUN"/pids/slurm*.pid >/dev/null 2>&1; then
  log "configuration changed; restarting slurm daemons started earlier"
  "$(dirname "$0")/stop-slurm.sh" --slurm-only || true
fi

# ---------------------------------------------------------------- munge
if [ "$AUTH" = munge ]; then
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "munged already running"
  else
    install -d -o munge -g munge -m 0755 /run/munge
    [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null; }
    chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
    record_from_pidfile munged /run/munge/munged.pid munged
    wait_for 10 munged sh -c 'munge -n | unmunge'
    log "munged started (pid $(cat "$RUN/pids/munged.pid"))"
  fi
fi

# ---------------------------------------------------------------- mariadb + slurmdbd
if [ "$ACCOUNTING" = dbd ]; then
  if mariadb-admin ping >/dev/null 2>&1; then
    log "mariadb already running"
  else
    install -d -o mysql -g root -m 0755 /run/mysqld
    [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >"$RUN/log/mariadb-install.log" 2>&1
    setsid nohup /usr/sbin/mariadbd --user=mysql --innodb-buffer-pool-size=64M \
      --log-error="$RUN/log/mariadb.log" </dev/null >/dev/null 2>&1 &
    echo $! > "$RUN/pids/mariadbd.pid"
    wait_for 60 mariadb mariadb-admin ping
    log "mariadb started (pid $(cat "$RUN/pids/mariadbd.pid"))"
  fi
  mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

  if our_pid slurmdbd slurmdbd >/dev/null; then
    log "slurmdbd already running"
  else
    rm -f "$RUN/slurmdbd.pid"
    slurmdbd
    record_from_pidfile slurmdbd "$RUN/slurmdbd.pid" slurmdbd
    wait_for 60 slurmdbd sacctmgr -n list cluster
    log "slurmdbd started (pid $(cat "$RUN/pids/slurmdbd.pid"))"
  fi
  # cluster, account and user associations (idempotent; -P avoids truncated names)
  q() { sacctmgr -n -P list "$@" 2>/dev/null || true; }
  [ -n "$(q cluster where name=$CLUSTER format=cluster)" ] || sacctmgr -i add cluster "$CLUSTER" >/dev/null
  [ -n "$(q account where name=default format=account)" ] ||
    sacctmgr -i add account default Description=tests Organization=tests >/dev/null
  [ -n "$(q assoc where user=root account=default format=user)" ] ||
    sacctmgr -i add user root DefaultAccount=default Account=default >/dev/null
  for acct in ${SLURM_ACCOUNTS:-}; do
    [ -n "$(q account where name=$acct format=account)" ] ||
      sacctmgr -i add account "$acct" Description=tests Organization=tests >/dev/null
    [ -n "$(q assoc where user=root account=$acct format=user)" ] ||
      sacctmgr -i add user root Account="$acct" >/dev/null
  done
fi

# ---------------------------------------------------------------- slurmctld + slurmd
if our_pid slurmctld slurmctld >/dev/null; then
  log "slurmctld already running"
else
  rm -f "$RUN/slurmctld.pid"
  slurmctld -i          # -i: ignore errors while reading saved state (e.g. after config changes)
  record_from_pidfile slurmctld "$RUN/slurmctld.pid" slurmctld
  wait_for 30 slurmctld sh -c 'scontrol ping | grep -q UP'
  log "slurmctld started (pid $(cat "$RUN/pids/slurmctld.pid"))"
fi
if our_pid slurmd slurmd >/dev/null; then
  log "slurmd already running"
else
  rm -f "$RUN/slurmd.pid"
  slurmd -N localhost   # node name differs from `hostname`
  record_from_pidfile slurmd "$RUN/slurmd.pid" slurmd
  log "slurmd started (pid $(cat "$RUN/pids/slurmd.pid"))"
fi
# wait for slurmd to register; clear a DRAIN/DOWN left over from an earlier config
wait_for 30 "slurmd registration" sh -c '! sinfo -h -n localhost -o %T | grep -Eq "^(unknown|down\*|idle\*)"'
if sinfo -h -n localhost -o %T | grep -Eq "drain|down|inval"; then
  log "node state $(sinfo -h -n localhost -o %T) ($(sinfo -h -n localhost -o %E)); resuming"
  scontrol update nodename=localhost state=resume || true
fi
wait_for 60 "node localhost to become usable" sh -c \
  'sinfo -h -n localhost -o %T | grep -Eq "^(idle|mixed|allocated|completing)$"'

log "daemon start took $((SECONDS - T_START)) s"
sinfo -o '%P %a %D %T %c %m %G'
