#!/usr/bin/env bash
# Writes the data of the model-training example: R's datasets::swiss
# (fertility and socio-economic indicators of 47 Swiss provinces, 1888) as
# swiss.csv, with a column `fold` that splits the rows into 10 folds at
# random (set.seed(1)), so that the native kernels (fold_column = "fold") and
# glmnet (foldid = fold) cross-validate on the same folds.
# Usage: make-data.sh [folder]   (default: this script's folder)
set -euo pipefail
out=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
Rscript --vanilla - "$out/swiss.csv" <<'R'
out <- commandArgs(trailingOnly = TRUE)[1]
d <- datasets::swiss
names(d) <- gsub(".", "_", names(d), fixed = TRUE)  # Infant.Mortality -> Infant_Mortality
set.seed(1)
d$fold <- sample(rep_len(1:10, nrow(d)))
write.csv(d, out, row.names = FALSE)
cat(sprintf("wrote %s: %d rows, columns %s\n", out, nrow(d), paste(names(d), collapse = ", ")))
R
