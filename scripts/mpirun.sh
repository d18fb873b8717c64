#!/usr/bin/env bash
# mpirun with the flags this machine needs: --allow-run-as-root when root,
# --oversubscribe so more ranks than cores still start.
set -euo pipefail
flags=(--oversubscribe)
[ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
exec mpirun "${flags[@]}" "$@"
