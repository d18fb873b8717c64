#!/usr/bin/env bash
# rsim::monitor() in a real browser: headless Chromium (driven by
# chromedriver over plain HTTP) opens the dashboard of a job running on 2
# ranks, reads the progress numbers from the page twice or more, seconds
# apart, and checks that they move and agree with the status file and that
# the Results panel shows running estimates from a snapshot; after
# the job ends the page shows it finished with every task and the results
# of its field.  Screenshots are kept in <build>/test-artefacts/.
# Skipped (with "SKIPPED:") only when Chromium cannot start.
source "$(dirname "$0")/lib.sh"
ART="$(dirname "$RSIM_BIN")/test-artefacts"
mkdir -p "$ART" "$WORK/lib"
BROWSER=$(command -v chromium || command -v chromium-browser || true)
DRIVER=$(command -v chromedriver || true)
[ -n "$BROWSER" ] && [ -n "$DRIVER" ] || { echo "SKIPPED: chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"; exit 0; }
PROFILE=$(mktemp -d "$WORK/chromium.XXXXXX")
if ! timeout 60 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$PROFILE" \
    --dump-dom 'data:text/html,<p>rsim</p>' >"$WORK/probe.html" 2>"$WORK/probe.err" || ! grep -q '<p>rsim</p>' "$WORK/probe.html"; then
  echo "SKIPPED: chromium cannot start here:"; tail -5 "$WORK/probe.err"; exit 0
fi

R CMD INSTALL --no-test-load -l "$WORK/lib" "$RSIM_SOURCE_DIR/bindings/R/rsim" >"$WORK/install.log" 2>&1 ||
  fail "R CMD INSTALL failed: $(tail -20 "$WORK/install.log")"
export R_LIBS="$WORK/lib"

# a job of about 20 s: 14000 tasks of 1.5 or 2.5 ms on 2 ranks
cat >"$WORK/grid.toml" <<'TOML'
[job]
name = "dash"
seed = 1
replicates = 7000
[task]
backend = "native"
kernel = "busy_wait"
[grid]
ms = [1.5, 2.5]
[schedule]
chunk = 20
TOML
OUT="$WORK/dash.h5"
MON_PID=""
JOB_PID=""
cleanup() {
  [ -n "$MON_PID" ] && kill "$MON_PID" 2>/dev/null || true
  [ -n "$JOB_PID" ] && kill "$JOB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mpirun_bg 2 "$WORK/grid.toml" -q
JOB_PID=$!

# the dashboard, from an R session that stays alive until told to stop
Rscript - "$OUT" "$WORK" >"$WORK/monitor.log" 2>&1 <<'R' &
a <- commandArgs(TRUE)
m <- rsim::monitor(a[1], browser = FALSE)
writeLines(m$url, file.path(a[2], "url"))
while (!file.exists(file.path(a[2], "stop"))) Sys.sleep(0.2)
stopped <- m$stop()
writeLines(c(format(stopped), format(m$alive()), format(rsim:::port_open("127.0.0.1", m$port))), file.path(a[2], "stopped"))
R
MON_PID=$!
for _ in $(seq 600); do [ -s "$WORK/url" ] && break; kill -0 "$MON_PID" 2>/dev/null || break; sleep 0.1; done
[ -s "$WORK/url" ] || fail "monitor() did not give a URL: $(cat "$WORK/monitor.log")"
URL=$(cat "$WORK/url")
case "$URL" in http://127.0.0.1:*) ;; *) fail "the dashboard does not listen on 127.0.0.1 by default: $URL" ;; esac

$PY - "$URL" "$OUT.status.json" "$BROWSER" "$PROFILE" "$ART" "$JOB_PID" <<'PY' || fail "the dashboard check failed"
import base64, json, os, socket, subprocess, sys, time, urllib.request

url, status_path, browser, profile, art, job_pid = sys.argv[1:7]
job_pid = int(job_pid)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


port = free_port()
base = f"http://127.0.0.1:{port}"
driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=90) as r:
        return json.loads(r.read().decode())["value"]


def status():
    for _ in range(20):
        try:
            with open(status_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.05)
    raise SystemExit("cannot read " + status_path)


def number(s):
    return int(s.replace(",", "")) if s and s.replace(",", "").isdigit() else None


def job_running():
    try:
        os.kill(job_pid, 0)
        return True
    except OSError:
        return False


