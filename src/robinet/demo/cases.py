"""Customer requests for the demo utility (CASE-1…10): a year of contacts, cases and visits.

Creates the routing teams (one per trade for the region) and one field team
per centre, then replays a year of requests through the services, each at its
own moment (``clock.as_of``), so that numbers, deadlines in working days,
routing, sensitive letters and dunning blocks are what production would give:
closed cases with their answers, open ones of which some are overdue, some
due soon, some multi-contact; internal requests; a few outbound contacts not
attached (for the control reports); service offers; field interventions with
appointments booked for the coming days, an urgent leak and the scheduler's
call-back list. Idempotent: does nothing when cases exist.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.db import transaction

from robinet.cases import field, services
from robinet.cases.answers import Signature
from robinet.cases.choices import (
    Channel,
    Direction,
    InterventionKind,
    OfferOutcome,
    TeamKind,
)
from robinet.cases.models import Case, CaseType, Contact, FieldTeam, Team
from robinet.core import clock
from robinet.core.calendar import working_calendar
from robinet.core.exceptions import ApplicationError
from robinet.customers.models import CustomerAccount
from robinet.organisation.models import Entity, EntityKind

PARIS = ZoneInfo("Europe/Paris")
#: who signs the demo's written answers (seed 003 §5.1.7.4)
SIGNER = Signature("Julien", "Weber", "Conseiller clientèle")

#: how often each request type comes, and through which channels
TYPE_WEIGHTS = (
    ("INFORMATION", 22), ("FACTURE", 14), ("REGLEMENT", 10), ("ARRIVEE", 8), ("DEPART", 8),
    ("DONNEES", 8), ("SERVICES", 6), ("INTERVENTION", 8), ("DEGREVEMENT", 5), ("INDEX", 4),
    ("QUALITE-EAU", 2), ("RDR", 2), ("RGPD", 1), ("FSL", 2),
)  # fmt: skip
CHANNEL_WEIGHTS = (
    (Channel.PHONE, 50), (Channel.EMAIL, 18), (Channel.LETTER, 14), (Channel.VISIT, 8),
    (Channel.WEB_FORM, 10),
)  # fmt: skip

TEXTS = {
    "INFORMATION": "Bonjour, pouvez-vous m'indiquer la date de la prochaine relève de mon compteur ?",
    "FACTURE": "Madame, Monsieur, ma dernière facture est deux fois plus élevée que d'habitude alors "
    "que nous sommes deux dans le logement. Je vous remercie de la vérifier.",
    "REGLEMENT": "Bonjour, suite à votre relance, je souhaite régler ma facture en plusieurs fois. "
    "Pouvez-vous me proposer un échéancier ?",
    "ARRIVEE": "Je viens d'emménager et souhaite souscrire un abonnement. Index relevé ce jour.",
    "DEPART": "Je quitte mon logement à la fin du mois. Merci de relever le compteur et de "
    "m'envoyer la facture de clôture à ma nouvelle adresse.",
    "DONNEES": "Voici mon nouveau numéro de portable et mon adresse e-mail.",
    "SERVICES": "Je voudrais être prélevé tous les mois et recevoir mes factures par e-mail.",
    "INTERVENTION": "Il y a une fuite au niveau du compteur, l'eau coule en permanence dans le regard.",
    "DEGREVEMENT": "Une canalisation a cédé après le compteur ; je demande l'écrêtement de ma "
    "facture. Je joins l'attestation de réparation du plombier.",
    "INDEX": "L'index de ma facture ne correspond pas à ce que je lis sur le compteur. "
    "Je conteste ce relevé.",
    "QUALITE-EAU": "L'eau du robinet a un goût de chlore très prononcé depuis une semaine.",
    "RDR": "Je ne suis pas satisfait de la réponse apportée à ma réclamation et je maintiens ma "
    "contestation.",
    "RGPD": "Conformément au RGPD, je vous demande la copie de toutes les données personnelles "
    "que vous détenez sur moi.",
    "FSL": "Mon dossier d'aide au Fonds de solidarité logement est déposé auprès du département.",
}
#: letters that the sensitive-letter check routes to the dedicated team (CASE-5)
SENSITIVE_TEXTS = (
    "Madame, Monsieur, sans réponse sous huit jours, je saisirai l'UFC-Que Choisir et le "
    "médiateur de l'eau. Cette facture est inadmissible.",
    "Suite au dégât des eaux causé par la rupture de votre canalisation, mon assurance a "
    "mandaté un expert. Je vous tiens pour responsable du préjudice subi.",
    "Monsieur le Directeur, je porterai plainte si cette coupure d'eau n'est pas levée. Mon "
    "avocat vous adressera une mise en demeure.",
    "Le maire de la commune vous écrit au sujet de la réclamation de Mme Schneider, administrée "
    "de notre commune.",
)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    # Never later than now: a case opened "this afternoon" by a demo seeded in the morning
    # would be closed before it was opened.
    moment = dt.datetime.combine(
        day, dt.time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))), PARIS
    )
    return min(moment, clock.now())


def ensure_teams() -> dict[str, Team]:
    """One routing team per trade for the region, and a field team per centre but the last.

    The last centre's visits are planned by the scheduling team (no appointment book):
    its requests show the scheduler's call-back list (CASE-8).
    """
    region = Entity.objects.filter(kind=EntityKind.REGION).order_by("path").first()
    teams = {}
    for kind in TeamKind:
        teams[kind.value], _ = Team.objects.get_or_create(
            code=f"RM-{kind.value.upper().replace('_', '-')}"[:24],
            defaults={"name": kind.label, "kind": kind, "entity": region},
        )
    centres = list(Entity.objects.filter(kind=EntityKind.CENTRE).order_by("code"))
    for centre in centres[:-1] if len(centres) > 1 else centres:
        FieldTeam.objects.get_or_create(
            code=f"TER-{centre.code}"[:24],
            defaults={"name": f"Équipe terrain {centre.name}", "centre": centre, "capacity": 2},
        )
    return teams


def _accounts(rng: random.Random) -> list[CustomerAccount]:
    accounts = list(
        CustomerAccount.objects.filter(status="active", party__anonymised_at__isnull=True)
        .select_related("party", "centre")
        .order_by("pk")[:3000]
    )
    rng.shuffle(accounts)
    return accounts


def _record(*, account, day, rng, type_code, types, text=None, channel=None, handled_now=False):
    moment = _moment(day, rng)
    channel = channel or _weighted(rng, CHANNEL_WEIGHTS)
    with clock.as_of(moment):
        return services.request_record(
            actor=None,
            account=account,
            channel=channel,
            case_type=types[type_code],
            subject=types[type_code].label,
            body=text or TEXTS[type_code],
            handled_now=handled_now,
            resolution="Réponse apportée au téléphone." if handled_now else "",
        )


def _finish(case: Case, day: dt.date, rng: random.Random) -> None:
    """Answer (in writing when a claim or multi-contact), then close, a few days later."""
    when = _moment(day, rng)
    with clock.as_of(when):
        if case.nature == "claim" or case.multi_contact or case.sensitive:
            services.answer_send(
                actor=None,
                case=case,
                signature=SIGNER,
                body="Nous avons vérifié votre dossier et corrigé ce qui devait l'être. "
                "Nous vous prions de nous excuser pour la gêne occasionnée.",
            )
        for task in case.tasks.filter(status="open"):
            services.task_complete(actor=None, task=task, comment="Fait.")
        services.case_close(actor=None, case=case, resolution="Demande traitée.")


def seed_demo(today: dt.date, *, count: int = 420) -> dict:
    """A year of requests ending ``today``; the figures for the demo's report."""
    # The billing step opened the leak-relief cases of its requests (BILL-9) before this one.
    if Case.objects.exclude(case_type__code="DEGREVEMENT").exists():
        return {"cases": Case.objects.count(), "open": 0, "overdue": 0, "appointments": 0}
    rng = random.Random(2026)
    ensure_teams()
    types = {t.code: t for t in CaseType.objects.all()}
    accounts = _accounts(rng)
    if not accounts:
        return {"cases": 0, "open": 0, "overdue": 0, "appointments": 0}
    calendar = working_calendar("67")
    days = [today - dt.timedelta(days=d) for d in range(365, 0, -1)]
    days = [d for d in days if calendar.is_working_day(d)]
    opened = []
    with transaction.atomic():
        for n in range(count):
            account = accounts[n % len(accounts)]
            day = days[min(len(days) - 1, int(len(days) * (n / count) ** 0.8))]
            type_code = _weighted(rng, TYPE_WEIGHTS)
            quick = type_code in ("INFORMATION", "DONNEES") and rng.random() < 0.8
            text = SENSITIVE_TEXTS[n % len(SENSITIVE_TEXTS)] if n % 37 == 5 else None
            try:
                case = _record(
                    account=account,
                    day=day,
                    rng=rng,
                    type_code=type_code,
                    types=types,
                    text=text,
                    channel=Channel.LETTER if text else None,
                    handled_now=quick,
                )
            except ApplicationError:
                continue
            if case.is_open:
                opened.append((case, day))
        # Older requests are answered and closed; the last weeks' stay open (some overdue).
        recent = today - dt.timedelta(days=21)
        for case, day in opened:
            if day < recent:
                _finish(case, day + dt.timedelta(days=rng.randint(1, 6)), rng)
        # Customers who call again about an unclosed request: multi-contact, priority (CASE-1).
        still_open = list(
            Case.objects.filter(
                status="open", account__isnull=False, nature__in=("request", "claim")
            ).order_by("-opened_at")[:12]
        )
        for case in still_open[:4]:
            with clock.as_of(_moment(today - dt.timedelta(days=1), rng)):
                services.request_record(
                    actor=None,
                    account=case.account,
                    channel=Channel.PHONE,
                    case_type=case.case_type,
                    subject="Relance du client",
                    body="Le client rappelle : toujours pas de réponse.",
                    attach_to=case,
                )
        # Deferred treatment: the responsible service has a task (CASE-6).
        for case in still_open[4:8]:
            with clock.as_of(_moment(today - dt.timedelta(days=1), rng)):
                services.case_defer(
                    actor=None, case=case, action="Vérifier le dossier et rappeler le client"
                )
        _internal(today, accounts, types, rng)
        _new_readings(today, rng)
        _offers(rng)
        appointments = _field(today, accounts, types, rng)
    now = clock.now()
    open_cases = Case.objects.filter(status__in=("open", "deferred", "paused"))
    return {
        "cases": Case.objects.count(),
        "open": open_cases.count(),
        "overdue": open_cases.filter(response_due__lt=now).count(),
        "appointments": appointments,
    }


