#!/usr/bin/env bash
# Where the machine's CPU goes, by program: reads every process's CPU time (user + system, from
# /proc/<pid>/stat) at the start and the end of a window and prints each program's share of the
# machine over it, biggest first. Run it beside a benchmark (the issue's "profile first"): for
# example, in a second shell while bench/flashsale.sh's sale runs,
#   bench/cpu.sh 60
# A program is named by its executable, or by the .dll a `dotnet` process runs; replicas of a
# service add up (the count says how many), and so do PostgreSQL's backends. Processes that
# started during the window count from zero; those that ended are missing (their time is lost).
#
# Usage: bench/cpu.sh [seconds, default 30]
set -euo pipefail

seconds=${1:-30}
ticks_per_second=$(getconf CLK_TCK)
cores=$(nproc)

# One line per process: pid and its CPU ticks so far (one read of /proc, so the window is exact).
ticks() { { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '{ line = $0; pid = $1; sub(/^.*\) /, "", line); split(line, f, " "); print pid, f[12] + f[13] }'; }

# One line per process: pid and program.
programs() {
  local pid
  for pid in /proc/[0-9]*; do
    printf '%s ' "${pid#/proc/}"
    { tr '\0' ' ' <"$pid/cmdline"; echo; } 2>/dev/null | awk -v comm="$(cat "$pid/comm" 2>/dev/null)" '
      { program = $1; sub(/.*\//, "", program) }
      program == "dotnet" && $2 ~ /\.dll$/ { program = $2; sub(/.*\//, "", program); sub(/\.dll$/, "", program) }
      program ~ /^postgres/ { program = "postgres" }
      program == "dcp" { program = "dcp (Aspire orchestrator)" }
      program == "" { program = "[" comm "] (kernel)"; sub(/[\/:].*\]/, "]", program) }
      { print program; exit }'
  done
}

began=$(date +%s.%N)
before=$(ticks)
sleep "$seconds"
ended=$(date +%s.%N)
after=$(ticks)
names=$(programs)
seconds=$(awk -v a="$began" -v b="$ended" 'BEGIN { printf "%.2f", b - a }')

awk -v seconds="$seconds" -v hz="$ticks_per_second" -v cores="$cores" '
  FILENAME == ARGV[1] { was[$1] = $2; next }
  FILENAME == ARGV[2] { name[$1] = $2; for (i = 3; i <= NF; i++) name[$1] = name[$1] " " $i; next }
  {
    program = ($1 in name) ? name[$1] : "(ended during the window)"
    used = $2 - (($1 in was) ? was[$1] : 0)
    ticks[program] += used; count[program]++; total += used
  }
  END {
    printf "CPU by program over %.0f s: %.0f %% of %d cores\n", seconds, 100 * total / (hz * seconds * cores), cores
    for (program in ticks) if (ticks[program] > 0)
      printf "%6.1f %%  %6.1f %% of one core  %3d process(es)  %s\n", 100 * ticks[program] / (hz * seconds * cores), 100 * ticks[program] / (hz * seconds), count[program], program | "sort -rn"
  }' <(echo "$before") <(echo "$names") <(echo "$after")
