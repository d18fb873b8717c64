"""Compares two rsim result files' content: every dataset and attribute
except those that legitimately differ between runs (timings, ranks, times,
the list of runs).
Exit 0 if identical, 1 with a list of differences otherwise."""
import json
import sys

import h5py
import numpy as np

SKIP_DATASETS = {"tasks/elapsed", "tasks/rank", "tasks/max_rss", "summary/elapsed"}
SKIP_ATTRS = {"created", "finished", "n_ranks", "grid_path", "runs"}  # runs: when, where, how many ranks


def job_view(text):
    """The job_json attribute without what names this run's files."""
    j = json.loads(text)
    j.pop("files", None)
    j["job"].pop("output", None)
    j["source"].pop("path", None)
    return j


def same_attr(k, x, y):
    if k == "job_json":
        return job_view(x) == job_view(y)
    return np.array_equal(np.asarray(x), np.asarray(y))


def collect(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


def same(a, b):
    if a.dtype.kind == "O" and a.size and isinstance(a.flat[0], np.ndarray):  # variable-length bytes
        return a.shape == b.shape and all(bytes(x) == bytes(y) for x, y in zip(a.flat, b.flat))
    if a.dtype.kind == "f":
        return a.shape == b.shape and np.array_equal(a.view(np.uint64) if a.dtype == np.float64 else a,
                                                     b.view(np.uint64) if b.dtype == np.float64 else b)
    return a.shape == b.shape and np.array_equal(a, b)


def main(p, q):
    diffs = []
    with h5py.File(p, "r") as a, h5py.File(q, "r") as b:
        da, db = collect(a), collect(b)
        if set(da) != set(db):
            diffs.append(f"datasets differ: {sorted(set(da) ^ set(db))}")
        for name in sorted(set(da) & set(db)):
            if name in SKIP_DATASETS:
                continue
            if da[name].dtype != db[name].dtype:
                diffs.append(f"{name}: dtype {da[name].dtype} vs {db[name].dtype}")
            elif not same(da[name][()], db[name][()]):
                diffs.append(f"{name}: values differ")
        ka, kb = set(a.attrs) - SKIP_ATTRS, set(b.attrs) - SKIP_ATTRS
        if ka != kb:
            diffs.append(f"root attributes differ: {sorted(ka ^ kb)}")
        for k in sorted(ka & kb):
            if not same_attr(k, a.attrs[k], b.attrs[k]):
                diffs.append(f"attribute {k}: {a.attrs[k]!r} vs {b.attrs[k]!r}")
        n = len(da)
    for d in diffs:
        print(d)
    print(f"compared {n} datasets: {'identical' if not diffs else f'{len(diffs)} differences'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
