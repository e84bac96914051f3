#!/usr/bin/env bash
# The slurm/ scripts against a real Slurm on this machine (slurm/test/local-slurm.sh): the distribution archive
# unpacked in a fresh directory runs the demo; an sbatch job forms a 3-node cluster with security on (credentials
# from keys init: TLS between the nodes and the CLI, sealed and encrypted detector blocks) that counts a scan exactly
# as offline counting does, and scancel leaves no process and no partial file; a job whose seed cannot start fails
# with a clear error instead of waiting.
set -uo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
archive=$(ls "$top"/tools/target/stemstream-*-dist.tar.gz 2>/dev/null | head -1)
[[ -n "$archive" ]] || { echo "slurm tests: build the distribution first (mvn package)" >&2; exit 1; }
work=$(mktemp -d /tmp/stemstream-slurm-test.XXXXXX)
passed=0
failed=0

check() { # name, command...
  local name="$1"; shift
  if "$@"; then
    echo "PASS $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; failed=$((failed + 1))
  fi
}

wait_for() { # seconds, command...
  local until=$((SECONDS + $1)); shift
  until "$@"; do
    (( SECONDS > until )) && return 1
    sleep 1
  done
}

tar xzf "$archive" -C "$work"
dist=$(ls -d "$work"/stemstream-*)
export STEMSTREAM_HOME="$dist" STEMSTREAM_HEAP=768m
cli() { "$dist/bin/stemstream" "$@"; }

distribution_runs_the_demo() {
  (cd "$work" && STEMSTREAM_LOG_LEVEL=WARN cli demo --scan 8x8 --work-dir "$work/demo" > "$work/demo.log" 2>&1) \
    && grep -q "frames: 64 counted, 0 incomplete, 0 missing" "$work/demo.log" && [[ -s "$work/demo/scan1_counted.h5" ]]
}

job_output() { cat "$work"/stemstream-"$1".out 2>/dev/null; }
job_gone() { [[ -z "$(squeue -h -j "$1" 2>/dev/null)" ]]; }
no_node_left() { ! pgrep -f "stemstream.tools.StemstreamTools node" >/dev/null; }

cluster_job=""
cluster_counts_a_scan_and_scancel_ends_it() {
  local job out="$work/out" keys="$work/keys"
  cli keys init "$keys" > /dev/null || return 1
  local secured=(--security "$keys")
  job=$(cd "$work" && STEMSTREAM_OUTPUT="$out" STEMSTREAM_SECURITY="$keys" \
    sbatch --parsable -N 3 --time=10 "$dist/slurm/stemstream.sbatch") || return 1
  cluster_job=$job
  wait_for 180 bash -c "grep -q 'cluster up' $work/stemstream-$job.out 2>/dev/null" || { job_output "$job"; return 1; }
  grep -q "routing epoch" "$work/stemstream-$job.out" || return 1
  grep -q "security on" "$work/stemstream-$job.out" || { job_output "$job"; return 1; }
  cli scan start --scan-number 3 --scan 16x12 -o "$out/scan3.h5" --background-threshold 29 --xray-threshold 400 \
    --contact 127.0.0.1:2552 "${secured[@]}" || return 1
  cli detector --scan-number 3 --scan 16x12 --port 6210 --seed 8 --distinct-frames 32 "${secured[@]}" --encrypt \
    || return 1
  cli scan status 3 --follow --contact 127.0.0.1:2553 "${secured[@]}" > "$work/status.txt" \
    || { cat "$work/status.txt"; return 1; }
  grep -q "scan 3 done: 192/192 frames counted (0 incomplete, 0 missing)" "$work/status.txt" || return 1
  cli simulate --scan 16x12 --scan-number 3 --seed 8 --distinct-frames 32 -o "$work/raw" > /dev/null || return 1
  cli count -o "$work/offline.h5" --background-threshold 29 --xray-threshold 400 "$work"/raw/*.data > /dev/null \
    || return 1
  /usr/bin/python3 - "$work/offline.h5" "$out/scan3.h5" <<'PY' || return 1
import sys, h5py
a = [list(f) for f in h5py.File(sys.argv[1], 'r')['electron_events/frames'][()]]
b = [list(f) for f in h5py.File(sys.argv[2], 'r')['electron_events/frames'][()]]
sys.exit(0 if a == b else 1)
PY
  # a scan left running when the job is cancelled must leave no partial file behind
  cli scan start --scan-number 4 --scan 16x12 -o "$out/scan4.h5" --contact 127.0.0.1:2552 "${secured[@]}" \
    > /dev/null || return 1
  scancel "$job"
  wait_for 120 job_gone "$job" || return 1
  wait_for 30 no_node_left || { pgrep -af "stemstream.tools.StemstreamTools node"; return 1; }
  [[ -z "$(ls -A "$out" | grep -v -e '^scan3.h5$' -e '^scan3_scan.png$' -e '^scan3_diffraction.png$')" ]] \
    || { ls -la "$out"; return 1; }
}

a_seed_that_cannot_start_fails_the_job_clearly() {
  local job
  job=$(cd "$work" && STEMSTREAM_PORT=70000 sbatch --parsable -N 2 --time=5 "$dist/slurm/stemstream.sbatch") || return 1
  wait_for 120 job_gone "$job" || { scancel "$job"; return 1; }
  grep -q "the nodes stopped before the cluster formed" "$work/stemstream-$job.out" || { job_output "$job"; return 1; }
  grep -q "Invalid value for option '--port': 70000 (valid: 1 to 65531)" "$work/stemstream-$job.out" \
    || { job_output "$job"; return 1; }
  [[ "$(sacct -n -j "$job" -o State 2>/dev/null | head -1 | tr -d ' ')" != COMPLETED ]] || true
}

"$top/slurm/test/local-slurm.sh" start > "$work/slurm-start.log" 2>&1 || { cat "$work/slurm-start.log"; exit 1; }
check "the distribution archive runs the demo in a fresh directory" distribution_runs_the_demo
check "an sbatch job forms a secured 3-node cluster, counts a scan exactly, and scancel leaves nothing" \
  cluster_counts_a_scan_and_scancel_ends_it
# a cluster left by a failed check must not answer for the next job: cancel it and wait for its nodes to end
if [[ -n "$cluster_job" ]] && ! job_gone "$cluster_job"; then
  job_output "$cluster_job" | tail -40
  scancel "$cluster_job"
  wait_for 120 job_gone "$cluster_job"
  wait_for 60 no_node_left || pkill -f "stemstream.tools.StemstreamTools node"
fi
check "a job whose seed cannot start fails with a clear error" a_seed_that_cannot_start_fails_the_job_clearly
"$top/slurm/test/local-slurm.sh" stop > /dev/null
echo "slurm: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
