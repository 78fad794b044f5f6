#!/usr/bin/env bash
# Paired differences in results.json and the report equal scipy's paired t (ttest_rel) on
# the same trials: missing repetitions and unmeasured values are left out of the pairs.
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
PY=/usr/bin/python3 # Debian's, with python3-scipy (no PyPI here)
. tests/lib.sh

if ! $PY -c 'import scipy.stats' 2>/dev/null; then
	echo "skip - paired: Debian's python3-scipy is not installed"; exit 0
fi
tmp=$(mktemp -d /tmp/qoslab-paired-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# 3 points x 6 repetitions; point 0.1 lacks rep 3, one value of point 0.05 is unmeasured
$PY - "$tmp" <<'PY'
import json, random, sys
random.seed(13)
levels = ["0", "0.05", "0.1"]
trials = []
for rep in range(6):
    base = random.gauss(5, 1)               # what repetition rep's draws share
    for i, lv in enumerate(levels):
        if lv == "0.1" and rep == 3:
            continue
        a = base - 2 * i + random.gauss(0, 0.3)
        b = None if (lv == "0.05" and rep == 0) else random.gauss(100, 10) + rep
        trials.append({"point": {"loss": lv}, "rep": rep, "metrics": {"goodput_per_s": a, "latency_p50_s": b}})
json.dump({"format": "qoslab-results", "version": 1, "meta": {"scenario": "paired"},
           "factors": [{"name": "loss", "numeric": True, "levels": levels}],
           "metrics": ["goodput_per_s", "latency_p50_s"], "points": [], "trials": trials},
          open(sys.argv[1] + "/results.json", "w"))
PY
$Q report -q "$tmp" >"$tmp/out" 2>&1; st=$?
check report_exit_0 "[ $st -eq 0 ]"
[ $st -eq 0 ] || sed 's/^/    /' "$tmp/out"
$PY - "$tmp/results.json" >"$tmp/cmp" 2>&1 <<'PY'
import json, math, sys
from scipy import stats
r = json.load(open(sys.argv[1]))
by = {}
for t in r["trials"]:
    by[(str(t["point"]["loss"]), t["rep"])] = t["metrics"]
base = r["paired"]["baseline"]["loss"]
assert str(base) == "0", base
bad = 0
for e in r["paired"]["points"]:
    lv = str(e["point"]["loss"])
    for m, s in e["stats"].items():
        x, y = [], []
        for rep in range(6):
            a, b = by.get((lv, rep), {}).get(m), by.get(("0", rep), {}).get(m)
            if a is not None and b is not None:
                x.append(a); y.append(b)
        res = stats.ttest_rel(x, y)
        ci = res.confidence_interval(0.95)
        mean = sum(a - b for a, b in zip(x, y)) / len(x)
        for name, got, want in (("n", s["n"], len(x)), ("mean", s["mean"], mean),
                                ("ci_lo", s["ci_lo"], ci.low), ("ci_hi", s["ci_hi"], ci.high)):
            if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
                print(f"{lv} {m} {name}: qoslab {got} scipy {want}"); bad += 1
        print(f"{lv} {m}: n {s['n']} mean {s['mean']:.6g} CI [{s['ci_lo']:.6g}, {s['ci_hi']:.6g}]")
sys.exit(1 if bad else 0)
PY
st=$?
check paired_ci_equals_scipy_ttest_rel "[ $st -eq 0 ]"
[ $st -eq 0 ] && sed 's/^/    /' "$tmp/cmp" || sed 's/^/    /' "$tmp/cmp"
check paired_pairs_skip_missing "jq -e '[.paired.points[] | {l: (.point.loss|tostring), g: .stats.goodput_per_s.n, p: .stats.latency_p50_s.n}] == [{l: \"0.05\", g: 6, p: 5}, {l: \"0.1\", g: 5, p: 5}]' '$tmp/results.json' >/dev/null"
check report_shows_paired "grep -q 'paired &#916; vs first point' '$tmp/report.html' && grep -q '95 % CI (paired t)' '$tmp/report.html'"
