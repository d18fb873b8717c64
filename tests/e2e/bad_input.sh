#!/usr/bin/env bash
# Bad input never corrupts or deletes data: a table of cases (grid.toml,
# scripts, files on disk, the command line), each asserting the exit code,
# the message, and that an earlier job's result file and checkpoints are
# byte-for-byte unchanged.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

good='[job]
name = "good"
seed = 5
replicates = 4
[task]
backend = "native"
kernel = "ttest_power"
[grid]
n = [5, 8]
delta = [0.5]'
printf '%s\n' "$good" >good.toml
"$RSIM_BIN" good.toml -q >/dev/null || fail "the good job failed"
# A second job left interrupted: checkpoints that must survive every case.
printf '[job]\nname = "part"\nseed = 5\nreplicates = 40000\n[task]\nbackend = "native"\nkernel = "busy_wait"\n[args]\nms = 0.2\n[schedule]\ncheckpoint = "50ms"\n' >part.toml
"$RSIM_BIN" part.toml -q >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 500); do [ "$(ls part.h5.ckpt 2>/dev/null | grep -c '^seg-')" -ge 1 ] && break; sleep 0.02; done
kill -TERM $pid; wait $pid || true
[ -d part.h5.ckpt ] || fail "no checkpoints to protect"
protected() { find good.h5 part.h5.ckpt -type f -name '*' ! -name '*.mark' | sort | xargs md5sum; }
protected >before.md5

n_cases=0
# case NAME EXIT MESSAGE -- rsim args...   (files for the case are written before calling)
case_() {
  local name=$1 code=$2 msg=$3; shift 4
  expect_exit "$code" "$@"
  grep -qF -- "$msg" <<<"$OUT" || fail "case '$name': message lacks '$msg':
$OUT"
  protected | diff -q before.md5 - >/dev/null || fail "case '$name' changed the earlier results"
  n_cases=$((n_cases + 1))
}
grid() { printf '%s\n' "$good" | sed "$1" >"$2"; }   # grid SED-SCRIPT FILE
add() { printf '%s\n%s\n' "$good" "$1" >"$2"; }       # add EXTRA-LINES FILE

