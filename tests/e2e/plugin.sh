#!/usr/bin/env bash
# A kernel plugin built against the installed rsim (find_package(rsim)) runs
# from grid.toml; a plugin that does not load, is not rsim's, has another
# ABI or lacks the kernel is refused before any task runs; a plugin kernel
# that segfaults takes the job down, loses nothing committed, and after it
# crashed its rank twice the task is marked failed and the job finishes.
source "$(dirname "$0")/lib.sh"
build=$(dirname "$RSIM_BIN")
cmake --install "$build" --prefix "$WORK/prefix" >"$WORK/install.log" 2>&1 || fail "cmake --install failed: $(tail "$WORK/install.log")"
cmake -S "$RSIM_SOURCE_DIR/examples/plugin" -B "$WORK/plugin" -DCMAKE_PREFIX_PATH="$WORK/prefix" >"$WORK/cfg.log" 2>&1 ||
  fail "configuring the example plugin failed: $(tail -20 "$WORK/cfg.log")"
cmake --build "$WORK/plugin" >"$WORK/b.log" 2>&1 || fail "building the example plugin failed: $(tail -20 "$WORK/b.log")"
lib="$WORK/plugin/libcoinflips.so"
[ -f "$lib" ] || fail "no $lib"

toml() {  # toml FILE PLUGIN KERNEL GRID [replicates] [extra]
  printf '[job]\nname = "p"\nseed = 7\nreplicates = %s\n[task]\nbackend = "native"\nplugin = "%s"\nkernel = "%s"\n[grid]\n%s\n%s\n' \
    "${5:-400}" "$2" "$3" "$4" "${6:-}" >"$1"
}
toml "$WORK/g.toml" "$lib" coin_flips 'n = [50]
p = [0.3, 0.5]'
expect_exit 0 mpirun_rsim 2 -- "$WORK/g.toml" -q
$PY - "$WORK/p.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
heads = f["results/heads"][()]; reps = int(f.attrs["replicates"])
for i, p in enumerate([0.3, 0.5]):
    m = heads[i * reps:(i + 1) * reps].mean() / 50
    se = np.sqrt(p * (1 - p) / 50 / reps)
    assert abs(m - p) < 4 * se, (p, m, se)
flips = f["results/flips"]
assert flips.attrs["encoding"] in ("bytes", b"bytes"), flips.attrs["encoding"]
assert all(len(flips[t]) == 50 and int(flips[t].sum()) == heads[t] for t in range(len(heads)))
print("ok: coin_flips share within 4 MC SEs of p; bytes field flips has 50 flips summing to heads")
PY
Rscript -e 'r <- rsim::read_results(commandArgs(TRUE)); stopifnot(is.raw(r$flips[[1]]), length(r$flips[[1]]) == 50, sum(as.integer(r$flips[[3]])) == r$heads[3])' "$WORK/p.h5" >/dev/null ||
  fail "read_results does not give a plugin's bytes field as raw vectors"
expect_exit 0 "$RSIM_BIN" --task 5 "$WORK/g.toml"
expect_out "\"name\":\"heads\""
expect_out "\"name\":\"flips\",\"type\":\"bytes\""
pass "plugin built with find_package(rsim) runs at -n 2 and with --task"

toml "$WORK/nok.toml" "$lib" coin_flops 'n = [5]'
expect_exit 1 "$RSIM_BIN" "$WORK/nok.toml" -o "$WORK/nok.h5"
expect_out 'has no kernel "coin_flops"'; expect_out "coin_flips"
libm=$(ls /lib/x86_64-linux-gnu/libm.so.6 /usr/lib/x86_64-linux-gnu/libm.so.6 2>/dev/null | head -1)
toml "$WORK/notrsim.toml" "$libm" x 'n = [5]'
expect_exit 1 "$RSIM_BIN" "$WORK/notrsim.toml" -o "$WORK/x.h5"
expect_out "is not an rsim plugin"
printf 'extern "C" int rsim_plugin_abi() { return 999; }\nnamespace rsim::run { class KernelRegistry; }\nextern "C" void rsim_register_kernels(rsim::run::KernelRegistry&) {}\n' >"$WORK/old.cpp"
g++ -shared -fPIC "$WORK/old.cpp" -o "$WORK/libold.so"
toml "$WORK/abi.toml" "$WORK/libold.so" x 'n = [5]'
expect_exit 1 "$RSIM_BIN" "$WORK/abi.toml" -o "$WORK/x.h5"
expect_out "plugin ABI 999"
echo "garbage" >"$WORK/libbad.so"
toml "$WORK/bad.toml" "$WORK/libbad.so" x 'n = [5]'
expect_exit 1 "$RSIM_BIN" "$WORK/bad.toml" -o "$WORK/x.h5"
expect_out "cannot load the plugin"
pass "bad plugins refused before any task runs"

toml "$WORK/crash.toml" "$lib" crash_at 'i = [1]' 30 '[args]
task = 11
[schedule]
chunk = 1
checkpoint = "1ms"'
sed -i '/^\[grid\]/,/^i = /d' "$WORK/crash.toml"
for attempt in 1 2; do
  set +e; mpirun_rsim 2 -- "$WORK/crash.toml" -q -o "$WORK/crash.h5" >"$WORK/c$attempt.out" 2>&1; code=$?; set -e
  [ "$code" -ne 0 ] || fail "run $attempt survived a segfaulting task"
  [ ! -e "$WORK/crash.h5" ] || fail "run $attempt wrote a result file"
done
expect_exit 3 mpirun_rsim 2 -- "$WORK/crash.toml" -q -o "$WORK/crash.h5"
expect_out "task 11 crashed its rank 2 times"
$PY - "$WORK/crash.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
st = f["tasks/status"][()]; ids = f["results/id"][()]
assert st[11] == 1 and (st[:11] == 0).all() and (st[12:] == 0).all(), st
assert list(ids[:11]) == list(range(11)) and list(ids[12:]) == list(range(12, 30))
msg = f["errors/message"][0].decode()
assert "running when its rank died, 2 times" in msg, msg
print("ok: task 11 failed after two crashes, the other 29 tasks ok")
PY
pass "a segfaulting plugin kernel: nothing committed lost, the task fails after two crashes"
