"""Full PartnerRanker.fit time, this tree against main's code in the same run (issue 14).

A fit reads roles, markets, areas and product types from every profile's text
with some 70 case-insensitive rules; that was over half of its time. For each
size this script fits the same synthetic profiles (benchmarks/synthetic.py)
with the ``src`` of ``--baseline`` (``git archive``; default: main just before
this change) and with this tree's, each
in a fresh process, and prints both times and their ratio. Vectors are seeded
random unit rows of the model's width: the code measured never reads their
values, and both sides get the same ones.

``--check`` proves the output unchanged: on the shipped profiles
(data/companies.jsonl, data/batches/*.jsonl, eval/deals/profiles.jsonl) both
sides write every inferred field, the focus rows and each company's ``match``
top 10 with scores, and the script compares them.

    PYTHONPATH=src python benchmarks/fit_speed.py --sizes 3000 10000 --check
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["data/companies.jsonl", *sorted(str(p.relative_to(ROOT)) for p in
           (ROOT / "data/batches").glob("*.jsonl")), "eval/deals/profiles.jsonl"]
DIM = 384
#: main just before rule_scan.py; later main commits change rankings for other reasons
BEFORE = "4da4a24"
FIELDS = ("profile", "offers", "seeks", "identity")


def random_vectors(profiles, seed: int = 14) -> dict:
    """One seeded unit row per profile and field (phrase tables stay empty)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vectors: dict = {field: {} for field in FIELDS}
    for p in profiles:
        for field in FIELDS:
            row = rng.standard_normal((1, DIM)).astype(np.float32)
            vectors[field][p.id] = row / np.linalg.norm(row)
    return vectors


def child_time(size: int) -> None:
    """In a fresh process: seconds of one full fit at ``size`` profiles."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.synthetic import make_profiles
    from matchmaker.ranking import PartnerRanker

    profiles = make_profiles(size)
    vectors = random_vectors(profiles)
    start = time.process_time()
    PartnerRanker().fit(profiles, vectors)
    print(json.dumps({"cpu": time.process_time() - start}))


def child_check(out: str) -> None:
    """In a fresh process: every inferred field and every match top 10 on shipped data."""
    from matchmaker.importing import parse_file
    from matchmaker.ranking import PartnerRanker
    from matchmaker.role_inference import effective_fields
    from matchmaker.therapy import effective_focus

    profiles, seen = [], set()
    for name in SHIPPED:
        for p in parse_file(ROOT / name, any_european=True).profiles:
            if p.id not in seen:
                seen.add(p.id)
                profiles.append(p)
    ranker = PartnerRanker().fit(profiles, random_vectors(profiles))
    result = {}
    for i, p in enumerate(profiles):
        fields, focus = effective_fields(p), effective_focus(p)
        result[p.id] = {
            "roles": [fields.roles, fields.partner_roles, fields.markets, sorted(fields.inferred)],
            "focus": [focus.areas, focus.modalities, sorted(focus.inferred)],
            "rows": [ranker.focus_fit_.offered_[i].tolist(), ranker.focus_fit_.sought_[i].tolist()],
            "match": [[m.id, m.score] for m in ranker.match(p.id, top=10)],
        }
    Path(out).write_text(json.dumps(result))


def run_child(src: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1",
           "MATCHMAKER_LEARNED_MODEL": "none"}
    done = subprocess.run([sys.executable, __file__, *args], env=env, check=True,
                          capture_output=True, text=True, cwd=ROOT)
    return (done.stdout.strip().splitlines() or [""])[-1]


def baseline_src(folder: Path, ref: str) -> Path:
    """main's ``src`` unpacked from ``git archive`` (the code before this change)."""
    archive = subprocess.run(["git", "archive", ref, "src"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder)
    return folder / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 10000])
    parser.add_argument("--baseline", default=BEFORE, help="git ref of the baseline code")
    parser.add_argument("--check", action="store_true", help="compare outputs on shipped data")
    parser.add_argument("--child-time", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-check", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_time:
        return child_time(args.child_time)
    if args.child_check:
        return child_check(args.child_check)
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"baseline": baseline_src(Path(tmp), args.baseline), "this tree": ROOT / "src"}
        if args.check:
            outs = {}
            for name, src in sides.items():
                out = Path(tmp) / f"{name}.json"
                run_child(src, "--child-check", str(out))
                outs[name] = json.loads(out.read_text())
            same = outs["baseline"] == outs["this tree"]
            print(f"shipped data, {len(outs['baseline'])} profiles: inferred fields, focus rows "
                  f"and match top 10 with scores {'IDENTICAL' if same else 'DIFFER'}")
            if not same:
                sys.exit(1)
        print(f"load average {os.getloadavg()}")
        print("profiles  baseline CPU s  this tree CPU s  ratio")
        for size in args.sizes:
            cpu = {name: json.loads(run_child(src, "--child-time", str(size)))["cpu"]
                   for name, src in sides.items()}
            print(f"{size:>8}  {cpu['baseline']:>14.2f}  {cpu['this tree']:>15.2f}  "
                  f"{cpu['this tree'] / cpu['baseline']:>5.2f}")


if __name__ == "__main__":
    main()