grid 's/^seed = 5/sede = 5/' g1.toml;          case_ "unknown key" 1 'g1.toml:3 (job.sede): unknown key "sede"' -- "$RSIM_BIN" g1.toml -o good.h5
add '[sched]' g2.toml;                          case_ "unknown table" 1 'unknown table [sched]' -- "$RSIM_BIN" g2.toml -o good.h5
grid 's/^seed = 5/seed = "abc"/' g3.toml;      case_ "seed not a number" 1 'g3.toml:3 (job.seed)' -- "$RSIM_BIN" g3.toml -o good.h5
grid 's/^seed = 5/seed = -5/' g4.toml;         case_ "negative seed" 1 'g4.toml:3 (job.seed)' -- "$RSIM_BIN" g4.toml -o good.h5
grid 's/^replicates = 4/replicates = 0/' g5.toml; case_ "replicates 0" 1 'g5.toml:4 (job.replicates)' -- "$RSIM_BIN" g5.toml -o good.h5
grid 's/^n = \[5, 8\]/n = []/' g6.toml;       case_ "empty array" 1 'g6.toml:9 (grid.n)' -- "$RSIM_BIN" g6.toml -o good.h5
grid 's/^n = \[5, 8\]/n = [5, "8"]/' g7.toml; case_ "mixed types" 1 'g7.toml:9 (grid.n)' -- "$RSIM_BIN" g7.toml -o good.h5
grid 's/^delta = \[0.5\]/delta = [0.5, 1]/' g8.toml; case_ "int and float" 1 'mixed integer and float' -- "$RSIM_BIN" g8.toml -o good.h5
add 'n = [3]' g9.toml;                          case_ "duplicate key" 1 'g9.toml:11' -- "$RSIM_BIN" g9.toml -o good.h5
add '[[points]]
n = 3' g10.toml;                                case_ "grid and points" 1 '[[points]]' -- "$RSIM_BIN" g10.toml -o good.h5
grid '/^name = /d' g11.toml;                    case_ "missing name" 1 'job.name' -- "$RSIM_BIN" g11.toml -o good.h5
grid '/^backend = /d' g12.toml;                 case_ "missing backend" 1 'task.backend' -- "$RSIM_BIN" g12.toml -o good.h5
grid 's/^backend = "native"/backend = "python"/' g13.toml; case_ "unknown backend" 1 'backend' -- "$RSIM_BIN" g13.toml -o good.h5
grid 's/ttest_power/ttest_powr/' g14.toml;     case_ "unknown kernel" 1 'did you mean kernel = "ttest_power"' -- "$RSIM_BIN" g14.toml -o good.h5
grid 's/^delta = /delt = /' g15.toml;          case_ "kernel parameter typo" 1 'delt' -- "$RSIM_BIN" g15.toml -o good.h5
grid 's/^delta = \[0.5\]/delta = ["big"]/' g16.toml; case_ "parameter of the wrong type" 1 'delta' -- "$RSIM_BIN" g16.toml -o good.h5
grid 's/^n = \[5, 8\]/n = [1, 8]/' g17.toml;  case_ "parameter out of range" 1 'n >= 2' -- "$RSIM_BIN" g17.toml -o good.h5
add 'test = ["paired"]' g18.toml;               case_ "choice not allowed" 1 'paired' -- "$RSIM_BIN" g18.toml -o good.h5
grid 's/^replicates = 4/replicates = 4611686018427387905/' g19.toml; case_ "more than 2^63 tasks" 1 '2^63' -- "$RSIM_BIN" g19.toml -o good.h5
add '[schedule]
timeout = "ten minutes"' g20.toml;              case_ "bad timeout" 1 'schedule.timeout' -- "$RSIM_BIN" g20.toml -o good.h5
add '[schedule]
memory = "lots"' g21.toml;                      case_ "bad memory size" 1 'schedule.memory' -- "$RSIM_BIN" g21.toml -o good.h5
grid 's/^n = \[5, 8\]/n = [5, 8/' g22.toml;   case_ "TOML syntax error" 1 'g22.toml:10 (grid.delta): TOML syntax error' -- "$RSIM_BIN" g22.toml -o good.h5
grid 's/^n = /status = /' g23.toml;            case_ "reserved name" 1 'reserved' -- "$RSIM_BIN" g23.toml -o good.h5
case_ "missing grid file" 1 'missing.toml' -- "$RSIM_BIN" missing.toml -o good.h5
mkdir -p adir
case_ "grid file is a folder" 1 'folder' -- "$RSIM_BIN" adir -o good.h5

r() { printf '[job]\nname = "r"\nseed = %s\n[task]\nbackend = "r"\nscript = "%s"\nfunction = "f"\n%s\n[grid]\nn = [1]\n' "$1" "$2" "${3:-}" >"$4"; }
printf 'f <- function(n) n\n' >ok.R
printf 'f <- function(n) {\n' >broken.R
r 1 nothere.R "" r1.toml;                        case_ "R script missing" 1 'nothere.R' -- "$RSIM_BIN" r1.toml -o good.h5
r 1 broken.R "" r2.toml;                         case_ "R syntax error" 2 'broken.R:2' -- "$RSIM_BIN" r2.toml -o good.h5
r 1 ok.R 'packages = ["noSuchPkg"]' r3.toml;    case_ "R package missing" 2 "no package called 'noSuchPkg'" -- "$RSIM_BIN" r3.toml -o good.h5
sed 's/function = "f"/function = "g"/' r1.toml | sed 's/nothere.R/ok.R/' >r4.toml
case_ "R function missing" 1 'defines no function "g"' -- "$RSIM_BIN" r4.toml -o good.h5
r 4000000000 ok.R "" r5.toml;                    case_ "seed beyond R's range" 1 '2147483647' -- "$RSIM_BIN" r5.toml -o good.h5

