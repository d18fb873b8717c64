# Tests that run jobs need the rsim binary: set RSIM_BIN=/path/to/build/rsim.
# Without it they are skipped; the others (grid.toml writing, seeds,
# reading the demo files) still run.
library(testthat)
library(rsim)

test_check("rsim")
