#!/usr/bin/env bash
# Any R value (issue 14): a list element that is not a scalar, a numeric
# vector or a data frame (an lm fit, a list of unequal vectors, NULL, an S4
# object, a matrix of strings, a character vector, numeric(0)), and a model
# fit returned whole, are stored as R's serialization and read back by
# read_results() as list columns of the original objects; predict() works
# on the fits.  The file is the same at -n 1, 2 and 4; a failed task's
# objects are NULL; --rerun-failed keeps the objects of the other tasks.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat >obj.R <<'R'
setClass("Pt", representation(x = "numeric"))
f <- function(i, .task) {
  if (.task$task == 4 && !file.exists("fixed")) stop("task 4 fails until fixed")
  fit <- lm(dist ~ speed, cars[seq_len(20 + i), ])
  list(fit = fit, est = unname(coef(fit)[2]),
       v = list(a = 1:3, b = letters[seq_len(.task$replicate + 1)]), nul = NULL,
       s4 = new("Pt", x = i), m = matrix(letters[1:4], 2), ch = c("x", "y"), n0 = numeric(0))
}
whole <- function(i) lm(dist ~ speed, cars[seq_len(20 + i), ])
R
printf '[job]\nname = "obj"\nseed = 1\nreplicates = 3\n[task]\nbackend = "r"\nscript = "obj.R"\nfunction = "f"\npackages = ["methods"]\n[grid]\ni = [1, 2]\n' >obj.toml
sed 's/function = "f"/function = "whole"/' obj.toml >whole.toml
same_at_1_2_4 3 obj.toml obj
expect_exit 0 mpirun_rsim 2 -- whole.toml -q -o whole.h5
Rscript - <<'R' || fail "R does not read the objects back"
suppressMessages(library(methods))
library(rsim)
setClass("Pt", representation(x = "numeric"))
r <- read_results("obj-2.h5")
stopifnot(identical(names(r)[5:12], c("fit", "est", "v", "nul", "s4", "m", "ch", "n0")))
ok <- r$status == "ok"
stopifnot(sum(!ok) == 1L, is.null(r$fit[[5]]), is.null(r$v[[5]]), is.na(r$est[5]))
for (k in which(ok)) {
  direct <- lm(dist ~ speed, cars[seq_len(20 + r$i[k]), ])
  stopifnot(inherits(r$fit[[k]], "lm"),
            all.equal(predict(r$fit[[k]], data.frame(speed = c(10, 20))), predict(direct, data.frame(speed = c(10, 20)))),
            identical(r$v[[k]], list(a = 1:3, b = letters[seq_len(r$replicate[k] + 1)])),
            is(r$s4[[k]], "Pt"), r$s4[[k]]@x == r$i[k],
            identical(r$m[[k]], matrix(letters[1:4], 2)), identical(r$ch[[k]], c("x", "y")),
            identical(r$n0[[k]], numeric(0)))
}
stopifnot(all(vapply(r$nul, is.null, NA)))
# printed as <class>, subset as a list column, skipped by summaries
stopifnot(identical(format(r$fit[1:2]), c("<lm>", "<lm>")), identical(format(r$nul[1]), "NULL"))
stopifnot(identical(names(read_results("obj-2.h5", columns = "est")), c("task", "est")))
info <- job_info("obj-2.h5")$fields
stopifnot(identical(info$type[info$field == "fit"], "R object"))
s <- summarise_results("obj-2.h5")
stopifnot(identical(names(s), c("i", "est_mean", "est_se", "est_n")))
w <- read_results("whole.h5")
stopifnot(identical(names(w)[5], "value"), all(vapply(w$value, inherits, NA, "lm")),
          all.equal(coef(w$value[[6]]), coef(lm(dist ~ speed, cars[1:22, ]))))
R
$PY - obj-1.h5 <<'PY' || fail "h5py does not see the documented encoding"
import sys, h5py
d = h5py.File(sys.argv[1], "r")["results/fit"]
assert h5py.check_vlen_dtype(d.dtype) is not None, d.dtype
enc = d.attrs["encoding"]
assert (enc.decode() if isinstance(enc, bytes) else enc) == "R serialization (version 3, XDR)", enc
b = bytes(d[0])
assert b[:2] == b"X\n" and int.from_bytes(b[2:6], "big") == 3, b[:6]
assert len(d[4]) == 0  # the failed task: an empty element
PY
pass "R objects stored serialized, read back by R (predict works) and h5py, identical at -n 1, 2, 4"

touch fixed
expect_exit 0 mpirun_rsim 2 -- obj.toml -q -o obj-2.h5 --rerun-failed
Rscript -e 'library(rsim); r <- read_results("obj-2.h5"); stopifnot(all(r$status == "ok"), all(vapply(r$fit, inherits, NA, "lm")), r$s4[[1]]@x == 1)' >/dev/null ||
  fail "--rerun-failed lost the objects of the tasks it kept"
pass "--rerun-failed keeps the objects of the other tasks"
