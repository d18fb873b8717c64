#!/usr/bin/env bash
# Mistakes in an R task's set-up stop the job before any task runs, with
# R's own message, the script's file and line, and no result file.
source "$(dirname "$0")/lib.sh"
toml() {  # toml NAME SCRIPT FUNCTION [extra [task] lines]
  printf '[job]\nname = "%s"\nseed = 1\nreplicates = 2\n[task]\nbackend = "r"\nscript = "%s"\nfunction = "%s"\n%s\n[grid]\nn = [1, 2]\n' \
    "$1" "$2" "$3" "${4:-}" >"$WORK/$1.toml"
}
printf 'f <- function(n) {\n  x <- n +\n}\n' >"$WORK/syntax.R"
printf 'f <- function(n) n\n' >"$WORK/ok.R"
printf 'stop("no data here")\nf <- function(n) n\n' >"$WORK/fails.R"
printf 'f <- function(m) m\n' >"$WORK/args.R"
printf 'f <- function(n, sd) n\n' >"$WORK/needs.R"
printf 'f <- function(n) n\nsetup <- function() stop("cannot connect")\n' >"$WORK/setup.R"

toml syntax syntax.R f
expect_exit 2 mpirun_rsim 2 -- "$WORK/syntax.toml"
expect_out "syntax.R:3:1: unexpected '}'"
[ ! -e "$WORK/syntax.h5" ] || fail "a result file was written"
pass "syntax error: R's message with file:line:column"

toml fails fails.R f
expect_exit 2 "$RSIM_BIN" "$WORK/fails.toml"
expect_out "no data here"; expect_out "fails.R"

toml nofun ok.R simulate
expect_exit 1 "$RSIM_BIN" "$WORK/nofun.toml"
expect_out 'defines no function "simulate"'

toml nopkg ok.R f 'packages = ["surelyNotAPackage"]'
expect_exit 2 "$RSIM_BIN" "$WORK/nopkg.toml"
expect_out "there is no package called 'surelyNotAPackage'"

toml noscript missing.R f
expect_exit 1 "$RSIM_BIN" "$WORK/noscript.toml"
expect_out "missing.R"

toml args args.R f
expect_exit 1 "$RSIM_BIN" "$WORK/args.toml"
expect_out 'has no argument "n"'; expect_out "args.toml:"

toml needs needs.R f
expect_exit 1 "$RSIM_BIN" "$WORK/needs.toml"
expect_out 'needs argument "sd"'

toml setup setup.R f 'setup = "setup"'
expect_exit 2 "$RSIM_BIN" "$WORK/setup.toml"
expect_out "cannot connect"

sed 's/^seed = 1/seed = 3000000000/' "$WORK/nofun.toml" | sed 's/simulate/f/' >"$WORK/bigseed.toml"
expect_exit 1 "$RSIM_BIN" "$WORK/bigseed.toml"
expect_out "2147483647"
pass "set-up errors: exit codes and messages before any task runs"