sid = None
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/status", timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--window-size=1280,1400"]
    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome",
                                             "goog:chromeOptions": {"binary": browser, "args": args}}}}
    sid = call("POST", "/session", caps)["sessionId"]
    call("POST", f"/session/{sid}/url", {"url": url})

    def dom(ids):
        js = "return arguments[0].map(function(i){var e=document.getElementById(i); return e ? e.textContent.trim() : null;});"
        return dict(zip(ids, call("POST", f"/session/{sid}/execute/sync", {"script": js, "args": [ids]})))

    def shot(name):
        png = call("GET", f"/session/{sid}/screenshot")
        with open(os.path.join(art, name), "wb") as f:
            f.write(base64.b64decode(png))

    # while the job runs: sample the page and the status file
    feed = []     # (time, done) read from the status file
    seen = []     # (time, page done, feed done before, feed done after)
    partial = None  # the Results panel's note once it shows running estimates
    deadline = time.time() + 60
    while time.time() < deadline and job_running():
        before = status()
        feed.append((time.time(), before["done"]))
        t = time.time()
        d = dom(["state", "done", "n_tasks", "results_note", "summary"])
        after = status()
        feed.append((time.time(), after["done"]))
        if d["state"] == "running" and after["state"] == "running" and number(d["done"]) is not None:
            if number(d["n_tasks"]) != after["n_tasks"]:
                raise SystemExit(f"page shows {d['n_tasks']} tasks, the status file {after['n_tasks']}")
            # the page shows a status read at most one refresh (1 s) plus
            # rendering ago: between the feed 3 s earlier and the feed now
            floor = max([done for (ft, done) in feed if ft <= t - 3.0], default=0)
            seen.append((t, number(d["done"]), floor, after["done"]))
            if "committed so far" in (d["results_note"] or "") and "u_mean" in (d["summary"] or ""):
                partial = d["results_note"]
            if len({s[1] for s in seen}) >= 3 and len(seen) >= 4 and partial:
                break
        time.sleep(1.5)
    if len({s[1] for s in seen}) < 2:
        raise SystemExit(f"the page's progress did not change while the job ran: {seen}")
    for (t, shown, floor, ceil) in seen:
        if not floor <= shown <= ceil:
            raise SystemExit(f"page shows done = {shown}, but the status file said {floor} 3 s before and {ceil} just after")
        print(f"page done {shown:>6} within the status feed [{floor}, {ceil}]")
    if not partial:
        raise SystemExit("the Results panel showed no running estimates (u_mean of the tasks committed so far) while the job ran")
    print(f"while the job ran, the Results panel said: {partial}")
    shot("dashboard.png")

    # after the job: finished, every task, the results of its field
    while job_running():
        time.sleep(0.5)
    final = status()
    deadline = time.time() + 30
    while time.time() < deadline:
        d = dom(["state", "done", "n_tasks", "failed", "summary", "field"])
        if d["state"] == "finished" and d["summary"] and "u_mean" in d["summary"]:
            break
        time.sleep(1)
    if d["state"] != "finished" or number(d["done"]) != final["n_tasks"] or number(d["n_tasks"]) != final["n_tasks"]:
        raise SystemExit(f"after the job the page shows {d}, the status file {final['state']} {final['done']}/{final['n_tasks']}")
    if number(d["failed"]) != 0 or not d["summary"] or "u_mean" not in d["summary"]:
        raise SystemExit(f"after the job the page shows no results of field u: {d}")
    time.sleep(1.5)  # let the plots draw
    shot("dashboard-finished.png")
    print(f"page after the job: {d['state']} {d['done']}/{d['n_tasks']}, results of field u shown")
finally:
    if sid:
        try:
            call("DELETE", f"/session/{sid}")
        except Exception:
            pass
    driver.terminate()
    driver.wait(10)
PY
wait "$JOB_PID" || true
JOB_PID=""
touch "$WORK/stop"
for _ in $(seq 100); do [ -s "$WORK/stopped" ] && break; sleep 0.1; done
[ "$(cat "$WORK/stopped" 2>/dev/null | tr '\n' ' ')" = "TRUE FALSE FALSE " ] ||
  fail "m\$stop() did not stop the dashboard: $(cat "$WORK/stopped" 2>/dev/null) $(cat "$WORK/monitor.log")"
wait "$MON_PID" || true
MON_PID=""
[ -s "$ART/dashboard.png" ] || fail "no screenshot"
pass "dashboard of a running job: progress moved and matched the status file; finished page shows the results (screenshots in $ART)"
