"""``robinet report-snapshot`` — write the reporting snapshot the large reports read (REP-1, REP-2).

Run it nightly after the batch jobs, and after a month-end closing: the aged
balance and the recovery report then answer from it in a fraction of a second
whatever the ledger's size (``docs/operations.md``).
"""

from django.core.management.base import BaseCommand, CommandError

from robinet.reporting import snapshot


class Command(BaseCommand):
    help = (
        "Écrit l'instantané de reporting (postes, lettrages, comptes, grand livre clients) "
        "que lisent la balance âgée et le taux de recouvrement."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep", type=int, default=2, help="instantanés conservés (2 par défaut)"
        )
        parser.add_argument(
            "--show", action="store_true", help="afficher l'instantané courant sans en écrire"
        )

    def handle(self, *args, **options):
        if options["keep"] < 1:
            raise CommandError("--keep doit valoir au moins 1.")
        if options["show"]:
            current = snapshot.current()
            if current is None:
                raise CommandError("Aucun instantané de reporting.")
            self._describe(current)
            return
        try:
            taken, seconds = snapshot.take(keep=options["keep"])
        except OSError as exc:
            raise CommandError(f"Instantané impossible : {exc}") from None
        self._describe(taken)
        self.stdout.write(f"écrit en {seconds:.1f} s")

    def _describe(self, taken: snapshot.Snapshot) -> None:
        self.stdout.write(f"Instantané de reporting du {taken.taken_at.isoformat()} : {taken.path}")
        for name, count in taken.rows.items():
            self.stdout.write(f"  {name:<28} {count:>12,}".replace(",", " "))
