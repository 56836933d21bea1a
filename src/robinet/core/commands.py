"""Shared pieces of the import commands (API-2: a summary, exit code ≠ 0 on failure)."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile

SHOWN = 200
FILE_HELP = "fichier CSV (séparateur ; ou ,, UTF-8 ou Windows-1252)"
FORCE_HELP = "réimporter un fichier déjà importé"


def add_file_arguments(parser) -> None:
    parser.add_argument("file", type=Path, help=FILE_HELP)
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)


def run_import(
    command: BaseCommand, importer: Callable[..., Any], file: Path, *, force: bool, refused: str
) -> tuple[Any, float]:
    """Run ``importer`` on ``file``; print every refusal by line and raise CommandError.

    ``refused`` names what the issues count, e.g. "erreur(s)". Returns the
    importer's result and the elapsed seconds.
    """
    if not file.is_file():
        raise CommandError(f"Fichier introuvable : {file}")
    started = time.perf_counter()
    command.stdout.write(f"Lecture et contrôle de {file.name}…")
    try:
        result = importer(file, filename=file.name, force=force)
    except InvalidImportFile as exc:
        for issue in exc.issues[:SHOWN]:
            command.stderr.write(f"  {issue}")
        if len(exc.issues) > SHOWN:
            command.stderr.write(f"  … et {len(exc.issues) - SHOWN} autres erreurs")
        raise CommandError(
            f"Fichier refusé : {len(exc.issues)} {refused}, rien n'a été importé."
        ) from None
    except ApplicationError as exc:
        raise CommandError(str(exc.message)) from None
    return result, time.perf_counter() - started


def parse_date(value: str | None, *, default=None):
    """A command's ``--date`` (AAAA-MM-JJ); ``default`` when absent, else a clear error."""
    import datetime as dt

    if not value and default is not None:
        return default
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise CommandError(f"Date invalide : « {value} » (attendu AAAA-MM-JJ).") from None


def command_error(exc: ApplicationError) -> CommandError:
    """An application error as the command prints it: the message and each field's errors."""
    details = "; ".join(f"{k} : {', '.join(map(str, v))}" for k, v in exc.fields.items())
    return CommandError(f"{exc.message} {details}".strip())
