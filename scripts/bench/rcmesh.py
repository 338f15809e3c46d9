#!/usr/bin/env python3
"""Writes an RC-mesh benchmark deck: an n x n grid of resistors, a capacitor from every node to ground,
a source at one corner and a load resistor at the opposite corner (so the operating point is not flat).

    scripts/bench/rcmesh.py 100 op  > mesh100-op.cir    # 10 000 nodes, .op
    scripts/bench/rcmesh.py 316 ac  > mesh316-ac.cir    # 99 856 nodes, .ac dec with 100 points
"""
import sys


def mesh(n: int, analysis: str) -> str:
    out = [f"rc mesh {n}x{n} ({n * n} nodes), {analysis}",
           "* grid resistors 1k, 1p from every node to ground, 1 V source at n_0_0, 1k load at the far corner",
           "vin n_0_0 0 dc 1 ac 1"]
    for i in range(n):
        for j in range(n):
            node = f"n_{i}_{j}"
            if j + 1 < n:
                out.append(f"rh_{i}_{j} {node} n_{i}_{j + 1} 1k")
            if i + 1 < n:
                out.append(f"rv_{i}_{j} {node} n_{i + 1}_{j} 1k")
            out.append(f"c_{i}_{j} {node} 0 1p")
    out.append(f"rload n_{n - 1}_{n - 1} 0 1k")
    if analysis == "op":
        out.append(".op")
    elif analysis == "ac":
        # 1 kHz to 89.2 MHz at 20 points per decade: exactly 100 frequencies.
        out.append(".ac dec 20 1k 89.2meg")
    else:
        raise SystemExit(f"rcmesh.py: analysis must be op or ac, not '{analysis}'")
    out.append(".end")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 2:
        raise SystemExit("usage: rcmesh.py N op|ac   (N >= 2: an N x N grid)")
    sys.stdout.write(mesh(int(sys.argv[1]), sys.argv[2]))