def _internal(today, accounts, types, rng) -> None:
    """Internal requests (returned mail, meter not seen) and unattached outbound calls."""
    for n, code in enumerate(("NPAI", "COMPTEUR-NON-VU", "INTERSERVICES")):
        account = accounts[-(n + 1)]
        with clock.as_of(_moment(today - dt.timedelta(days=3 + n), rng)):
            services.case_open(
                actor=None,
                case_type=types[code],
                centre=account.centre,
                account=account,
                subject=types[code].label,
                channel=Channel.WEB_SERVICE,
            )
    for account in accounts[-8:-5]:
        when = _moment(today - dt.timedelta(days=2), rng)
        Contact.objects.create(
            account=account,
            centre=account.centre,
            direction=Direction.OUTBOUND,
            channel=Channel.PHONE,
            occurred_at=when,
            recorded_at=when,
            subject="Appel sortant non rattaché",
        )


def _new_readings(today, rng, count: int = 3) -> int:
    """METER-2: a few held readings of the worklist sent back to the field (RELEVE cases)."""
    from robinet.metering.choices import AnomalyResolution, ReadingStatus
    from robinet.metering.models import Reading
    from robinet.metering.services import anomaly_resolve

    done = 0
    held = Reading.objects.filter(status=ReadingStatus.HELD, anomaly="index_decrease")
    for reading in held.order_by("created_at", "id")[:count]:
        with clock.as_of(_moment(today - dt.timedelta(days=2), rng)):
            anomaly_resolve(
                actor=None,
                reading=reading,
                resolution=AnomalyResolution.NEW_READING_REQUESTED,
                comment="Index inférieur au précédent : relève de contrôle.",
            )
        done += 1
    return done


