#!/usr/bin/env bash
# stop-slurm.sh - (tests/test_slurm.py) stop only the daemons that start-slurm.sh started (PIDs recorded
# in $SLURM_LOCAL_DIR/pids/<name>.pid). Never kills by name.
#   --slurm-only : stop slurmd/slurmctld/slurmdbd, leave munged/mariadb running
#   --purge      : additionally delete $SLURM_LOCAL_DIR (state, logs)
set -uo pipefail
RUN=${SLURM_LOCAL_DIR:-/var/tmp/mlan-slurm}
ORDER=(slurmd slurmctld slurmdbd mariadbd munged)
PURGE=0
for a in "$@"; do
  case $a in
    --slurm-only) ORDER=(slurmd slurmctld slurmdbd) ;;
    --purge) PURGE=1 ;;
  esac
done

stop_one() {   # NAME (also the expected /proc/PID/comm)
  local name=$1 f="$RUN/pids/$1.pid" pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if [ -d "/proc/$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$name" ]; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 150; i++)); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
    if [ -d "/proc/$pid" ]; then
      echo "[stop-slurm] $name ($pid) ignored SIGTERM, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
    echo "[stop-slurm] stopped $name (pid $pid)" >&2
  else
    echo "[stop-slurm] $name (pid $pid) not running" >&2
  fi
  rm -f "$f"
}
# cancel jobs of our own cluster first so no slurmstepd/job processes are orphaned
if [ -s "$RUN/pids/slurmctld.pid" ] && [ "$(cat /proc/$(cat "$RUN/pids/slurmctld.pid")/comm 2>/dev/null)" = slurmctld ]; then
  jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    echo "[stop-slurm] cancelling jobs: $jobs" >&2
    scancel $jobs 2>/dev/null
    for ((i = 0; i < 50; i++)); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.2; done
  fi
fi
for d in "${ORDER[@]}"; do stop_one "$d"; done
[ $PURGE = 1 ] && rm -rf "$RUN"
exit 0
