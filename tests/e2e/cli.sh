#!/usr/bin/env bash
# The command line: help, version, exit codes and messages for bad input.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "$RSIM_BIN" --help
expect_out "Usage:"; expect_out "Exit codes:"; expect_out "--output"
expect_exit 0 "$RSIM_BIN" --version
expect_out "rsim 0."
expect_exit 0 "$RSIM_BIN" --list-kernels
expect_out "ttest_power"; expect_out "mean_ci_coverage"
expect_exit 1 "$RSIM_BIN"
expect_out "no grid.toml given"
expect_exit 1 "$RSIM_BIN" --bogus x.toml
expect_out "bogus"
expect_exit 1 "$RSIM_BIN" a.toml b.toml
expect_out "expected one grid.toml"
expect_exit 1 "$RSIM_BIN" "$WORK/missing.toml"
expect_out "$WORK/missing.toml"
pass "options"

good='[job]
name = "cli"
seed = 1
replicates = 3
[task]
backend = "native"
kernel = "ttest_power"
[grid]
n = [5]
delta = [0.5]'
printf '%s\n' "$good" >"$WORK/good.toml"
expect_exit 0 "$RSIM_BIN" "$WORK/good.toml"
expect_out "3 tasks, 3 ok, 0 failed"
[ -f "$WORK/cli.h5" ] || fail "no output"

printf '%s\nsede = 3\n' "$good" | sed 's/^\[grid\]/[grid]/' >"$WORK/typo.toml"
expect_exit 1 "$RSIM_BIN" "$WORK/typo.toml" -o "$WORK/typo.h5"
expect_out "typo.toml:"
expect_out "sede"
pass "a kernel parameter typo is refused"

sed 's/ttest_power/ttest_powr/' "$WORK/good.toml" >"$WORK/kern.toml"
expect_exit 1 "$RSIM_BIN" "$WORK/kern.toml" -o "$WORK/kern.h5"
expect_out "ttest_powr"; expect_out "ttest_power"

printf '%s\n' "$good" | sed 's/^seed = 1/seed = -1/' >"$WORK/seed.toml"
expect_exit 1 mpirun_rsim 2 -- "$WORK/seed.toml"
expect_out "seed.toml:3"
[ "$(grep -c 'seed' <<<"$OUT")" -ge 1 ] || fail "no seed message"
[ "$(grep -c '^rsim: error' <<<"$OUT")" -eq 1 ] || fail "a grid error must be printed once at -n 2:
$OUT"
pass "grid errors: exit 1, file and line, printed once"

mkdir "$WORK/adir.h5"
expect_exit 2 "$RSIM_BIN" "$WORK/good.toml" -o "$WORK/adir.h5"
expect_out "folder"
expect_exit 2 "$RSIM_BIN" "$WORK/good.toml" -o "$WORK/no/such/dir/out.h5"
expect_out "does not exist"
pass "bad output paths: exit 2"

expect_exit 0 "$RSIM_BIN" "$WORK/good.toml" --progress -o "$WORK/p.h5"
expect_out "ETA"
expect_exit 0 "$RSIM_BIN" "$WORK/good.toml" -o "$WORK/q.h5"
! grep -q "ETA" <<<"$OUT" || fail "progress line printed although stderr is not a terminal"
pass "progress line"

# A job that goes well says so on stdout; its stderr stays empty (no
# diagnostics left in by a developer), alone and at -n 2.
"$RSIM_BIN" "$WORK/good.toml" -q -o "$WORK/quiet1.h5" 2>"$WORK/quiet1.err" >/dev/null || fail "quiet run failed"
[ ! -s "$WORK/quiet1.err" ] || fail "a successful -q run wrote to stderr: $(cat "$WORK/quiet1.err")"
mpirun_rsim 2 -- "$WORK/good.toml" -q -o "$WORK/quiet2.h5" 2>"$WORK/quiet2.err" >/dev/null || fail "quiet run at -n 2 failed"
[ ! -s "$WORK/quiet2.err" ] || fail "a successful -q run at -n 2 wrote to stderr: $(cat "$WORK/quiet2.err")"
pass "a successful -q run writes nothing to stderr"

