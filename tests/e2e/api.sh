#!/usr/bin/env bash
# rsim::serve(): the HTTP API of a job, spoken to with a real HTTP client
# (python's urllib) while an R job runs on 2 ranks and after it ends.
# While it runs: /status follows the status file, /results answers the
# tasks committed so far (503 before the first commit), /errors lists the
# failures logged so far, and bad queries get 400 with a message.  After:
# /status, /results (filters, fields, paging) and /errors agree with the
# result file as h5py reads it, value for value.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/lib"
R CMD INSTALL --no-test-load -l "$WORK/lib" "$RSIM_SOURCE_DIR/bindings/R/rsim" >"$WORK/install.log" 2>&1 ||
  fail "R CMD INSTALL failed: $(tail -20 "$WORK/install.log")"
export R_LIBS="$WORK/lib"

cat >"$WORK/sim.R" <<'R'
sim <- function(n, delta, method, .task) {
  Sys.sleep(0.002)
  if (method == "bad" && .task$replicate %% 50 == 7) stop("method bad fails on replicate ", .task$replicate)
  x <- rnorm(n, delta)
  list(mean = mean(x), pos = as.integer(sum(x > 0)), big = mean(x) > delta,
       q = unname(quantile(x, c(0.1, 0.9))))
}
R
cat >"$WORK/grid.toml" <<'TOML'
[job]
name = "api"
seed = 42
replicates = 1200
[task]
backend = "r"
script = "sim.R"
function = "sim"
[grid]
n = [5, 20]
delta = [0.0, 0.5]
method = ["good", "bad"]
[schedule]
chunk = 25
checkpoint = "1s"
TOML
SRV_PID=""
JOB_PID=""
cleanup() {
  [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null || true
  [ -n "$JOB_PID" ] && kill "$JOB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
(cd "$WORK" && exec "$RSIM_MPIEXEC" "${_mpiflags[@]}" -n 2 "$RSIM_BIN" grid.toml -q >"$WORK/job.log" 2>&1) &
JOB_PID=$!

Rscript - "$WORK/grid.toml" "$WORK" >"$WORK/serve.log" 2>&1 <<'R' &
a <- commandArgs(TRUE)
s <- rsim::serve(a[1])
writeLines(s$url, file.path(a[2], "url"))
while (!file.exists(file.path(a[2], "stop"))) Sys.sleep(0.2)
writeLines(c(format(s$stop()), format(s$alive())), file.path(a[2], "stopped"))
R
SRV_PID=$!
for _ in $(seq 600); do [ -s "$WORK/url" ] && break; kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
[ -s "$WORK/url" ] || fail "serve() did not give a URL: $(cat "$WORK/serve.log")"
URL=$(cat "$WORK/url")
case "$URL" in http://127.0.0.1:*) ;; *) fail "the API does not listen on 127.0.0.1 by default: $URL" ;; esac

$PY - "$URL" "$WORK/api.h5" "$JOB_PID" <<'PY' || fail "the API check failed"
import json, math, os, sys, time, urllib.error, urllib.request

import h5py
import numpy as np

url, h5, job_pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
status_file = h5 + ".status.json"


def get(path):
    try:
        with urllib.request.urlopen(url + path, timeout=60) as r:
            return r.status, r.headers.get("Content-Type"), json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), json.loads(e.read().decode())


def expect(path, code):
    got, ctype, body = get(path)
    if got != code or not ctype.startswith("application/json"):
        raise SystemExit(f"GET {path}: {got} {ctype}, wanted {code}: {body}")
    return body


def job_running():
    try:
        os.kill(job_pid, 0)
        return True
    except OSError:
        return False


def read_status():
    for _ in range(20):
        try:
            with open(status_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.05)
    return None


bad = ["/results?foo=1", "/results?n=abc", "/results?n=2.5", "/results?delta=x", "/results?method=good&page=x",
       "/results?page=0", "/results?per_page=100000", "/results?n=", "/results?status=weird",
       "/results?replicate=-x", "/errors?page=abc", "/errors?n=5&delta=0", "/errors?status=ok", "/status?x=1"]

# ---- while the job runs
deadline = time.time() + 60
while time.time() < deadline and (read_status() or {}).get("state") != "running":
    time.sleep(0.1)
checked_running = False
errors_seen = False
partial_seen = False
while job_running():
    before = read_status()
    st = expect("/status", 200)
    after = read_status()
    if st.get("state") != "running" or after["state"] != "running":
        break
    if st["source"] != "status file" or st["n_tasks"] != 9600 or not before["done"] <= st["done"] <= after["done"]:
        raise SystemExit(f"/status {st} does not follow the status file ({before['done']} .. {after['done']})")
    code, _, r = get("/results?per_page=10000&fields=status")
    if code == 503:  # nothing committed yet
        if r["state"] != "running" or "no results committed yet" not in r["error"]:
            raise SystemExit(f"/results while running: {r}")
    elif code != 200:
        raise SystemExit(f"/results while running: {code} {r}")
    elif r["partial"]:  # the tasks committed so far, from a snapshot
        if (r["complete"] or not 0 < r["committed"] <= 9600 or r["total"] != r["committed"]
                or any(x["status"] == "not_run" for x in r["results"])):
            raise SystemExit(f"/results while running: {dict((k, v) for k, v in r.items() if k != 'results')}")
        partial_seen = True
    elif job_running():  # a finished answer only once the job has ended
        raise SystemExit(f"/results while running is not partial: {dict((k, v) for k, v in r.items() if k != 'results')}")
    for q in bad:
        b = expect(q, 400)
        if not isinstance(b.get("error"), str) or len(b["error"]) < 10:
            raise SystemExit(f"GET {q}: 400 without a message: {b}")
        if not checked_running:
            print(f"400 {q}: {b['error']}")
    checked_running = True
    e = expect("/errors?per_page=5", 200)
    if e["total"] > 0:
        if e["source"] != "error logs" or "method bad fails" not in e["results"][0]["message"]:
            raise SystemExit(f"/errors while running: {e}")
        errors_seen = True
    if checked_running and errors_seen and partial_seen:
        break
    time.sleep(0.5)
if not checked_running:
    raise SystemExit("the job ended before the API could be checked while it ran")
if not errors_seen:
    raise SystemExit("/errors listed no failure while the job ran")
if not partial_seen:
    raise SystemExit("/results gave no partial answer while the job ran")
print("while running: /status follows the status file, /results is partial (503 before the first commit), /errors lists logged failures, bad queries are 400")
expect("/nothing", 404)

# ---- after the job
while job_running():
    time.sleep(0.2)
deadline = time.time() + 30
while time.time() < deadline and expect("/status", 200).get("state") != "finished":
    time.sleep(0.2)

f = h5py.File(h5, "r")
reps = int(f.attrs["replicates"])
n_tasks = int(f.attrs["n_tasks"])
grid = {p: f["grid/" + p][()] for p in ("n", "delta", "method")}
grid["method"] = np.array([m.decode() if isinstance(m, bytes) else m for m in grid["method"]])
enum = h5py.check_enum_dtype(f["tasks/status"].dtype)
names = {v: k for k, v in enum.items()}
status = [names[int(s)] for s in f["tasks/status"][()]]
res = {k: f["results/" + k][()] for k in ("mean", "pos", "big", "q")}

st = expect("/status", 200)
n_failed = sum(s != "ok" for s in status)
if st["done"] != n_tasks or st["failed"] != n_failed or st["state"] != "finished":
    raise SystemExit(f"/status after the job: {st}, file has {n_tasks} tasks, {n_failed} failed")


def same_number(a, b):
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None
    return a == b


def check_rows(rows, fields):
    for r in rows:
        t = r["task"]
        p = t // reps
        if r["point"] != p or r["replicate"] != t % reps:
            raise SystemExit(f"task {t}: point/replicate {r['point']}/{r['replicate']}")
        for g in ("n", "delta", "method"):
            want = grid[g][p].item() if hasattr(grid[g][p], "item") else grid[g][p]
            if r[g] != want:
                raise SystemExit(f"task {t}: {g} = {r[g]}, the file has {want}")
        ok = status[t] == "ok"
        for k in fields:
            if k == "status":
                if r[k] != status[t]:
                    raise SystemExit(f"task {t}: status {r[k]} vs {status[t]}")
            elif k == "q":
                want = [float(x) for x in res["q"][t]]
                if (r[k] if ok else None) is None and ok:
                    raise SystemExit(f"task {t}: q missing")
                if ok and r[k] != want:
                    raise SystemExit(f"task {t}: q {r[k]} vs {want}")
                if not ok and r[k] not in (None, [None, None]):
                    raise SystemExit(f"task {t}: failed task has q {r[k]}")
            elif k == "big":
                if (r[k] if ok else None) != (bool(res[k][t]) if ok else None):
                    raise SystemExit(f"task {t}: big {r[k]} vs {res[k][t]}")
            else:
                want = res[k][t].item() if ok else None
                if not same_number(r[k], want):
                    raise SystemExit(f"task {t}: {k} = {r[k]}, the file has {want}")


# every task, all fields, in two pages
rows = []
for page in (1, 2):
    b = expect(f"/results?per_page=5000&page={page}", 200)
    if b["total"] != n_tasks or b["pages"] != 2:
        raise SystemExit(f"/results total {b['total']} pages {b['pages']}")
    rows += b["results"]
if [r["task"] for r in rows] != list(range(n_tasks)):
    raise SystemExit("/results pages do not give every task once, in order")
check_rows(rows, ["mean", "pos", "big", "q", "status"])

# filters, fields and paging
b = expect("/results?n=20&delta=0.5&method=bad&fields=mean,q&per_page=100&page=3", 200)
want = [t for t in range(n_tasks) if grid["n"][t // reps] == 20 and grid["delta"][t // reps] == 0.5
        and grid["method"][t // reps] == "bad"]
if b["total"] != len(want) or [r["task"] for r in b["results"]] != want[200:300]:
    raise SystemExit(f"filtered page: total {b['total']} (want {len(want)}), tasks {[r['task'] for r in b['results']][:5]}...")
if set(b["results"][0]) != {"task", "point", "replicate", "n", "delta", "method", "mean", "q"}:
    raise SystemExit(f"fields=mean,q gave columns {sorted(b['results'][0])}")
check_rows(b["results"], ["mean", "q"])
b = expect("/results?method=bad&status=error&fields=status&per_page=10000", 200)
if b["total"] != n_failed or any(r["status"] != "error" for r in b["results"]):
    raise SystemExit(f"status=error: {b['total']} rows, the file has {n_failed} failed")
b = expect("/results?n=5,20&delta=0&per_page=1", 200)
if b["total"] != n_tasks // 2:
    raise SystemExit(f"n=5,20&delta=0 matched {b['total']}")
for q in ["/results?fields=nope", "/results?fields=mean,zzz", "/results?n=abc", "/results?per_page=0"]:
    b = expect(q, 400)
    print(f"400 {q}: {b['error']}")

# errors from the result file
e = expect("/errors?per_page=10000", 200)
etask = f["errors/task"][()]
emsg = [m.decode() if isinstance(m, bytes) else m for m in f["errors/message"][()]]
if e["source"] != "result file" or [r["task"] for r in e["results"]] != [int(t) for t in etask]:
    raise SystemExit(f"/errors tasks differ from /errors/task of the file")
if [r["message"] for r in e["results"]] != emsg or e["total"] != n_failed:
    raise SystemExit("/errors messages differ from the file")
b = expect("/errors?n=5&delta=0.5", 200)
if b["total"] != sum(1 for t in etask if grid["n"][t // reps] == 5 and grid["delta"][t // reps] == 0.5):
    raise SystemExit(f"/errors?n=5&delta=0.5: {b['total']}")
print(f"after the job: /status, /results ({n_tasks} tasks, every field) and /errors ({n_failed}) match h5py")
PY
wait "$JOB_PID" || true
JOB_PID=""
touch "$WORK/stop"
for _ in $(seq 100); do [ -s "$WORK/stopped" ] && break; sleep 0.1; done
[ "$(tr '\n' ' ' <"$WORK/stopped" 2>/dev/null)" = "TRUE FALSE " ] || fail "s\$stop() did not stop the server: $(cat "$WORK/serve.log")"
wait "$SRV_PID" || true
SRV_PID=""

# the same results through R: read_results() and the API agree
Rscript - "$WORK/api.h5" <<'R' || fail "read_results() and the API disagree"
a <- commandArgs(TRUE)
s <- rsim::serve(a[1])
on.exit(s$stop())
res <- rsim::read_results(a[1])
con <- url(paste0(s$url, "/results?per_page=10000"))
body <- jsonlite::fromJSON(paste(readLines(con, warn = FALSE), collapse = ""))
close(con)
api <- body$results
stopifnot(identical(api$task, res$task), identical(api$mean, res$mean), identical(api$pos, res$pos),
          identical(api$big, res$big), identical(api$status, as.character(res$status)),
          identical(api$method, res$method), identical(api$delta, res$delta))
cat("ok: GET /results equals read_results()\n")
R
pass "HTTP API while running (status, partial results, logged errors, 400s) and after (values equal h5py and read_results)"
