#!/usr/bin/env python3
"""Reports dependency cycles between sibling modules of a Rust crate (src/), and
exits 1 if there is one: CI keeps the layers of README's layout acyclic.
A module's references are the `crate::`, `super::` and `self::` paths in its file
(use declarations and inline paths). An edge a -> b between two siblings of one
parent exists when something in a (or below it) names something in b (or below).
Parent/child references (a facade and its parts) are not counted."""
import os, re, sys, itertools
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
mods = {}
for dp, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs'): continue
        p = os.path.relpath(os.path.join(dp, f), root)[:-3].split(os.sep)
        if p[-1] in ('mod', 'lib', 'main'): p = p[:-1]
        mods[tuple(p)] = os.path.join(dp, f)
def strip(text):
    text = re.sub(r'//[^\n]*', '', text)
    return re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*', '', text, flags=re.S)
edges = set()
path_re = re.compile(r'\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+|::\{)')
for mod, file in mods.items():
    text = strip(open(file).read())
    # expand `use x::{a, b::c}` groups shallowly
    for m in re.finditer(r'\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^{}]*)\}', text):
        for item in m.group(3).split(','):
            item = item.strip().split(' as ')[0]
            if item: text += f'\n{m.group(1)}{m.group(2)}::{item}'
    for m in path_re.finditer(text):
        head, rest = m.group(1), m.group(2)
        if rest == '::{': continue
        parts = rest.strip(':').split('::')
        if head == 'crate': base = []
        elif head == 'self': base = list(mod)
        else:
            base = list(mod)[:-1]
            while parts and parts[0] == 'super': base = base[:-1]; parts = parts[1:]
        target = tuple(base + parts)
        # the longest known module prefix
        while target and target not in mods: target = target[:-1]
        if target != mod: edges.add((mod, target))
found = False
parents = {m[:-1] for m in mods if m}
for parent in sorted(parents):
    kids = sorted({m[len(parent)] for m in mods if len(m) > len(parent) and m[:len(parent)] == parent})
    g = {k: set() for k in kids}
    for a, b in edges:
        if len(a) > len(parent) and len(b) > len(parent) and a[:len(parent)] == parent == b[:len(parent)]:
            ka, kb = a[len(parent)], b[len(parent)]
            if ka != kb: g[ka].add(kb)
    # cycles via DFS
    def reach(s, t, seen):
        for n in g[s]:
            if n == t: return [n]
            if n not in seen:
                seen.add(n); r = reach(n, t, seen)
                if r: return [n] + r
        return None
    for k in kids:
        r = reach(k, k, set())
        if r and min([k] + r) == k:
            found = True
            print('cycle in', '::'.join(parent) or 'crate', ':', ' -> '.join([k] + r))
print('no cycles between modules' if not found else '')
sys.exit(1 if found else 0)
