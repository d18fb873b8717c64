#!/usr/bin/env bash
# An R task's random numbers equal what plain R gives from the
# (t+1)-th parallel::nextRNGStream of set.seed(seed, "L'Ecuyer-CMRG"), for
# t = 0, small t and t > 10^6 (run alone with --task), and are the same at
# any rank count.
source "$(dirname "$0")/lib.sh"
cat >"$WORK/rng.R" <<'R'
draw <- function(a) list(z = rnorm(3), u = runif(1), s = sample.int(1000L, 1L))
R
cat >"$WORK/g.toml" <<'TOML'
[job]
name = "rng"
seed = 20261129
replicates = 2000000
[task]
backend = "r"
script = "rng.R"
function = "draw"
[grid]
a = [1]
TOML
for t in 0 1 17 1000001; do
  "$RSIM_BIN" --task $t "$WORK/g.toml" >"$WORK/t$t.json" || fail "rsim --task $t failed"
done
Rscript - "$WORK" <<'R'
w <- commandArgs(TRUE)[1]
ref <- function(t) {
  set.seed(20261129, kind = "L'Ecuyer-CMRG")
  s <- .Random.seed
  for (i in 0:t) s <- parallel::nextRNGStream(s)
  assign(".Random.seed", s, envir = globalenv())
  list(z = rnorm(3), u = runif(1), s = sample.int(1000L, 1L))
}
for (t in c(0, 1, 17, 1000001)) {
  lines <- readLines(file.path(w, sprintf("t%d.json", t)))
  out <- jsonlite::fromJSON(lines[length(lines)], simplifyVector = FALSE)
  fields <- setNames(lapply(out$fields, function(f) as.numeric(unlist(f$value))), vapply(out$fields, `[[`, "", "name"))
  r <- ref(t)
  got <- list(z = fields$z, u = fields$u, s = fields$s)
  if (!isTRUE(all.equal(got, list(z = r$z, u = r$u, s = as.numeric(r$s)), tolerance = 1e-15)))
    stop("task ", t, ": rsim gave ", deparse(got), ", R gave ", deparse(r))
  cat(sprintf("task %d: rnorm, runif and sample.int equal plain R's stream\n", t))
}
R
sed -i 's/^replicates = .*/replicates = 40/' "$WORK/g.toml"
for np in 1 2 4; do mpirun_rsim $np -- "$WORK/g.toml" -q -o "$WORK/np$np.h5" >/dev/null; done
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/np1.h5" "$WORK/np2.h5" || fail "np1 vs np2"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/np1.h5" "$WORK/np4.h5" || fail "np1 vs np4"
pass "R streams equal plain R's and are identical at -n 1, 2, 4"
