"""Are two sets of offline preview reports the same? For a performance change: reports before and after.

    python bench/compare_reports.py BEFORE_DIR AFTER_DIR

Each directory holds `<name>.json` (a `--json` report) and `<name>.txt` (its stdout) per run, e.g. for
every stack in both modes:

    for s in $(ls stacks | sed 's/Pulumi.//; s/.yaml//'); do for m in "" --assume-applied; do
      python -m offline preview $s --quiet $m --policy-pack policy/encryption --policy-pack policy/residency \
        --json DIR/$s$m.json > DIR/$s$m.txt; done; done

Equal modulo the order the engine happens to register in: the SDK registers from a thread pool, so
the order of resources, of a resource's dependencies, of diagnostics and of what registered before
an invoke (`after`) vary from run to run of the same code; everything else must be identical.
Text output is compared line for line as a multiset (its order follows registration). Exit 1 on a
difference."""
import json, sys, glob, os

def canon(v):
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, list):
        items = [canon(x) for x in v]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
    return v

def norm(report):
    r = dict(report)
    for inv in r.get('invokes', []):
        inv.pop('after', None)  # what registered before the invoke: timing
    return canon(r)

a, b = sys.argv[1], sys.argv[2]
bad = 0
for f in sorted(glob.glob(a + '/*.json')):
    g = os.path.join(b, os.path.basename(f))
    if not os.path.exists(g):
        continue
    x, y = norm(json.load(open(f))), norm(json.load(open(g)))
    ta, tb = (sorted(open(p.replace('.json', '.txt')).read().splitlines()) for p in (f, g))
    print(os.path.basename(f), 'report same' if x == y else 'REPORT DIFFERS', '| text same' if ta == tb else '| TEXT DIFFERS')
    if x != y:
        bad += 1
        for k in x:
            if x[k] != y.get(k): print('   key differs:', k)
sys.exit(1 if bad else 0)
