#!/usr/bin/env bash
# Per-task memory: /tasks/max_rss shows what a task itself added at its peak
# (a 300 MB task stands out from 1 MB ones, whatever ran before it), and [schedule]
# memory = "..." fails a task that allocates more instead of the node
# running out of memory; the other tasks are unaffected.
source "$(dirname "$0")/lib.sh"
cat >"$WORK/m.R" <<'R'
f <- function(mb, .task) {
  x <- numeric(mb * 2^20 / 8)
  x[] <- 1
  list(s = sum(x) > 0)
}
R
printf '[job]\nname = "m"\nseed = 1\nreplicates = 1\n[task]\nbackend = "r"\nscript = "m.R"\nfunction = "f"\n[grid]\nmb = [1, 300, 1, 2, 300, 1]\n[schedule]\nchunk = 1\n' >"$WORK/m.toml"
expect_exit 0 "$RSIM_BIN" "$WORK/m.toml" -q
$PY - "$WORK/m.h5" <<'PY'
import sys, h5py
rss = h5py.File(sys.argv[1], "r")["tasks/max_rss"][()] / 2**20
print("max_rss MB per task:", [round(x) for x in rss])
small, big = rss[[0, 2, 3, 5]], rss[[1, 4]]
# (the second 300 MB task may reuse what R kept from the first: no growth)
assert big[0] > 250, "a 300 MB task must show about 300 MB"
assert (small < 50).all(), "1-2 MB tasks, also right after a big one, must show little"
PY
sed 's/^\[schedule\]/[schedule]\nmemory = "600MB"/; s/mb = \[1, 300, 1, 2, 300, 1\]/mb = [1, 2000, 1]/' "$WORK/m.toml" >"$WORK/lim.toml"
expect_exit 3 "$RSIM_BIN" "$WORK/lim.toml" -q -o "$WORK/lim.h5"
$PY - "$WORK/lim.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
st = list(f["tasks/status"][()]); msg = f["errors/message"][0].decode()
assert st == [0, 1, 0], st
assert "cannot allocate" in msg, msg
print("ok: the 2000 MB task failed under memory = 600MB:", msg)
PY
pass "per-task peak memory and the memory limit"
