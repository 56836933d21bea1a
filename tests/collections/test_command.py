"""``robinet dunning``: the daily job, issue, print, seed (COLL-2)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from robinet.collections.models import DunningNotice, DunningProcedure, DunningProposal
from robinet.core.models import BatchRun
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("dunning", *args, stdout=out)
    return out.getvalue()


def test_coll2_seed_then_propose_review_issue_and_print(household, tmp_path):
    assert "3 procédure(s) créée(s)" in run("seed-procedures")
    assert "0 procédure(s)" in run("seed-procedures")  # idempotent
    bill(household, issued=TODAY - dt.timedelta(days=40))
    output = run("run", "--date", TODAY.isoformat())
    assert "Proposition n°" in output
    proposal = BatchRun.objects.get(kind="dunning_proposal")
    assert DunningProposal.objects.filter(run=proposal).count() == 1
    assert not DunningNotice.objects.exists()
    assert "Émission n°" in run("issue", "--run", str(proposal.pk))
    activity = BatchRun.objects.get(kind="dunning_activity")
    letters = tmp_path / "lettres.pdf"
    output = run("print", "--run", str(activity.pk), "--out", str(letters))
    assert "1 lettre(s)" in output
    assert letters.read_bytes().startswith(b"%PDF")
    assert DunningNotice.objects.get().printed_at is not None


def test_coll2_run_with_issue_does_both(household, procedures):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    output = run("run", "--date", TODAY.isoformat(), "--issue")
    assert "Émission n°" in output
    assert DunningNotice.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--date", "31/02/2026"), "Date invalide"),
        (("issue", "--run", "999"), "Aucun traitement de proposition"),
        (("print", "--run", "999", "--out", "x.pdf"), "Aucun traitement d'émission"),
        (("run", "--date", "2026-03-02", "--entity", "NOPE"), "entity"),
    ],
)
def test_coll2_bad_input_is_named(procedures, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not BatchRun.objects.exists()


def test_coll2_no_procedure_is_a_clear_error(db):
    assert not DunningProcedure.objects.exists()
    with pytest.raises(CommandError, match="Aucune procédure"):
        run("run", "--date", TODAY.isoformat())
