#!/usr/bin/env bash
# Classes kept (issue 14): Date, POSIXct (with its time zone), difftime
# (with its units) and factor (with its levels) fields come back from
# read_results() with their class, NA as NA; logical stays logical.  The
# class is stored as dataset attributes (r_class, tzone, units, levels) of
# the lowest task that returned the field; NA_character_ stays NA, apart
# from "" (stored as U+FFFF, attribute na_string), in fields and tables;
# identical at -n 1, 2 and 4.
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
       tab = data.frame(k = 1:2, w = c(NA, "w")))
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
tb <- read_table("cls-2.h5", "tab")
stopifnot(identical(tb$w, rep(c(NA, "w"), 8)))
R
$PY - cls-1.h5 <<'PY' || fail "h5py does not see the class attributes"
import sys, h5py
g = h5py.File(sys.argv[1], "r")["results"]
s = lambda v: [x.decode() if isinstance(x, bytes) else x for x in v]
assert s(g["d"].attrs["r_class"]) == ["Date"]
assert s(g["ts"].attrs["r_class"]) == ["POSIXct", "POSIXt"] and s(g["ts"].attrs["tzone"]) == ["America/New_York"]
assert s(g["dt"].attrs["units"]) == ["mins"] and s(g["fac"].attrs["levels"]) == ["lo", "hi"]
na = g["s"].attrs["na_string"]
assert (na.decode() if isinstance(na, bytes) else na) == "\uffff"
assert [v.decode() for v in g["s"][:4]] == ["s0", "s1", "\uffff", ""]
PY
pass "Date, POSIXct, difftime, factor and logical fields keep their class, identical at -n 1, 2, 4"
