#!/usr/bin/env bash
# Benchmark of the native model-training kernels against glmnet (issue 8):
# the same alpha x lambda grid (5 x 13 points) with 10-fold cross-validation
# on the same folds (a fold column), fitted
#   - natively by enet_cv or logistic_cv (fold_column = "fold"), and
#   - by glmnet through rsim's R backend, one glmnet() per fold plus one on
#     all rows, at thresh = 1e-20 (where glmnet reaches the exact fit the
#     native kernels converge to) and at glmnet's default thresh = 1e-7,
# on datasets that ship with R: swiss (gaussian, Fertility ~ 5 predictors,
# 47 rows), quakes (gaussian, mag ~ lat + long + depth + stations, 1000
# rows) and infert (binomial, case ~ age + parity + induced + spontaneous,
# 248 rows).
# A task makes 11 fits (10 folds + all rows); per-fit time = task phase of
# rsim's summary line ("ran N tasks in S s", one rank, start-up excluded)
# divided by the fits.  Also checks that both give the same coefficients and
# CV losses (largest relative difference over the grid).
# Prints a markdown table.  Needs R with glmnet and the rsim R package.
# Usage: bench/learners.sh [build dir] [native replicates]   (default ./build, 200)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
reps=${2:-200}
rsim="$build/rsim"
mpi="$root/scripts/mpirun.sh"
work=$(mktemp -d /tmp/rsim-bench-learners.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The data (with a random fold column, set.seed(1)) and each dataset's
# lambda grid: gaussian s_y * 10^(-3, -2.75, ..., 0), s_y the 1/n sd of the
# response; binomial 10^(-3.5, ..., -0.5).
Rscript --vanilla - "$work" <<'R' >"$work/sets.txt"
work <- commandArgs(trailingOnly = TRUE)[1]
sets <- list(swiss = list(d = datasets::swiss, y = "Fertility", family = "gaussian"),
             quakes = list(d = datasets::quakes, y = "mag", family = "gaussian"),
             infert = list(d = datasets::infert[, c("case", "age", "parity", "induced", "spontaneous")],
                           y = "case", family = "binomial"))
for (name in names(sets)) {
  s <- sets[[name]]
  d <- s$d
  names(d) <- gsub(".", "_", names(d), fixed = TRUE)
  set.seed(1)
  d$fold <- sample(rep_len(1:10, nrow(d)))
  write.csv(d, file.path(work, paste0(name, ".csv")), row.names = FALSE)
  y <- d[[s$y]]
  lambdas <- if (s$family == "gaussian") sqrt(mean((y - mean(y))^2)) * 10^seq(-3, 0, by = 0.25)
             else 10^seq(-3.5, -0.5, by = 0.25)
  cat(name, s$y, s$family, nrow(d), ncol(d) - 2, paste(signif(lambdas, 6), collapse = ", "), sep = "|")
  cat("\n")
}
R

# glmnet per fold, as examples/model-training/glmnet.R, for any response;
# binomial: held-out deviance per row with p clamped to [1e-5, 1 - 1e-5].
cat >"$work/glmnet.R" <<'R'
x <- as.matrix(train[, setdiff(names(train), c(response, "fold"))])
y <- train[[response]]
fold <- train$fold
fit_enet <- function(rows, alpha, lambda, thresh) {
  glmnet::glmnet(x[rows, , drop = FALSE], y[rows], family = family, alpha = alpha, lambda = lambda,
                 thresh = thresh)
}
held_out_loss <- function(y, pred) {
  if (family == "gaussian") return(mean((y - pred)^2))
  p <- pmin(pmax(pred, 1e-5), 1 - 1e-5)
  mean(-2 * (y * log(p) + (1 - y) * log(1 - p)))
}
cv <- function(alpha, lambda, thresh) {
  k <- max(fold)
  loss <- rows <- numeric(k)
  for (f in seq_len(k)) {
    out <- fold == f
    pred <- predict(fit_enet(!out, alpha, lambda, thresh), x[out, , drop = FALSE], type = "response")
    loss[f] <- held_out_loss(y[out], pred)
    rows[f] <- sum(out)
  }
  cv_loss <- weighted.mean(loss, rows)
  b <- as.vector(coef(fit_enet(rep(TRUE, length(y)), alpha, lambda, thresh)))
  list(cv_loss = cv_loss, cv_se = sqrt(weighted.mean((loss - cv_loss)^2, rows) / (k - 1)),
       nonzero = as.integer(sum(b[-1] != 0)), intercept = b[1], coef = b[-1])
}
R

grid='alpha = [0.0, 0.25, 0.5, 0.75, 1.0]'
native_job() {  # native_job NAME DATA RESPONSE LAMBDAS KERNEL
  printf '[job]\nname = "%s"\nseed = 1\nreplicates = %s\n[task]\nbackend = "native"\nkernel = "%s"\n[data]\ntrain = "%s.csv"\n[args]\nresponse = "%s"\nfold_column = "fold"\n[grid]\n%s\nlambda = [%s]\n' \
    "$1" "$reps" "$5" "$2" "$3" "$grid" "$4" >"$work/$1.toml"
}
r_job() {  # r_job NAME DATA RESPONSE LAMBDAS FAMILY THRESH
  printf 'response <- "%s"\nfamily <- "%s"\n' "$3" "$5" | cat - "$work/glmnet.R" >"$work/$1.R"
  printf '[job]\nname = "%s"\nseed = 1\n[task]\nbackend = "r"\nscript = "%s.R"\nfunction = "cv"\npackages = ["glmnet"]\n[data]\ntrain = "%s.csv"\n[args]\nthresh = %s\n[grid]\n%s\nlambda = [%s]\n' \
    "$1" "$1" "$2" "$6" "$grid" "$4" >"$work/$1.toml"
}
run() {  # run NAME -> RUN_S (task phase, one rank), TASKS
  local out
  out=$("$mpi" -n 1 "$rsim" "$work/$1.toml" -o "$work/$1.h5" 2>&1 </dev/null) || { echo "$out" >&2; exit 1; }
  RUN_S=$(sed -n 's/.*ran [0-9]* tasks in \([0-9.]*\) s.*/\1/p' <<<"$out")
  TASKS=$(sed -n 's/.*ran \([0-9]*\) tasks in.*/\1/p' <<<"$out")
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

echo "| data (rows x predictors) | fits | native kernel, per fit | glmnet via R backend (thresh 1e-20), per fit | glmnet (thresh 1e-7), per fit | native speed-up (vs 1e-20 / 1e-7) | max rel. diff, coef / cv_loss (native vs thresh 1e-20) |"
echo "|---|---|---|---|---|---|---|"
while IFS='|' read -r name response family rows p lambdas; do
  kernel=enet_cv
  [ "$family" = binomial ] && kernel=logistic_cv
  native_job "$name-native" "$name" "$response" "$lambdas" "$kernel"
  r_job "$name-r20" "$name" "$response" "$lambdas" "$family" 1e-20
  r_job "$name-r7" "$name" "$response" "$lambdas" "$family" 1e-7
  run "$name-native"; nat_s=$RUN_S; nat_fits=$((TASKS * 11))
  run "$name-r20"; r20_s=$RUN_S; r_fits=$((TASKS * 11))
  run "$name-r7"; r7_s=$RUN_S
  nat_us=$(calc '%.2f' "$nat_s / $nat_fits * 1e6")
  r20_us=$(calc '%.0f' "$r20_s / $r_fits * 1e6")
  r7_us=$(calc '%.0f' "$r7_s / $r_fits * 1e6")
  diff=$(Rscript --vanilla -e "suppressMessages(library(rsim))
    a <- read_results('$work/$name-native.h5'); a <- a[a\$replicate == 0, ]
    b <- read_results('$work/$name-r20.h5')
    rel <- function(u, v) { k <- u != 0 | v != 0; max(abs(u - v)[k] / abs(v)[k]) }
    stopifnot(identical(a\$nonzero, b\$nonzero))
    cat(sprintf('%.1e / %.1e', rel(a\$coef, b\$coef), rel(a\$cv_loss, b\$cv_loss)))" </dev/null)
  echo "| $name, $kernel ($rows x $p) | $nat_fits native, $r_fits glmnet | ${nat_us} us | ${r20_us} us | ${r7_us} us | $(calc '%.0f' "$r20_us / $nat_us")x / $(calc '%.0f' "$r7_us / $nat_us")x | $diff |"
done <"$work/sets.txt"
