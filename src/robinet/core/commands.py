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


class RunProgress:
    """An executor for commands: the in-process executor drawing a progress line after each
    chunk; with a broker (``ROBINET_BROKER_URL``), sends the chunks to the workers and draws
    their progress until the run is over, then who did what. ``noun``: what the run's items
    are, in the plural (« virements »)."""

    def __init__(self, out, noun: str) -> None:
        self.out = out
        self.noun = noun

    def submit(self, run) -> None:
        from robinet.core.distributed import is_distributed
        from robinet.core.runs import (
            CHUNK_STOPPED,
            execute_chunk,
            get_default_executor,
            run_finish,
            run_worker_progress,
            wait_for_run,
        )

        remote = get_default_executor()
        chunks = run.chunks.count()
        started = time.perf_counter()
        if is_distributed(remote):
            remote.submit(run)

            def draw(current) -> None:
                done = current.chunks.filter(state="done").count()
                self._draw(current, done, chunks, time.perf_counter() - started)

            wait_for_run(run, on_progress=draw)
            self.out.write("\n")
            for progress in run_worker_progress(run):
                self.out.write(
                    f"  {progress.worker} : {progress.chunks} lot(s), {progress.items} {self.noun}"
                )
            return
        pending = list(
            run.chunks.exclude(state="done").order_by("index").values_list("index", flat=True)
        )
        for n, index in enumerate(pending, start=1):
            if execute_chunk(run._meta.label_lower, run.pk, index) == CHUNK_STOPPED:
                break
            run.refresh_from_db(fields=["succeeded", "failed", "skipped", "total"])
            self._draw(run, n, len(pending), time.perf_counter() - started)
        self.out.write("\n")
        run_finish(run=run)

    def _draw(self, run, done: int, chunks: int, elapsed: float) -> None:
        width = 30
        filled = width * done // max(chunks, 1)
        rate = run.processed / elapsed if elapsed else 0
        self.out.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {run.progress_percent:3d} % "
            f"{run.processed}/{run.total} {self.noun} — {rate:,.0f}/s".replace(",", " "),
            ending="",
        )
        self.out.flush()
