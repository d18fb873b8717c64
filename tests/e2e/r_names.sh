#!/usr/bin/env bash
# Any name, any number of fields (issue 14): result fields, tables and
# columns named as R names them ("I(speed/2)", "a/b", ".", "x y", "100%",
# non-ASCII, 200 characters) are stored under rsim's link names with the
# originals listed, and come back under their own names in read_results(),
# read_table(), job_info() and h5py; 5,000 fields per task work.  The file
# is the same at -n 1, 2 and 4.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat >names.R <<'R'
f <- function(i) {
  fit <- lm(dist ~ I(speed / 2), cars)
  c(as.list(coef(fit)),
    list(`a/b` = i, `.` = 2, `x y` = 3), stats::setNames(list(4), "\u00fcn\u00ef"),
    list(`100%` = 5, `t/1` = data.frame(`p/q` = 1:2, `.` = c(0.5, 1), check.names = FALSE)),
    stats::setNames(list(7), strrep("n", 200)))
}
R
printf '[job]\nname = "names"\nseed = 1\nreplicates = 3\n[task]\nbackend = "r"\nscript = "names.R"\nfunction = "f"\n[grid]\ni = [1, 2]\n' >names.toml
same_at_1_2_4 0 names.toml names
Rscript - <<'R' || fail "R does not read the names back"
library(rsim)
r <- read_results("names-2.h5")
want <- c("(Intercept)", "I(speed/2)", "a/b", ".", "x y", "\u00fcn\u00ef", "100%", strrep("n", 200))
stopifnot(identical(setdiff(names(r), c("task", "point", "replicate", "i", "status", "elapsed", "warnings")), want))
stopifnot(all.equal(r[["I(speed/2)"]][1], unname(coef(lm(dist ~ I(speed / 2), cars))[2])))
stopifnot(all(r[["a/b"]] == rep(c(1, 2), each = 3)), all(r[["."]] == 2), all(r[[strrep("n", 200)]] == 7))
t <- read_table("names-2.h5", "t/1")
stopifnot(identical(names(t)[5:6], c("p/q", ".")), identical(t[["p/q"]], rep(1:2, 6)))
stopifnot(identical(job_info("names-2.h5")$fields$field, want), identical(job_info("names-2.h5")$tables, "t/1"))
s <- summarise_results("names-2.h5", fields = c("I(speed/2)", "a/b"))
stopifnot(identical(s[["a/b_mean"]], c(1, 2)))
R
$PY - names-1.h5 <<'PY' || fail "h5py does not see the documented names"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
g = f["results"]
names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["names"]]
links = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["links"]]
assert names[:4] == ["(Intercept)", "I(speed/2)", "a/b", "."], names
assert links[:4] == ["(Intercept)", "I(speed%2F2)", "a%2Fb", "%2E"], links
for n, l in zip(names, links):
    d = g[l]
    assert (d.attrs["name"] == n) if l != n else ("name" not in d.attrs), (n, l)
assert "t%2F1" in f["tables"] and f["tables/t%2F1"].attrs["name"] == "t/1"
PY
pass "odd names stored and read back by R and h5py, identical at -n 1, 2, 4"

# 5,000 fields per task (the segment header is past 64 KiB).
printf 'f <- function(i) as.list(stats::setNames(i + seq_len(5000) / 10, paste0("a_field_of_a_wide_task_", seq_len(5000))))\n' >wide.R
printf '[job]\nname = "wide"\nseed = 1\nreplicates = 3\n[task]\nbackend = "r"\nscript = "wide.R"\nfunction = "f"\n[grid]\ni = [1, 2]\n[schedule]\nchunk = 1\n' >wide.toml
expect_exit 0 mpirun_rsim 1 -- wide.toml -q -o wide-1.h5
expect_exit 0 mpirun_rsim 2 -- wide.toml -q -o wide-2.h5
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" wide-1.h5 wide-2.h5 >/dev/null || fail "5,000 fields: -n 2 differs from -n 1"
$PY - wide-2.h5 <<'PY' || fail "5,000 fields: wrong content"
import sys, h5py
g = h5py.File(sys.argv[1], "r")["results"]
assert len(g) == 5000 and len(g.attrs["names"]) == 5000
assert list(g["a_field_of_a_wide_task_5000"][:]) == [501.0] * 3 + [502.0] * 3
PY
pass "5,000 fields per task at -n 1 and 2"

# 10,000 fields per task: the binary at -n 2, read back by h5py and by
# read_results() (the last field and the count; about 20 s in R).
printf 'f <- function(i) as.list(stats::setNames(i + seq_len(10000) / 10, paste0("f", seq_len(10000))))\n' >wide10.R
sed 's/wide.R/wide10.R/; s/"wide"/"wide10"/' wide.toml >wide10.toml
expect_exit 0 mpirun_rsim 2 -- wide10.toml -q -o wide10.h5
$PY - wide10.h5 <<'PY' || fail "10,000 fields: wrong content"
import sys, h5py
g = h5py.File(sys.argv[1], "r")["results"]
assert len(g) == 10000 and len(g.attrs["names"]) == 10000
assert list(g["f10000"][:]) == [1001.0] * 3 + [1002.0] * 3
PY
Rscript -e 'r <- rsim::read_results("wide10.h5", status = "ok"); stopifnot(ncol(r) == 10007L, identical(names(r)[5], "f1"), all(r$f10000 == rep(c(1001, 1002), each = 3)))' ||
  fail "10,000 fields: read_results"
pass "10,000 fields per task at -n 2, read by h5py and read_results()"
