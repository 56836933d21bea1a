"""Benchmark: legacy import of N customers from CSV (target: 100,000 rows < 20 s on SQLite).

uv run python bench/customer_import.py --rows 100000 [--database-url sqlite|postgres]
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import setup_database  # noqa: E402
from unidecode import unidecode  # noqa: E402

FIRST = ["Jean", "Marie", "Hélène", "Émile", "Zoé", "Lucas", "Chloé", "Noël", "Inès", "Jérôme"]
LAST = [
    "Martin",
    "Lefèvre",
    "Müller",
    "Schmitt",
    "Klein",
    "Weber",
    "Meyer",
    "Dupont",
    "Hoffmann",
    "Bernard",
]
STREETS = [
    "rue des Tanneurs",
    "avenue de la Forêt-Noire",
    "place Kléber",
    "rue du Dôme",
    "quai des Bateliers",
]
STRASBOURG = ("67482", ["67000", "67100", "67200"])


def rib_iban(rng: random.Random) -> str:
    from schwifty import IBAN

    # schwifty computes the French RIB key itself.
    return str(
        IBAN.generate(
            "FR", bank_code="3000600001", account_code=f"{rng.randrange(10**10, 10**11)}"
        ).compact
    )


def make_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = [
        "centre;kind;civility;name;first_name;customer_class;mobile;email;address_line;postcode;"
        "commune_insee;iban;direct_debit"
    ]
    for i in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        mobile = (
            f"06{rng.randrange(10, 39)}{rng.randrange(10**5, 10**6)}" if rng.random() < 0.7 else ""
        )
        email = (
            f"{unidecode(first.lower())}.{unidecode(last.lower())}{i}@example.fr"
            if rng.random() < 0.6
            else ""
        )
        iban = rib_iban(rng) if rng.random() < 0.5 else ""
        lines.append(
            f"CT1;person;{rng.choice(['M.', 'Mme'])};{last};{first};individual;{mobile};{email};"
            f"{rng.randrange(1, 200)} {rng.choice(STREETS)};{rng.choice(STRASBOURG[1])};{STRASBOURG[0]};"
            f"{iban};{'oui' if iban else 'non'}"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="sqlite")
    args = parser.parse_args()
    setup_database(args.database_url, "robinet_bench_import")

    from robinet.customers.imports import import_customers
    from robinet.organisation.services import entity_create

    region = entity_create(kind="region", code="DR", name="Région")
    agency = entity_create(kind="agency", code="AG", name="Agence", parent=region)
    entity_create(kind="centre", code="CT1", name="Centre", parent=agency)
    data = make_csv(args.rows)
    started = time.perf_counter()
    result = import_customers(data, filename="bench.csv")
    elapsed = time.perf_counter() - started
    print(f"database: {args.database_url}")
    print(f"rows imported: {result.rows}")
    print(f"total: {elapsed:.2f} s ({result.rows / elapsed:,.0f} rows/s)")


if __name__ == "__main__":
    main()
