#!/usr/bin/env bash
# Fields decided by the whole job, not by a rank's first task (issue 14):
# the fields are the union over all tasks (NA where a task lacks one), in
# the order of the lowest task that returned each; integers and doubles
# mix; an NA of any type joins any field; a field whose types conflict
# keeps the type of the lowest task with a value, and exactly the tasks
# with a value of another type fail, naming the field, both types and that
# task; vector fields keep their element names.  The file is the same at
# -n 1, 2 and 4, whatever each rank ran first.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat >fields.R <<'R'
f <- function(i, .task) {
  t <- .task$task
  out <- list(a = t)                                   # every task
  if (t %% 4 == 0) out$extra <- t * 10                 # only some tasks: NA elsewhere
  out$n <- if (t %% 2 == 0) as.integer(t) else t + 0.5 # integer and double mix as double
  out$z <- if (t == 0) NA else t / 2                   # logical NA first, then doubles
  out$k <- if (t %in% c(5, 11)) paste0("s", t) else t  # text in tasks 5 and 11: they fail
  out$coef <- coef(lm(dist ~ speed, cars[seq_len(20 + t), ]))
  if (t == 3) out <- c(list(late = 1), rev(out))       # a field first returned by task 3, order reversed
  out
}
R
printf '[job]\nname = "fields"\nseed = 1\nreplicates = 4\n[task]\nbackend = "r"\nscript = "fields.R"\nfunction = "f"\n[grid]\ni = [1, 2, 3, 4]\n[schedule]\nchunk = 1\n' >fields.toml
same_at_1_2_4 3 fields.toml fields
Rscript - <<'R' || fail "the union of fields is not as documented"
library(rsim)
r <- read_results("fields-4.h5")
stopifnot(identical(names(r)[5:11], c("a", "extra", "n", "z", "k", "coef", "late")))
ok <- r$status == "ok"
stopifnot(identical(which(!ok) - 1L, c(5L, 11L)))
e <- read_errors("fields-4.h5")
stopifnot(all(grepl('result field "k" is string here but float in task 0', e$message, fixed = TRUE)))
stopifnot(identical(r$extra[ok], ifelse(r$task %% 4 == 0, r$task * 10, NA)[ok]))
stopifnot(is.double(r$n), identical(r$n[ok], ifelse(r$task %% 2 == 0, r$task, r$task + 0.5)[ok]))
stopifnot(is.double(r$z), is.na(r$z[1]), identical(r$z[ok][-1], (r$task / 2)[ok][-1]))
stopifnot(is.double(r$k), all(r$k[ok] == r$task[ok]), all(is.na(r$k[!ok])), all(is.na(r$a[!ok])))
stopifnot(identical(colnames(r$coef), c("(Intercept)", "speed")),
          isTRUE(all.equal(r$coef[4, ], coef(lm(dist ~ speed, cars[1:23, ])), check.attributes = FALSE)))
stopifnot(identical(r$late, ifelse(r$task == 3, 1, NA_real_)))
R
pass "fields are the union over the job, typed and ordered by task id, identical at -n 1, 2, 4"

# A native learner names its coefficient vector by the predictors.
expect_exit 0 mpirun_rsim 1 -- "$RSIM_SOURCE_DIR/examples/model-training/grid-native.toml" -q -o enet.h5
Rscript -e 'r <- rsim::read_results("enet.h5"); stopifnot(identical(colnames(r$coef), c("Agriculture", "Examination", "Education", "Catholic", "Infant_Mortality")))' ||
  fail "enet_cv's coef has no column names"
pass "enet_cv's coef comes back with the predictors as colnames"
