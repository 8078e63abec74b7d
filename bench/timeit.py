#!/usr/bin/env python3
"""Times a command for bench/engine.sh and bench/python.sh.

    timeit.py [--runs N] [--warmup N] -- COMMAND [ARGS...]

Runs COMMAND (output discarded) WARMUP times untimed, then RUNS times, and
prints one line: the median wall time and the median CPU time (user + system
of the command and its children, from wait4) in seconds. CPU time is the
steadier figure on a machine shared with other jobs: waiting for a core
counts in wall time but not in CPU time. Exits 1 if any run fails.
"""
import os
import statistics
import subprocess
import sys
import time


def run_once(argv):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime


def main():
    args = sys.argv[1:]
    runs, warmup = 3, 1
    while args and args[0] != "--":
        if args[0] == "--runs":
            runs = int(args[1])
            args = args[2:]
        elif args[0] == "--warmup":
            warmup = int(args[1])
            args = args[2:]
        else:
            sys.exit(f"timeit.py: unknown option {args[0]}")
    if not args or len(args) < 2:
        sys.exit("usage: timeit.py [--runs N] [--warmup N] -- COMMAND [ARGS...]")
    argv = args[1:]
    walls, cpus = [], []
    for i in range(warmup + runs):
        code, wall, cpu = run_once(argv)
        if code != 0:
            print(f"timeit.py: {argv[0]} exited with {code}", file=sys.stderr)
            sys.exit(1)
        if i >= warmup:
            walls.append(wall)
            cpus.append(cpu)
    print(f"{statistics.median(walls):.4f} {statistics.median(cpus):.4f}")


main()