# rsim inspect: the job as JSON, the grid.toml's and the result file's alike
expect_exit 0 "$RSIM_BIN" inspect "$WORK/good.toml"
$PY - "$OUT" <<'PY' || fail "inspect JSON: $OUT"
import json, sys
j = json.loads(sys.argv[1])
assert j["n_tasks"] == 3 and j["job"]["name"] == "cli" and j["task"]["kernel"] == "ttest_power", j
assert "max_rss" in j["reserved_names"] and ".task" in j["reserved_names"]
assert [p["name"] for p in j["grid"]["params"]] == ["n", "delta"]
PY
expect_exit 0 "$RSIM_BIN" inspect "$WORK/cli.h5"
expect_out '"n_tasks": 3'
expect_exit 0 "$RSIM_BIN" inspect --task 2 "$WORK/good.toml"
expect_out '"replicate": 2'; expect_out '"delta": 0.5'
expect_exit 1 "$RSIM_BIN" inspect --task 3 "$WORK/good.toml"
expect_out "out of range"
expect_exit 0 "$RSIM_BIN" inspect --data "$WORK/good.toml"
$PY -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["data"] == [] and d["inspect_format"] >= 1, d' "$OUT" ||
  fail "inspect --data of a job without [data]: $OUT"
expect_exit 1 "$RSIM_BIN" inspect --data --task 1 "$WORK/good.toml"
expect_out "--task and --data contradict each other"
expect_exit 1 "$RSIM_BIN" inspect
expect_out "usage: rsim inspect"
pass "rsim inspect"

# rsim status survives a damaged status file and torn error-log lines
printf '{"state": "running", "n_tasks": 3, "updated": ' >"$WORK/cli.h5.status.json"
expect_exit 0 "$RSIM_BIN" status "$WORK/cli.h5"
expect_out "finished: 3 tasks"
mkdir -p "$WORK/torn.h5.ckpt"
printf '{"state": "running", "n_tasks": "many"}' >"$WORK/torn.h5.status.json"
expect_exit 0 "$RSIM_BIN" status "$WORK/torn.h5"
expect_out "state: running"
printf 'not json at all' >"$WORK/torn.h5.status.json"
expect_exit 0 "$RSIM_BIN" status "$WORK/torn.h5"
expect_out "damaged"
pass "rsim status: a damaged status file is reported, not fatal"

# usage errors are printed in the one error format
expect_exit 1 "$RSIM_BIN" --task x "$WORK/good.toml"
expect_out "rsim: error: --task needs a task id"
pass "one error format"

# a second run of a finished job does nothing and leaves no lock file behind
expect_exit 0 "$RSIM_BIN" "$WORK/good.toml"
expect_out "already complete"
[ ! -e "$WORK/cli.h5.lock" ] || fail "the lock file stays after a run with nothing to do"
pass "nothing to do: no lock file left"

# a torn line in an error log (a rank killed mid-write) leaves the status file valid JSON
mkdir -p "$WORK/torn2.h5.logs"
printf '{"task": 1, "status": "error", "message": "ok line", "time": "2026-01-01T00:00:00Z"}\n{"task": 2, "sta' \
  >"$WORK/torn2.h5.logs/errors-r00001.jsonl"
expect_exit 0 "$RSIM_BIN" "$WORK/good.toml" -o "$WORK/torn2.h5"
$PY - "$WORK/torn2.h5.status.json" <<'PY' || fail "status file is not valid JSON: $(cat "$WORK/torn2.h5.status.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert [e["message"] for e in j["recent_errors"]] == ["ok line"], j["recent_errors"]
PY
pass "a torn error-log line is skipped; the status file stays valid JSON"

# temporary files are created new: a link planted under their names is not written through
echo precious >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/sym.h5.tmp"
ln -s "$WORK/victim" "$WORK/sym.h5.status.json.tmp"
expect_exit 0 "$RSIM_BIN" "$WORK/good.toml" -o "$WORK/sym.h5"
[ "$(cat "$WORK/victim")" = precious ] || fail "a temporary file was written through a planted link"
[ ! -L "$WORK/sym.h5" ] && [ ! -L "$WORK/sym.h5.status.json" ] || fail "a planted link became the output"
pass "temporary files: O_EXCL, links not followed"
