#!/usr/bin/env python3
# usage: count.py file.s [func-substring...]  -- per-function counts of interesting x86 instructions
import sys, re, subprocess, collections
KEYS = ["vpdpbusd","vpdpwssd","vpmaddubsw","vpmaddwd","vpmullw","vpmulld","vpmovsxbw","vpmovzxbw","vpmovsxbd","vpmovzxbd","vpmovsxwd",
        "vpshufb","vpermw","vpermt2w","vpermb","vpermt2b","vpunpck","vpack","vpmovdw","vpmovwb","vfmadd","vcvtph2ps","vcvtdq2ps","vphaddd","callq"]
text = open(sys.argv[1]).read().splitlines()
filt = sys.argv[2:]
funcs = collections.OrderedDict(); cur = None
for line in text:
    m = re.match(r'^([\$\w.]+):', line)
    if m and not m.group(1).startswith('.'):
        cur = m.group(1); funcs[cur] = []
        continue
    if cur and line.startswith('\t') and not line.strip().startswith('.'):
        funcs[cur].append(line.strip())
names = {}
try:
    dem = subprocess.run(["swift-demangle","--simplified","--compact"], input="\n".join(funcs), capture_output=True, text=True).stdout.splitlines()
    names = dict(zip(funcs, dem))
except Exception: pass
for f, ins in funcs.items():
    n = names.get(f, f)
    if filt and not any(s in n for s in filt): continue
    c = collections.Counter()
    zmm = sum(1 for i in ins if '%zmm' in i); ymm = sum(1 for i in ins if '%ymm' in i)
    for i in ins:
        op = i.split()[0]
        for k in KEYS:
            if op.startswith(k): c[k] += 1
    print(f"{n[:60]:60s} n={len(ins):4d} ymm={ymm} zmm={zmm} " + " ".join(f"{k}={v}" for k, v in c.items()))
