#!/usr/bin/env bash
# Data frames that R tasks return land in /tables/<name> with a task
# column, rows ordered by task whatever rank ran them; a bare data frame is
# table "rows"; a failed task leaves no rows; content identical at -n 1, 2, 4.
source "$(dirname "$0")/lib.sh"
cat >"$WORK/t.R" <<'R'
summarise_part <- function(k, .task) {
  if (k == 3 && .task$replicate == 1) {
    out <- data.frame(i = 1:2, y = c(0.5, 1.5), lab = c("a", "b"))
    stop("failed after building its rows")
  }
  d <- data.frame(i = seq_len(k), y = rnorm(k), lab = letters[seq_len(k)], big = seq_len(k) > 1,
                  stringsAsFactors = TRUE)
  list(n = k, draws = d)
}
bare <- function(k) data.frame(k = k, sq = k^2)
R
cat >"$WORK/g.toml" <<'TOML'
[job]
name = "tables"
seed = 3
replicates = 3
[task]
backend = "r"
script = "t.R"
function = "summarise_part"
[grid]
k = [1, 2, 3, 4]
TOML
sed -e 's/summarise_part/bare/' -e 's/"tables"/"bare"/' "$WORK/g.toml" >"$WORK/bare.toml"
for np in 1 2 4; do
  expect_exit 3 mpirun_rsim $np -- "$WORK/g.toml" -q -o "$WORK/np$np.h5"
  expect_exit 0 mpirun_rsim $np -- "$WORK/bare.toml" -q -o "$WORK/bare$np.h5"
done
for np in 2 4; do
  $PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/np1.h5" "$WORK/np$np.h5" || fail "np1 vs np$np"
  $PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/bare1.h5" "$WORK/bare$np.h5" || fail "bare np1 vs np$np"
done
Rscript - "$WORK/np4.h5" "$WORK/bare4.h5" <<'R'
suppressPackageStartupMessages(library(hdf5r))
a <- commandArgs(TRUE)
f <- H5File$new(a[1], mode = "r")
task <- f[["tables/draws/task"]]$read(); i <- f[["tables/draws/i"]]$read()
lab <- f[["tables/draws/lab"]]$read(); big <- f[["tables/draws/big"]]$read(); y <- f[["tables/draws/y"]]$read()
k <- c(1, 2, 3, 4)[task %/% 3 + 1]
# task 7 (k = 3, replicate 1) failed: none of its rows may appear
stopifnot(!any(task == 7), !is.unsorted(task), length(task) == 3 * (1 + 2 + 3 + 4) - 3)
stopifnot(all(i == ave(task, task, FUN = seq_along)), all(lab == letters[i]), identical(big, i > 1))
stopifnot(is.double(y), all(is.finite(y)))
stopifnot(identical(as.numeric(f[["results/n"]]$read()[c(1, 4, 7, 8)]), c(1, 2, 3, NA)))
g <- H5File$new(a[2], mode = "r")
stopifnot(identical(as.numeric(g[["tables/rows/k"]]$read()), rep(c(1, 2, 3, 4), each = 3)),
          identical(as.numeric(g[["tables/rows/sq"]]$read()), rep(c(1, 4, 9, 16), each = 3)),
          identical(as.numeric(g[["tables/rows/task"]]$read()), as.numeric(0:11)))
cat("ok: tables read back in task order, failed task left no rows\n")
R
pass "data frame results as tables, identical at -n 1, 2, 4"
