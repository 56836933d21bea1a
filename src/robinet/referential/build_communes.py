"""Build ``data/communes.csv.gz`` from the npm package ``@etalab/decoupage-administratif``.

Run by hand when the source package is updated, outside the repository::

    cd "$(mktemp -d)" && npm install @etalab/decoupage-administratif
    uv run python -m robinet.referential.build_communes \\
        "$PWD/node_modules/@etalab/decoupage-administratif/data"

then update the version in ``data/NOTICE.md`` and commit the new file.
"""

import argparse
import csv
import gzip
import io
import json
import sys
from pathlib import Path

# Arrondissements municipaux (Paris, Lyon, Marseille) are kept: addresses use them.
KEPT_TYPES = ("commune-actuelle", "arrondissement-municipal")
COLUMNS = ("insee", "name", "department", "region", "postcodes", "population", "parent")
OUTPUT = Path(__file__).parent / "data" / "communes.csv.gz"


def build_rows(communes: list[dict]) -> list[tuple[str, ...]]:
    rows = []
    for c in communes:
        if c.get("type") not in KEPT_TYPES:
            continue
        rows.append(
            (
                c["code"],
                c["nom"],
                c["departement"],
                c["region"],
                " ".join(c.get("codesPostaux") or ()),
                # A few uninhabited territories (TAAF, Clipperton) have no population.
                str(c.get("population") or 0),
                c.get("commune", ""),
            )
        )
    rows.sort()
    return rows


def write_csv_gz(rows: list[tuple[str, ...]], output: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    with open(output, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as gz:
        gz.write(buffer.getvalue().encode("utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the npm package's data/ directory")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    communes = json.loads((args.data_dir / "communes.json").read_text(encoding="utf-8"))
    rows = build_rows(communes)
    write_csv_gz(rows, args.output)
    sys.stderr.write(f"{len(rows)} communes written to {args.output.name}\n")


if __name__ == "__main__":
    main()
