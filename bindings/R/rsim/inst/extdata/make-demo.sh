#!/usr/bin/env bash
# Remakes the demo result files of the package's examples with the rsim
# binary ($RSIM_BIN or rsim on the PATH), from any folder.  The jobs run in
# a temporary copy of their grid.toml and script, which is removed after:
# the absolute paths rsim records (job_json, the task's script) then name
# no folder of the machine that made them, and the package finds the script
# next to the installed result file.  Only the .h5 files are copied back.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RSIM=$(realpath "$(command -v "${RSIM_BIN:-rsim}")")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsim-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$here"/power-demo.toml "$here"/r-demo.toml "$here"/r-demo.R "$tmp"/
cd "$tmp"
"$RSIM" power-demo.toml -q || [ $? -eq 3 ]   # the last point fails on purpose: exit code 3
"$RSIM" r-demo.toml -q || [ $? -eq 3 ]       # so does k = 3 on replicate 3
cp power-demo.h5 r-demo.h5 "$here"/
