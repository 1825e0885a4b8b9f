#!/usr/bin/env bash
# End to end on real engines: a sweep cut into shards by `schedlab sweep --emit`, run
#  1. on a one-node Slurm cluster started here (munged, slurmctld, slurmd with a minimal
#     slurm.conf in a temporary directory): `bash sweep.sh` submits the job array and the merge;
#  2. with GNU parallel (twice: the second run resumes from the job log and does nothing new);
# and each merged tree compared byte for byte with the unsharded sweep run locally.
#
# Needs root and apt (it installs Debian's slurm-wlm, munge and parallel when missing). Without
# them it FAILS saying what is missing: it never passes without having run. It stops the
# daemons it started, by their process ids, whatever happens (trap). About a minute once the
# packages are installed. SCHEDLAB_KEEP_CLUSTER_DIR=1 keeps the temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

fail() {
    echo "test-cluster: FAILED: $*" >&2
    exit 1
}

# == what the machine must have
need=()
for cmd in munged slurmctld slurmd sbatch squeue sinfo parallel; do
    command -v "$cmd" >/dev/null 2>&1 || need+=("$cmd")
done
if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        fail "missing ${need[*]}; installing slurm-wlm, munge and parallel needs root (run as root, or install them)"
    fi
    command -v apt-get >/dev/null 2>&1 ||
        fail "missing ${need[*]}, and apt-get is unavailable to install slurm-wlm, munge and parallel"
    echo "== apt-get install slurm-wlm munge parallel (missing: ${need[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || fail "apt-get update failed (no network to the Debian registry?)"
    apt-get install -y -qq slurm-wlm munge parallel >/dev/null ||
        fail "apt-get install slurm-wlm munge parallel failed"
fi
[[ $(id -u) -eq 0 ]] || fail "the one-node Slurm cluster runs its daemons as root; this is uid $(id -u)"

echo "== cargo build --release --locked"
cargo build --release --locked
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/schedlab"
BIN=$(readlink -f "$BIN")
[[ -x $BIN ]] || fail "no binary at $BIN"

T=$(mktemp -d /tmp/schedlab-cluster.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
    local status=$?
    for pidfile in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munged.pid"; do
        if [[ -s $pidfile ]]; then
            local pid
            pid=$(cat "$pidfile")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    if ((status != 0)); then
        for log in "$T"/log/*.log "$T"/munged.log "$T"/slurm/logs/* "$T"/parallel/logs/*; do
            [[ -f $log ]] && { echo "--- $log"; tail -n 20 "$log"; }
        done >&2
    fi
    if [[ ${SCHEDLAB_KEEP_CLUSTER_DIR:-} == 1 ]]; then
        echo "kept $T" >&2
    else
        rm -rf "$T"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# == munge: our own key, socket and pid file, so that a system munged is left alone
mkdir -p "$T/log" "$T/state" "$T/spool"
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge.key"
munged --force --key-file="$T/munge.key" --socket="$T/munge.socket" \
    --pid-file="$T/munged.pid" --log-file="$T/munged.log" --seed-file="$T/munge.seed" ||
    fail "munged did not start"
for _ in $(seq 50); do [[ -S $T/munge.socket ]] && break; sleep 0.1; done
[[ -S $T/munge.socket ]] || fail "munged made no socket"

# == slurm: one node, this host, no accounting
HOST=$(hostname -s)
export SLURM_CONF=$T/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=schedlabtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge.socket
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/ctld.log
SlurmdLogFile=$T/log/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
MpiDefault=none
MailProg=/bin/true
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
echo "== starting slurmctld and slurmd ($SLURM_CONF)"
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 120); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)
    [[ $state == idle ]] && break
    sleep 0.5
done
[[ ${state:-} == idle ]] || fail "the node is not idle after 60 s (state: ${state:-none})"
echo "node $HOST idle"

# == the sweep: the bundled one, small (80 units), rr(q=0.5) checking the quoting
SCENARIO=$ROOT/scenarios/sweep-load.toml
ARGS=(--jobs 400 --replications 2 --compare 'fcfs,ps,rr(q=0.5)')
echo "== local, unsharded"
"$BIN" sweep "$SCENARIO" "${ARGS[@]}" --out "$T/local" >/dev/null

same_tree() {
    local got=$1 what=$2
    cmp "$T/local/sweep.csv" "$got/sweep.csv" || fail "$what: sweep.csv differs from the local sweep"
    cmp "$T/local/sweep.json" "$got/sweep.json" || fail "$what: sweep.json differs from the local sweep"
    diff -r "$T/local/plots" "$got/plots" || fail "$what: plots differ from the local sweep"
    grep -q '"merged": true' "$got/manifest.json" || fail "$what: the manifest does not say merged"
    echo "$what: sweep.csv, sweep.json and $(ls "$got/plots" | wc -l) plots identical to the local sweep"
}

echo "== slurm: bash sweep.sh (7 shards, at most 3 running)"
"$BIN" sweep "$SCENARIO" "${ARGS[@]}" --out "$T/slurm" --emit slurm --shards 7 --max-running 3 \
    --time 10:00 >"$T/sweep.sh"
merge=$(bash "$T/sweep.sh") || fail "bash sweep.sh failed"
[[ $merge =~ ^[0-9]+$ ]] || fail "sweep.sh printed '$merge', not a job id"
echo "merge job $merge submitted; waiting"
for _ in $(seq 600); do
    reason=$(squeue -h -j "$merge" -o %r 2>/dev/null || true)
    [[ -z $reason ]] && break
    [[ $reason == DependencyNeverSatisfied ]] && fail "a shard task failed: the merge job $merge can never run"
    sleep 0.5
done
[[ -z $(squeue -h -j "$merge" 2>/dev/null) ]] || fail "merge job $merge still queued after 300 s: $(squeue -h)"
[[ -f $T/slurm/manifest.json ]] || fail "merge job $merge left no results tree"
ls "$T/slurm" | grep -c '^shard-' | grep -qx 7 || fail "not 7 shard directories in $T/slurm"
same_tree "$T/slurm" slurm

echo "== GNU parallel: bash sweep-parallel.sh (5 shards), then again (resumed: no shard reruns)"
"$BIN" sweep "$SCENARIO" "${ARGS[@]}" --out "$T/parallel" --emit parallel --shards 5 --max-running 2 \
    >"$T/sweep-parallel.sh"
bash "$T/sweep-parallel.sh" >/dev/null || fail "bash sweep-parallel.sh failed"
same_tree "$T/parallel" parallel
[[ $(tail -n +2 "$T/parallel/logs/parallel.joblog" | wc -l) -eq 5 ]] || fail "the job log does not hold 5 shards"
stamp=$(stat -c %.9Y "$T/parallel/shard-0/shard.json")
sleep 1
bash "$T/sweep-parallel.sh" >/dev/null || fail "bash sweep-parallel.sh failed when run again"
[[ $(stat -c %.9Y "$T/parallel/shard-0/shard.json") == "$stamp" ]] || fail "the resumed run ran shard 0 again"
same_tree "$T/parallel" "parallel, resumed"
echo "test-cluster: ok"
