#!/usr/bin/env bash
# The R package (bindings/R/rsim): installed into a temporary library, its
# testthat tests run against the real rsim binary (RSIM_BIN) under the
# launcher the build found; any failed test fails this test.
source "$(dirname "$0")/lib.sh"
PKG="$RSIM_SOURCE_DIR/bindings/R/rsim"
mkdir -p "$WORK/lib"
R CMD INSTALL --no-test-load -l "$WORK/lib" "$PKG" >"$WORK/install.log" 2>&1 ||
  fail "R CMD INSTALL of $PKG failed:
$(tail -20 "$WORK/install.log")"
# rsim_run() starts "$RSIM_MPIEXEC" (options rsim.mpirun) with --oversubscribe
# (and --allow-run-as-root as root) itself.
export RSIM_BIN RSIM_MPIEXEC
export RSIM_BIG_TEST=1  # include the 10^6-task read: nothing may be skipped here
R_LIBS="$WORK/lib${R_LIBS:+:$R_LIBS}" Rscript - "$PKG/tests/testthat" <<'R' || fail "testthat tests of the R package failed"
options(rsim.mpirun = Sys.getenv("RSIM_MPIEXEC", "mpirun"), warn = 1)
library(testthat)
library(rsim)
res <- as.data.frame(test_dir(commandArgs(TRUE)[1], package = "rsim", load_package = "installed",
                              reporter = "summary", stop_on_failure = FALSE))
n_fail <- sum(res$failed) + sum(res$error)
cat(sprintf("R package tests: %d expectations passed, %d failed, %d skipped, in %d tests\n",
            sum(res$passed), n_fail, sum(res$skipped), nrow(res)))
if (n_fail > 0 || sum(res$skipped) > 0) quit(status = 1)
R
pass "R package: installed, its tests pass against $RSIM_BIN"
