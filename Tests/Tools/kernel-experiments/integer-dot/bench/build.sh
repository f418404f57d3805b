#!/bin/sh
# usage: bench/build.sh haswell|znver4|native  -> bench_<cpu> (run it) and kern_<cpu>.s (count with ../count.py)
cpu=${1:-haswell}
cd "$(dirname "$0")"
python3 ../gen_helpers.py
swiftc -O -wmo -j1 -target-cpu "$cpu" -module-name bench helpers2.swift kernels.swift main.swift -o bench_$cpu
swiftc -O -wmo -j1 -target-cpu "$cpu" -module-name bench -parse-as-library -emit-assembly helpers2.swift kernels.swift -o kern_$cpu.s
