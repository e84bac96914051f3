#!/usr/bin/env bash
# One stemstream node of a Slurm job (run by srun, one task per node): the job's first node is the seed.
# Ports are offset by the node's index in the job, so that nodes sharing one address (a test cluster) do not clash;
# on a real allocation every node has its own address and the offset is harmless.
set -euo pipefail
home="$STEMSTREAM_HOME"
me="${SLURMD_NODENAME:-$(hostname -s)}"
addr="$("$home/slurm/node-address.sh" "$me")"
index="${SLURM_NODEID:-0}"
port=$(( ${STEMSTREAM_PORT:-6200} + 10 * index ))
cluster_port=$(( ${STEMSTREAM_CLUSTER_PORT:-2552} + index ))
management_port=$(( 7626 + index ))
if [[ "$index" == 0 ]]; then
  role=(--seed)
else
  role=(--join "$STEMSTREAM_SEED")
fi
security=()
[[ -n "${STEMSTREAM_SECURITY:-}" ]] && security=(--security "$STEMSTREAM_SECURITY")
# Two nodes survive the death of either only with a lease both see (docs/cluster.md): on the shared output directory.
lease=()
[[ "${SLURM_JOB_NUM_NODES:-0}" == 2 ]] && lease=(--lease-file "$STEMSTREAM_OUTPUT/.stemstream-${SLURM_JOB_ID:-job}.lease")
echo "stemstream node $index on $me ($addr): detector ports $port..$((port + 4)), cluster port $cluster_port"
export STEMSTREAM_JAVA_OPTS="-Xmx${STEMSTREAM_HEAP:-8g} -Dpekko.management.http.hostname=$addr ${STEMSTREAM_JAVA_OPTS:-}"
# exec: the JVM gets srun's SIGTERM itself and leaves the cluster gracefully.
exec "$home/bin/stemstream" node "${role[@]}" --host "$addr" --port "$port" --cluster-port "$cluster_port" \
  --management-port "$management_port" "${security[@]}" "${lease[@]}"
