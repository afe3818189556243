#!/usr/bin/env bash
# A real one-node Slurm cluster for tests/slurm.rs, in a directory of its
# own: `cluster.sh start DIR` writes DIR/slurm.conf and starts munged (if it
# is not running), slurmctld and slurmd, and waits for the node to be idle;
# `cluster.sh stop DIR` stops what start started. Needs root and Debian's
# slurmctld, slurmd, slurm-client and munge (scripts/system-deps.sh).
# Clients use it with SLURM_CONF=DIR/slurm.conf.
set -euo pipefail
command=$1
dir=$(realpath -m "$2")
export SLURM_CONF="$dir/slurm.conf"

stop() {
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
        if [ -f "$pidfile" ]; then
            pid=$(cat "$pidfile")
            kill "$pid" 2>/dev/null || true
            # Gone (or a zombie nobody reaps here) within a few seconds.
            for _ in $(seq 50); do
                state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
                case "$state" in "" | Z*) break ;; esac
                sleep 0.1
            done
            rm -f "$pidfile"
        fi
    done
}

case "$command" in
start)
    mkdir -p "$dir/state" "$dir/spool" "$dir/log"
    node=$(hostname -s)
    cat >"$SLURM_CONF" <<CONF
ClusterName=bioflux-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    if ! pgrep -x munged >/dev/null; then
        mkdir -p /run/munge && chown munge:munge /run/munge
        runuser -u munge -- /usr/sbin/munged
        cp /run/munge/munged.pid "$dir/munged.pid"
    fi
    /usr/sbin/slurmctld
    /usr/sbin/slurmd
    for _ in $(seq 100); do
        state=$(sinfo -h -o %t 2>/dev/null || true)
        if [ "$state" = idle ]; then
            exit 0
        fi
        sleep 0.2
    done
    echo "the node did not become idle (state: ${state:-none}); logs in $dir/log" >&2
    stop
    exit 1
    ;;
stop)
    stop
    ;;
*)
    echo "usage: cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac
