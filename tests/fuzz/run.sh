#!/usr/bin/env bash
# Builds the grid.toml reader's libFuzzer target with clang (address and
# undefined-behaviour sanitizers) and fuzzes it for a fixed time, seeded with
# tests/fuzz/corpus (valid and invalid grid files).  Usage: run.sh BUILD_DIR [SECONDS]
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
secs=${2:-30}
out="$build/fuzz"
mkdir -p "$out/corpus" /tmp/rsim-fuzz
if ! command -v clang++ >/dev/null; then
  echo "SKIPPED: clang++ is not installed (scripts/setup-deps.sh --test installs it)"
  exit 0
fi
# All of src/rsim/grid/*.cpp is compiled in: the reader spans several files.
# toml++ is used as the same compiled library rsim links (not header-only with
# toml++'s own debug assertions), so the fuzzer exercises rsim's code.
clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1 \
  -I"$src/src" -I"$build/src" \
  "$src/tests/fuzz/fuzz_grid_reader.cpp" "$src"/src/rsim/grid/*.cpp \
  "$src/src/rsim/core/error.cpp" "$src/src/rsim/core/value.cpp" "$src/src/rsim/core/sha256.cpp" \
  -ltomlplusplus -lnettle -o "$out/fuzz_grid_reader"
cp "$src"/tests/fuzz/corpus/* "$out/corpus/"
"$out/fuzz_grid_reader" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" 2>&1 | tail -n 12
echo "fuzzed the grid.toml reader for ${secs}s without a finding"
