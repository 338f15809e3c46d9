#!/usr/bin/env python3
"""Writes an N x N RC mesh deck (resistors between grid neighbours, a capacitor from every node to
ground, driven at one corner) with .op and a 100-point .ac, for timing Miller against ngspice.

    scripts/bench/rc_mesh.py 316 > /tmp/mesh316.cir
"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
out = [f"rc mesh {n}x{n}", "vin in 0 dc 1 ac 1", "rin in n0_0 10"]
for i in range(n):
    for j in range(n):
        node = f"n{i}_{j}"
        if j + 1 < n:
            out.append(f"rh{i}_{j} {node} n{i}_{j+1} 100")
        if i + 1 < n:
            out.append(f"rv{i}_{j} {node} n{i+1}_{j} 100")
        out.append(f"c{i}_{j} {node} 0 1p")
out.append(f"rload n{n-1}_{n-1} 0 1k")
out += [".op", ".ac lin 100 1k 1meg", ".end"]
print("\n".join(out))
