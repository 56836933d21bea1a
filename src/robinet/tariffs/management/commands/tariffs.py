"""``robinet tariffs import FILE.yaml [--replace]`` / ``export CODE [-o FILE]`` / ``list`` / ``check FILE``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.exceptions import ApplicationError
from robinet.tariffs import schema, selectors, services


def _fields(exc: ApplicationError) -> list[str]:
    return [
        f"  {field} : {message}" for field, messages in exc.fields.items() for message in messages
    ]


class Command(BaseCommand):
    help = "Tarifs (BILL-1) : import et export au format YAML, liste, contrôle."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="importer une version de tarif (YAML)")
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--replace", action="store_true", help="remplacer une version qui n'a pas servi"
        )
        exp = sub.add_parser("export", help="exporter une version de tarif en YAML")
        exp.add_argument("code")
        exp.add_argument("-o", "--output", type=Path, help="fichier de sortie (sinon l'écran)")
        sub.add_parser("list", help="lister les versions de tarif")
        chk = sub.add_parser("check", help="contrôler un fichier sans l'importer (BILL-1a)")
        chk.add_argument("file", type=Path)

    def handle(self, *args, action: str, **options):
        getattr(self, f"_{action}")(**options)

    def _read(self, file: Path) -> str:
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        try:
            return file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CommandError(f"{file.name} : le fichier doit être encodé en UTF-8.") from None

    def _report_warnings(self, text: str) -> None:
        for warning in schema.check_tariff(services.parse_document(text)):
            self.stdout.write(
                self.style.WARNING(f"  avertissement {warning.path} : {warning.message}")
            )

    def _import(self, *, file: Path, replace: bool, **options):
        text = self._read(file)
        try:
            version, created = services.tariff_save(actor=None, text=text, replace=replace)
        except ApplicationError as exc:
            for line in _fields(exc):
                self.stderr.write(line)
            raise CommandError(
                f"{file.name} refusé : {exc.message} Rien n'a été importé."
            ) from None
        self._report_warnings(text)
        verb = "créé" if created else "remplacé"
        self.stdout.write(
            self.style.SUCCESS(
                f"Tarif {version.code} {verb} : {version.zones.count()} commune(s), "
                f"du {version.valid_from:%d/%m/%Y}"
                + (f" au {version.valid_to:%d/%m/%Y}" if version.valid_to else "")
                + "."
            )
        )

    def _export(self, *, code: str, output: Path | None, **options):
        try:
            text = services.tariff_export(selectors.tariff_get(user=None, code=code))
        except ApplicationError:
            raise CommandError(f"Tarif inconnu : {code}") from None
        if output:
            output.write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Tarif {code} exporté dans {output}."))
        else:
            self.stdout.write(text, ending="")

    def _list(self, **options):
        for version in selectors.tariff_list(user=None):
            until = f"{version.valid_to:%d/%m/%Y}" if version.valid_to else "…"
            self.stdout.write(
                f"{version.code:<30} {version.valid_from:%d/%m/%Y} → {until:<10} "
                f"{version.zones.count():>4} commune(s)  {version.label}"
            )

    def _check(self, *, file: Path, **options):
        text = self._read(file)
        try:
            self._report_warnings(text)
        except ApplicationError as exc:
            for line in _fields(exc):
                self.stderr.write(line)
            raise CommandError(f"{file.name} : {exc.message}") from None
        self.stdout.write(self.style.SUCCESS(f"{file.name} : format valide."))
