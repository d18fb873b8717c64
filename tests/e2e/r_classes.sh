#!/usr/bin/env bash
# Classes kept (issue 14): Date, POSIXct (with its time zone), difftime
# (with its units) and factor (with its levels) fields come back from
# read_results() with their class, NA as NA; logical stays logical.  The
# class is stored as dataset attributes (r_class, tzone, units, levels) of
# the lowest task that returned the field; factors are HDF5 enums whose
# labels are that task's levels, then the other tasks' labels sorted (an
# ordered factor stays ordered); NA_character_ stays NA, apart from ""
# (stored as U+FFFF, attribute na_string), in fields and tables; table
# columns keep their classes too; identical at -n 1, 2 and 4.  A
# --rerun-failed whose tasks fail again keeps every class.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat >cls.R <<'R'
f <- function(i, .task) {
  t <- .task$task
  list(d = if (t == 1) as.Date(NA) else as.Date("2026-12-02") + t,
       ts = as.POSIXct("2026-12-02 10:00:00", tz = "America/New_York") + 3600 * t,
       dt = as.difftime(t, units = "mins"),
       fac = factor(if (t == 2) NA else c("lo", "hi")[t %% 2 + 1], levels = c("lo", "hi")),
       lg = if (t == 3) NA else t %% 3 == 0,
       s = if (t == 2) NA_character_ else if (t == 3) "" else paste0("s", t),
       # each task its own levels: task 0 gives m, k, z0; labels of others follow sorted, unused ones (z1) do not
       own = factor(c("k", "m", paste0("z", t %% 3))[t %% 3 + 1], levels = unique(c("m", "k", paste0("z", t %% 3)))),
       ord = factor(c("low", "high")[t %% 2 + 1], levels = c("low", "high"), ordered = TRUE),
       tf = factor(c("TRUE", "FALSE")[t %% 2 + 1], levels = c("TRUE", "FALSE")),  # hdf5r reads such enums as logical
       emp = factor(c("", "x")[t %% 2 + 1]),  # "" cannot name an enum label: stored as text
       big = factor(sprintf("label-%05d", t), levels = sprintf("label-%05d", 5000:0)),  # too many labels for an enum
       tab = data.frame(k = 1:2, w = c(NA, "w"), day = as.Date("2026-01-01") + t,
                        grp = factor(c("b", if (t == 1) NA else "a"), levels = c("b", "a"))))
}
R
printf '[job]\nname = "cls"\nseed = 1\nreplicates = 4\n[task]\nbackend = "r"\nscript = "cls.R"\nfunction = "f"\n[grid]\ni = [1, 2]\n' >cls.toml
same_at_1_2_4 0 cls.toml cls
Rscript - <<'R' || fail "classes do not come back"
library(rsim)
r <- read_results("cls-2.h5")
t <- r$task
want_d <- as.Date("2026-12-02") + t; want_d[2] <- NA
stopifnot(inherits(r$d, "Date"), identical(unclass(r$d), unclass(want_d)))
stopifnot(inherits(r$ts, "POSIXct"), identical(attr(r$ts, "tzone"), "America/New_York"),
          identical(format(r$ts[2], "%H:%M %Z"), "11:00 EST"))
stopifnot(inherits(r$dt, "difftime"), identical(units(r$dt), "mins"), all(as.numeric(r$dt) == t))
stopifnot(is.factor(r$fac), identical(levels(r$fac), c("lo", "hi")), is.na(r$fac[3]),
          identical(as.character(r$fac[-3]), c("lo", "hi")[t[-3] %% 2 + 1]))
stopifnot(is.logical(r$lg), is.na(r$lg[4]), identical(r$lg[-4], t[-4] %% 3 == 0))
stopifnot(identical(r$s[1:4], c("s0", "s1", NA, "")), identical(r$s[8], "s7"))
stopifnot(identical(levels(r$own), c("m", "k", "z0", "z2")),
          identical(as.character(r$own), c("k", "m", "z2")[t %% 3 + 1]))
stopifnot(is.ordered(r$ord), identical(levels(r$ord), c("low", "high")))
stopifnot(identical(r$tf, factor(c("TRUE", "FALSE")[t %% 2 + 1], levels = c("TRUE", "FALSE"))),
          identical(r$emp, factor(c("", "x")[t %% 2 + 1])),
          identical(r$big, factor(sprintf("label-%05d", t), levels = sprintf("label-%05d", 5000:0))))
tb <- read_table("cls-2.h5", "tab")
stopifnot(identical(tb$w, rep(c(NA, "w"), 8)))
stopifnot(inherits(tb$day, "Date"), identical(tb$day, as.Date("2026-01-01") + tb$task))
stopifnot(is.factor(tb$grp), identical(levels(tb$grp), c("b", "a")),
          identical(is.na(tb$grp), tb$task == 1 & seq_along(tb$task) %% 2 == 0))
R
$PY - cls-1.h5 <<'PY' || fail "h5py does not see the class attributes"
import sys, h5py
g = h5py.File(sys.argv[1], "r")["results"]
s = lambda v: [x.decode() if isinstance(x, bytes) else x for x in v]
assert s(g["d"].attrs["r_class"]) == ["Date"]
assert s(g["ts"].attrs["r_class"]) == ["POSIXct", "POSIXt"] and s(g["ts"].attrs["tzone"]) == ["America/New_York"]
assert s(g["dt"].attrs["units"]) == ["mins"]
# factors: HDF5 enums, NA is -1 (no label)
assert h5py.check_enum_dtype(g["fac"].dtype) == {"lo": 0, "hi": 1}, g["fac"].dtype
assert list(g["fac"][:4]) == [0, 1, -1, 1]
assert h5py.check_enum_dtype(g["own"].dtype) == {"m": 0, "k": 1, "z0": 2, "z2": 3}
assert s(g["ord"].attrs["r_class"]) == ["ordered", "factor"]
assert h5py.check_enum_dtype(g["big"].dtype) is None and len(g["big"].attrs["levels"]) == 5001
t = h5py.File(sys.argv[1], "r")["tables/tab"]
assert s(t["day"].attrs["r_class"]) == ["Date"] and h5py.check_enum_dtype(t["grp"].dtype) == {"b": 0, "a": 1}
na = g["s"].attrs["na_string"]
assert (na.decode() if isinstance(na, bytes) else na) == "\uffff"
assert [v.decode() for v in g["s"][:4]] == ["s0", "s1", "\uffff", ""]
PY
pass "Date, POSIXct, difftime, factor and logical fields keep their class, identical at -n 1, 2, 4"

# A rerun whose tasks fail again: the kept fields keep their classes.
cat >>cls.R <<'R'
g <- function(i, .task) if (.task$task %% 4 == 1) stop("fails") else f(i, .task)
R
sed 's/function = "f"/function = "g"/' cls.toml >fail.toml
expect_exit 3 mpirun_rsim 2 -- fail.toml -q -o fail.h5
expect_exit 3 mpirun_rsim 2 -- fail.toml -q -o fail.h5 --rerun-failed
Rscript - <<'R' || fail "--rerun-failed lost classes"
library(rsim)
r <- suppressWarnings(read_results("fail.h5"))
stopifnot(inherits(r$d, "Date"), inherits(r$ts, "POSIXct"), is.factor(r$fac), is.ordered(r$ord),
          identical(levels(r$own), c("m", "k", "z0", "z2")), all(is.na(r$d[r$task %% 4 == 1])))
tb <- read_table("fail.h5", "tab")
stopifnot(inherits(tb$day, "Date"), is.factor(tb$grp))
R
pass "a --rerun-failed whose tasks fail again keeps every class"
