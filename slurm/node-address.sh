#!/usr/bin/env bash
# The address Slurm has for a node (its NodeAddr), rather than assuming its name resolves in DNS.
set -euo pipefail
addr=$(scontrol show node "$1" 2>/dev/null | grep -oE 'NodeAddr=[^ ]+' | head -1 | cut -d= -f2)
if [[ -z "$addr" || "$addr" == "$1" ]]; then
  addr=$(getent hosts "$1" | awk '{print $1; exit}')
fi
echo "${addr:-$1}"
