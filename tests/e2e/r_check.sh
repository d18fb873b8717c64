#!/usr/bin/env bash
# R CMD check of the R package (bindings/R/rsim) with the real binary:
# no errors and no warnings (the bar of the quality brief).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
R CMD build "$RSIM_SOURCE_DIR/bindings/R/rsim" >build.log 2>&1 || fail "R CMD build failed: $(tail -20 build.log)"
tarball=$(ls rsim_*.tar.gz)
export RSIM_BIN RSIM_MPIEXEC
_R_CHECK_CRAN_INCOMING_=false R CMD check --no-manual "$tarball" >check.log 2>&1 || true
grep -q "^Status: " check.log || fail "R CMD check did not finish: $(tail -30 check.log)"
if grep -qE "^Status: .*(ERROR|WARNING)" check.log; then
  # the verdict ends the "* checking" line, or stands on a line of its own
  # after what the check ran (tests: "Running 'testthat.R'" ... ERROR)
  fail "R CMD check: $(grep -E '^\* checking .*\.\.\. ?(ERROR|WARNING)|^ *(ERROR|WARNING)$' -B3 -A20 check.log | head -80)
$(grep '^Status:' check.log)"
fi
pass "R CMD check: $(grep '^Status:' check.log)"
