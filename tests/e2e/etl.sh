#!/usr/bin/env bash
# examples/etl, the partitioned ETL job, on 2 ranks: against SQLite, and
# against a real PostgreSQL server this test starts (initdb in a temp
# folder, 127.0.0.1 on a free port, stopped by its PID, also on failure).
# Both runs give the same /tables/weekly and /results, bit for bit, and
# the weekly table agrees with datasets::airquality aggregated directly.
# The PostgreSQL half is skipped (with "SKIPPED:") only if the server
# cannot start.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/lib" "$WORK/etl"
R CMD INSTALL --no-test-load -l "$WORK/lib" "$RSIM_SOURCE_DIR/bindings/R/rsim" >"$WORK/install.log" 2>&1 ||
  fail "R CMD INSTALL failed: $(tail -20 "$WORK/install.log")"
export R_LIBS="$WORK/lib"
cp "$RSIM_SOURCE_DIR"/examples/etl/{etl.R,make-db.R,grid.toml} "$WORK/etl/"
cd "$WORK/etl"

PGROOT=""
PGPID=""
SUPID=""
cleanup() {
  if [ -n "$PGPID" ]; then
    kill -INT "$PGPID" 2>/dev/null || true # fast shutdown
    for _ in $(seq 100); do kill -0 "$PGPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PGPID" 2>/dev/null || true
  fi
  [ -n "$SUPID" ] && kill "$SUPID" 2>/dev/null || true
  [ -n "$PGROOT" ] && rm -rf "$PGROOT"
  rm -rf "$WORK"
}
trap cleanup EXIT

# run_job TOML OUT: the job on 2 ranks; on failure, show the tasks' errors
run_job() {
  set +e
  OUT=$(mpirun_rsim 2 -- "$1" -q -o "$WORK/etl/$2" 2>&1)
  local rc=$?
  set -e
  [ "$rc" -eq 0 ] && return 0
  [ -f "$2" ] && Rscript -e 'e <- rsim::read_errors(commandArgs(TRUE)[1]); print(e[c("task", "month", "message")])' "$2" >&2 || true
  fail "the ETL job $1 exited with $rc:
$OUT"
}

# grid.toml with [args] db set to a connection string
with_db() { sed -e "s|^db = .*|db = \"$1\"|" grid.toml >"$2"; grep -qF "db = \"$1\"" "$2" || fail "cannot set db in $2"; }

# ---- SQLite
expect_exit 0 Rscript make-db.R "sqlite:///air.db"
expect_out "airquality: 153 rows in sqlite:///air.db"
with_db "sqlite:///air.db" sqlite.toml
run_job sqlite.toml sqlite.h5
pass "ETL job against SQLite"

Rscript - sqlite.h5 <<'R' || fail "the weekly table does not match datasets::airquality"
h5 <- commandArgs(TRUE)[1]
w <- rsim::read_table(h5, "weekly")
res <- rsim::read_results(h5)
aq <- datasets::airquality
aq <- aq[!is.na(aq$Ozone) & !is.na(aq$Solar.R), ]
aq$week <- (aq$Day - 1L) %/% 7L + 1L
want <- aggregate(cbind(ozone_mean = Ozone, temp_c_mean = (Temp - 32) * 5 / 9) ~ week + Month, data = aq, FUN = mean)
want <- want[order(want$Month, want$week), ]
stopifnot(identical(res$month, 5:9), identical(res$rows, c(31L, 30L, 31L, 31L, 30L)), sum(res$rows_clean) == 111,
          identical(as.integer(w$month), want$Month), identical(as.integer(w$week), want$week),
          isTRUE(all.equal(w$ozone_mean, want$ozone_mean)), isTRUE(all.equal(w$temp_c_mean, want$temp_c_mean)),
          sum(w$days) == 111, all(res$status == "ok"))
cat(sprintf("ok: /tables/weekly (%d rows) agrees with datasets::airquality aggregated in R\n", nrow(w)))
R

# ---- PostgreSQL
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
skip_pg() { echo "SKIPPED: PostgreSQL part: $*"; pass "ETL job against SQLite (PostgreSQL skipped)"; exit 0; }
[ -n "$PGBIN" ] && [ -x "$PGBIN/postgres" ] || skip_pg "no PostgreSQL server installed (apt-get install postgresql)"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PGROOT=$(mktemp -d /tmp/rsim-pg.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$PGROOT"
as_pg "$PGBIN/initdb -D '$PGROOT/data' -A trust -U postgres --no-sync >'$PGROOT/initdb.log' 2>&1" ||
  skip_pg "initdb failed: $(tail -3 "$PGROOT/initdb.log")"
as_pg "exec $PGBIN/postgres -D '$PGROOT/data' -k '$PGROOT' -h 127.0.0.1 -p $PORT -c fsync=off >'$PGROOT/server.log' 2>&1" &
SUPID=$!
for _ in $(seq 150); do
  [ -s "$PGROOT/data/postmaster.pid" ] && PGPID=$(head -1 "$PGROOT/data/postmaster.pid")
  [ -n "$PGPID" ] && "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
  kill -0 "$SUPID" 2>/dev/null || break
  sleep 0.1
done
"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || skip_pg "the server did not start: $(tail -3 "$PGROOT/server.log")"
"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres etl || fail "createdb failed"
PGURL="postgresql://postgres@127.0.0.1:$PORT/etl"

expect_exit 0 Rscript make-db.R "$PGURL"
expect_out "airquality: 153 rows in $PGURL"
with_db "$PGURL" pg.toml
run_job pg.toml pg.h5
pass "ETL job against PostgreSQL 127.0.0.1:$PORT"

$PY - sqlite.h5 pg.h5 <<'PY' || fail "SQLite and PostgreSQL runs differ"
import sys

import h5py
import numpy as np

a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
for group in ("tables/weekly", "results", "grid"):
    if list(a[group]) != list(b[group]):
        raise SystemExit(f"{group}: columns {list(a[group])} vs {list(b[group])}")
    for col in a[group]:
        x, y = a[group][col], b[group][col]
        if x.dtype != y.dtype or x.shape != y.shape:
            raise SystemExit(f"{group}/{col}: {x.dtype}{x.shape} vs {y.dtype}{y.shape}")
        xv, yv = x[()], y[()]
        same = np.array_equal(xv.view(np.uint64), yv.view(np.uint64)) if x.dtype == np.float64 else np.array_equal(xv, yv)
        if not same:
            raise SystemExit(f"{group}/{col}: values differ")
print(f"ok: /tables/weekly ({len(a['tables/weekly/task'])} rows, {len(a['tables/weekly'])} columns), "
      "/results and /grid identical from SQLite and PostgreSQL")
PY
pass "ETL example: SQLite and PostgreSQL give identical tables"