def _offers(rng) -> None:
    """CASE-9: services offered after requests, and what customers answered."""
    closed = Case.objects.filter(status="closed", account__isnull=False).select_related("account")
    for case in closed.order_by("-closed_at")[:25]:
        missing = services.services_missing(case.account)
        if not missing:
            continue
        with clock.as_of(case.closed_at):
            services.offer_record(
                actor=None,
                account=case.account,
                case=case,
                service=missing[0],
                outcome=rng.choice(list(OfferOutcome)),
            )


def _field(today, accounts, types, rng) -> int:
    """Interventions: appointments in the coming days, an urgent leak, the scheduler's list."""
    booked = 0
    now = min(_moment(today, rng).replace(hour=9, minute=30), clock.now())
    with clock.as_of(now):
        with_team = set(FieldTeam.objects.values_list("centre_id", flat=True))
        reachable = [a for a in accounts if a.party.mobile]
        candidates = [a for a in reachable if a.centre_id in with_team][:11]
        candidates += [a for a in reachable if a.centre_id not in with_team][:2]
        kinds = (
            InterventionKind.INDEX_DISPUTE,
            InterventionKind.METER_ACCURACY,
            InterventionKind.WATER_QUALITY,
            InterventionKind.COMPLIANCE_SURVEY,
        )
        for n, account in enumerate(candidates[:12]):
            case = services.request_record(
                actor=None,
                account=account,
                channel=Channel.PHONE,
                case_type=types["INDEX" if n % 2 == 0 else "INTERVENTION"],
                subject="Demande d'intervention",
                body=TEXTS["INDEX"],
            )
            try:
                intervention = field.intervention_create(
                    actor=None,
                    case=case,
                    kind=kinds[n % len(kinds)],
                    customer_wants_appointment=True,
                )
            except ApplicationError:
                continue
            slots = field.slots_available(intervention=intervention)
            if not slots:
                field.to_scheduler(actor=None, intervention=intervention, phone_checked=True)
                continue
            team, day, start, _end, _free = slots[(n * 3) % len(slots)]
            field.appointment_book(
                actor=None, intervention=intervention, team=team, day=day, starts_at=start
            )
            booked += 1
        for account in candidates[:1]:
            case = services.request_record(
                actor=None,
                account=account,
                channel=Channel.PHONE,
                case_type=types["INTERVENTION"],
                subject="Fuite avant compteur",
                body=TEXTS["INTERVENTION"],
            )
            field.intervention_create(
                actor=None,
                case=case,
                kind=InterventionKind.LEAK,
                urgency="urgent",
                emergency_kind="Fuite sur le domaine public",
                leak_volume="Filet d'eau",
                phenomenon_duration="Permanent",
                exact_location="Regard de comptage sur le trottoir, devant le portail",
            )
    return booked
