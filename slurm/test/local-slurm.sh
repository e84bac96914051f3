#!/usr/bin/env bash
# A real Slurm on this one machine for the tests: munge, one slurmctld and three slurmd daemons (n1..n3), all on
# 127.0.0.1 with their own ports. Installs Debian's slurm-wlm and munge when missing (as root).
#   slurm/test/local-slurm.sh start | stop
set -euo pipefail
state=/var/lib/stemstream-slurm-test
conf=/etc/slurm/slurm.conf

install() {
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q slurm-wlm munge
  fi
}

configure() {
  mkdir -p /etc/slurm "$state/ctld" /var/spool/slurmd /var/log/slurm /run/munge
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 4 ))
  cat > "$conf" <<CONF
ClusterName=stemstream-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=17001
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=/var/spool/slurmd/%n
SlurmdPidFile=/run/slurmd-%n.pid
SlurmctldPidFile=/run/slurmctld.pid
SlurmdLogFile=/var/log/slurm/slurmd-%n.log
SlurmctldLogFile=/var/log/slurm/slurmctld.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
KillWait=60
InactiveLimit=0
SlurmdTimeout=60
NodeName=n[1-3] NodeAddr=127.0.0.1 Port=17001-17003 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=n[1-3] Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  if [[ ! -s /etc/munge/munge.key ]]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  chown -R munge:munge /etc/munge /run/munge 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
}

start() {
  install
  stop quietly
  configure
  pgrep -x munged >/dev/null || su -s /bin/sh munge -c "/usr/sbin/munged" 2>/dev/null || /usr/sbin/munged --force
  slurmctld -f "$conf"
  for n in n1 n2 n3; do
    mkdir -p "/var/spool/slurmd/$n"
    slurmd -f "$conf" -N "$n"
  done
  for _ in $(seq 60); do
    if [[ $(sinfo -h -N -o '%N %T' 2>/dev/null | grep -cE 'idle|mixed|allocated') -ge 3 ]]; then
      sinfo -N
      return 0
    fi
    sleep 1
  done
  echo "local slurm: the nodes did not come up" >&2
  sinfo -N >&2 || true
  tail -20 /var/log/slurm/slurmctld.log >&2 || true
  return 1
}

stop() {
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  for _ in $(seq 20); do
    pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || break
    sleep 0.5
  done
  [[ "${1:-}" == quietly ]] || echo "local slurm stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
