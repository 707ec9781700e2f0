"""Per-node time of a model on the CPU engine (Interpreter.profile_nodes: each node's median
over node-by-node runs, with the interpreter's intra-op threads), grouped by op and kernel.

  python tools/profile_nodes.py MODEL.tflite [--threads 1 2] [--iters 200] [--no-fold-pads]
"""
import argparse
import collections

import numpy as np

from facemesh_native import _core


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--no-fold-pads", action="store_true")
    ap.add_argument("--top", type=int, default=8)
    a = ap.parse_args()
    for t in a.threads:
        it = _core.Interpreter(a.model, t, True, True, not a.no_fold_pads)
        rng = np.random.default_rng(0)
        ins = [rng.uniform(-1, 1, size=i["shape"]).astype(np.float32) for i in it.inputs]
        secs = it.profile_nodes(ins, a.iters)
        groups = collections.defaultdict(lambda: [0, 0.0])
        for n, s in zip(it.nodes, secs):
            op = n["op"].split("+")
            key = "PAD+" + op[1] if op[0] == "PAD" and len(op) > 1 else op[0]
            g = groups[(key, n["impl"])]
            g[0] += 1
            g[1] += s
        total = sum(secs)
        print(f"{a.model.split('/')[-1]}: {t} thread(s), {len(secs)} nodes, "
              f"sum of node medians {total * 1e3:.3f} ms")
        for (op, impl), (count, s) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
            print(f"  {op:28s} {impl:12s} x{count:3d} {s * 1e3:8.3f} ms {100 * s / total:5.1f}%")
        order = sorted(range(len(secs)), key=lambda i: -secs[i])[: a.top]
        for i in order:
            n = it.nodes[i]
            print(f"    #{i:3d} {n['op']:28s} {n['impl']:12s} {secs[i] * 1e3:7.3f} ms")


if __name__ == "__main__":
    main()
