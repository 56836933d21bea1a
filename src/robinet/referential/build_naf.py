"""Build ``data/naf.csv`` (NAF rév. 2 sub-classes) from the npm package ``@socialgouv/codes-naf``.

Run by hand when the source package is updated, outside the repository::

    cd "$(mktemp -d)" && npm install @socialgouv/codes-naf
    uv run python -m robinet.referential.build_naf \\
        "$PWD/node_modules/@socialgouv/codes-naf/index.json"

then update the version in ``data/NOTICE.md`` and commit the new file.
"""

import argparse
import csv
import json
import re
import sys
from pathlib import Path

# The package also lists sections, divisions, groups and classes: keep sub-classes only.
SUBCLASS = re.compile(r"\d{2}\.\d{2}[A-Z]")
EXPECTED_COUNT = 732  # sub-classes of NAF rév. 2 (INSEE, 2008)
OUTPUT = Path(__file__).parent / "data" / "naf.csv"


def build_rows(entries: list[dict]) -> list[tuple[str, str]]:
    rows = {
        e["id"]: " ".join(e["label"].split())  # the source has stray double spaces
        for e in entries
        if SUBCLASS.fullmatch(e["id"])
    }
    if len(rows) != EXPECTED_COUNT:
        raise SystemExit(f"expected {EXPECTED_COUNT} NAF sub-classes, found {len(rows)}")
    return sorted(rows.items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index_json", type=Path, help="the npm package's index.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rows = build_rows(json.loads(args.index_json.read_text(encoding="utf-8")))
    with open(args.output, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("code", "label"))
        writer.writerows(rows)
    sys.stderr.write(f"{len(rows)} NAF codes written to {args.output.name}\n")


if __name__ == "__main__":
    main()