case_ "output is a folder" 2 'is a folder' -- "$RSIM_BIN" good.toml -o adir
case_ "output folder missing" 2 'does not exist' -- "$RSIM_BIN" good.toml -o nowhere/x.h5
echo "not hdf5" >foreign.h5
case_ "output is not an rsim file" 2 'not an rsim result file' -- "$RSIM_BIN" good.toml -o foreign.h5
grid 's/^replicates = 4/replicates = 5/' good.toml.edited
case_ "grid.toml edited since the output" 1 'the parsed grid changed since these results were made' -- "$RSIM_BIN" good.toml.edited -o good.h5
sed 's/replicates = 40000/replicates = 40001/' part.toml >part.edited
case_ "grid.toml edited since the checkpoints" 1 'the parsed grid changed since these results were made' -- "$RSIM_BIN" part.edited -o part.h5
grid 's/^name = "good"/name = "go\\nod"/' ctrl-name.toml
case_ "a line break in the job name" 1 'job.name must not contain control characters' -- "$RSIM_BIN" ctrl-name.toml -o good.h5
grid 's/^kernel = .*/kernel = "ttest_power"\nplugin = "good.h5"/' plugin-is-output.toml
case_ "a plugin that is not a library" 1 'cannot load the plugin' -- "$RSIM_BIN" plugin-is-output.toml -o other.h5
case_ "unknown option" 1 'unrecognised option' -- "$RSIM_BIN" --bogus good.toml
case_ "task out of range" 1 'out of range' -- "$RSIM_BIN" --task 8 good.toml
case_ "contradicting options" 1 'contradict' -- "$RSIM_BIN" --fresh --rerun-failed good.toml
case_ "rerun-failed without results" 1 'no result file' -- "$RSIM_BIN" --rerun-failed good.toml -o fresh.h5

# Output paths that would destroy an input or the finished result file.
sed 's/^name = "good"$/name = "good"\noutput = "good.h5\\u0000"/' good.toml >nul.toml
case_ "output with a NUL byte" 1 'control character' -- "$RSIM_BIN" nul.toml
cp good.toml self.toml
case_ "output is the grid.toml (--fresh)" 1 'the output path is the grid.toml' -- "$RSIM_BIN" --fresh self.toml -o self.toml
cmp -s good.toml self.toml || fail "--fresh with the output equal to the grid.toml moved or changed it"
case_ "output is the grid.toml" 1 'the output path is the grid.toml' -- "$RSIM_BIN" self.toml -o ./self.toml

# A file system without flock (Lustre without -o flock): said so, not "another run".
cat >noflock.c <<'C'
#include <errno.h>
int flock(int fd, int op) { (void)fd; (void)op; errno = ENOLCK; return -1; }
C
cc -shared -fPIC -o noflock.so noflock.c
case_ "no flock on the file system" 2 'must support flock' -- env LD_PRELOAD="$WORK/noflock.so" "$RSIM_BIN" good.toml -o nolock.h5
grep -q "another rsim run" <<<"$OUT" && fail "a flock failure reported as another run"

# A damaged checkpoint: refused with its name; nothing else is touched.
cp -r part.h5.ckpt damaged.h5.ckpt
seg=$(ls damaged.h5.ckpt/seg-* | head -1)
truncate -s -5 "$seg"
before=$(find damaged.h5.ckpt -type f | sort | xargs md5sum)
case_ "truncated checkpoint" 2 'damaged checkpoint segment' -- "$RSIM_BIN" part.toml -o damaged.h5
[ "$before" = "$(find damaged.h5.ckpt -type f | sort | xargs md5sum)" ] || fail "the damaged checkpoint folder was changed"

# The interrupted job still resumes and finishes after all that.
expect_exit 0 "$RSIM_BIN" part.toml -q
expect_out "resuming"
pass "$n_cases bad-input cases: exit codes and messages as documented, earlier results unchanged"
[ "$n_cases" -ge 30 ] || fail "only $n_cases cases"
