#!/usr/bin/env python3
"""Cost of making one 1 MiB instance durable on this disk, by method (docs/benchmarks.md, ingest).

usage: bench/fsync-cost.py [DIR] [N]   (DIR on the disk the spool uses; default ./var/fsync-bench)
Prints p50/p90 ms per instance for: new file + fsync + rename (RadDraft's protocol, without and with
the directory fsync), overwriting a pre-written file + fdatasync, and a plain write (storescp; it
depends on how many dirty pages the kernel holds at the time, so read it over several runs)."""
import os, shutil, statistics, sys, time

d = sys.argv[1] if len(sys.argv) > 1 else "var/fsync-bench"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
os.makedirs(d, exist_ok=True)
buf = os.urandom(1 << 20)


def timed(f):
    xs = []
    for i in range(n):
        t0 = time.perf_counter()
        f(i)
        xs.append((time.perf_counter() - t0) * 1e3)
    xs.sort()
    return statistics.median(xs), xs[int(0.9 * n)]


def new_file(i, dir_sync=False):
    tmp = f"{d}/n{i}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, buf)
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, f"{d}/n{i}.dcm")
    if dir_sync:
        fd = os.open(d, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)


for i in range(n):  # the slots of the pre-written pool
    fd = os.open(f"{d}/s{i}", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, bytes(1 << 20))
    os.fsync(fd)
    os.close(fd)


def overwrite(i):
    fd = os.open(f"{d}/s{i}", os.O_WRONLY)
    os.write(fd, buf)
    os.fdatasync(fd)
    os.close(fd)


def write_only(i):
    fd = os.open(f"{d}/w{i}.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, buf)
    os.close(fd)


print(f"{'method (1 MiB)':40s} {'p50 ms':>7s} {'p90 ms':>7s}")
for name, f in [("new file + fsync + rename", new_file),
                ("  + directory fsync", lambda i: new_file(i, True)),
                ("overwrite pre-written file + fdatasync", overwrite),
                ("write only, no fsync (storescp)", write_only)]:
    print(f"{name:40s} %7.2f %7.2f" % timed(f))
shutil.rmtree(d)
