"""The demo utility: ``robinet demo`` and the synthetic data generator.

``uv run robinet demo`` migrates the embedded SQLite database (``var/``),
generates a water utility — the *Direction régionale Rhin-Moselle*, two
agencies, four centres over real communes of the Bas-Rhin, Haut-Rhin and
Moselle — with 2,000 customer accounts by default, creates one staff user
per role, prints the figures and the credentials, and starts the server on
http://127.0.0.1:8000. Run again, it reuses the data; ``--reset`` starts
from an empty database, ``--customers N`` sets the size, ``--no-readings``
leaves out the meter readings (and the bills), ``--no-billing`` the tariffs
and bills, ``--no-serve`` stops before the server.

Demo users (``users.py``): ``gestion``, ``facturation``, ``recouvrement``,
``relation``, ``responsable``, ``admin`` (also Django admin), ``auditeur``,
``agence``, all with the password ``robinet-demo``. **Demo only**: the
password is public; never create these users on a real database.

Modules:

* ``generator.py`` — the seeded generator (``random.Random(seed)`` and
  ``Faker("fr_FR")`` seeded alike: same seed and reference date, same
  utility). Customers of every class in realistic shares, valid SIRET, NAF,
  IBAN/BIC and phone numbers, addresses checked against the commune
  reference, service points with meters and their history, contracts with
  move-outs, changes of holder and terminations, particularities, returned
  mail. Rows are built as tuples in chunks.
* ``readings.py`` — two years of meter readings per service point (rounds
  every six months, monthly remote reading, seasons, move-in/out at the
  contracts' indexes, meter changes, rollovers, leaks with their METER-5
  notice, estimates, held anomalies), consumption as
  ``robinet.metering.consumption`` computes it. ``generate(readings=True)``;
  the customers are the same with or without.
* ``billing.py`` — the tariffs (``tariffs/*.yaml``: three zones, 2025 and
  2026 versions), the social tariff, the BILL-5 thresholds, the takeover of
  the earlier billing, then the real billing runs of each half-year of the
  readings' window and a few credit notes (full and rebilled, partial).
* ``bulk.py`` — writes the chunks: ``COPY`` from a writer thread on
  PostgreSQL, ``executemany`` on SQLite, with index and key maintenance
  deferred to the end of the (single) transaction.
* ``identifiers.py`` — SIREN/SIRET, French IBAN with RIB key, phone ranges.
* ``data.py`` — the territory, trades, names of the demo.

``bench/demo_generate.py`` times the generator on a fresh database.
"""
