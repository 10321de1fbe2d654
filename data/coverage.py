"""Write docs/data.md: coverage of the curated data by country, sector group and role.

    python data/coverage.py            # rewrite docs/data.md
    python data/coverage.py --check    # exit 1 if docs/data.md is out of date

Reads data/companies.jsonl and every data/batches/*.jsonl (matchmaker.dataset); a test
(tests/test_data.py) fails when the committed page differs from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # run from a clone without an installed package
    sys.path.insert(0, str(ROOT / "src"))

from matchmaker import dataset  # noqa: E402

OUTPUT = ROOT / "docs" / "data.md"


def render(root: Path = ROOT) -> str:
    """The page for the data files under ``root``."""
    records = dataset.load_records(dataset.data_files(root))
    return dataset.render_markdown(dataset.coverage(records, root))


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python data/coverage.py")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
