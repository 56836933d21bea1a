"""``robinet demo``: a ready-to-use demo utility on the embedded database, then the server.

    uv run robinet demo                      # var/robinet.sqlite3, 2,000 customers, port 8000
    uv run robinet demo --customers 100000 --no-serve
    uv run robinet demo --reset              # start again from an empty database

The demo users (one per role) share the password ``robinet-demo``: demo only,
never on a real database.
"""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from robinet.conf import VAR_DIR
from robinet.demo import data
from robinet.demo.generator import DEFAULT_SEED


def _pending_migrations(connection) -> bool:
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _is_under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _money(amount) -> str:
    return f"{amount:,.2f} €".replace(",", "\u202f").replace(".", ",")


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    word = singular if count == 1 else (plural or singular + "s")
    return f"{count:,}".replace(",", "\u202f") + f" {word}"


def _monthly_share() -> str:
    """Accounts with a monthly-payment plan in progress, and their share of the accounts."""
    from robinet.billing.choices import LIVE_BUDGET_STATUSES
    from robinet.billing.models import BudgetPlan
    from robinet.customers.models import CustomerAccount

    paying = (
        BudgetPlan.objects.filter(status__in=LIVE_BUDGET_STATUSES)
        .values("account_id")
        .distinct()
        .count()
    )
    accounts = CustomerAccount.objects.count()
    share = round(100 * paying / accounts) if accounts else 0
    return f"{_plural(paying, 'compte mensualisé', 'comptes mensualisés')}, {share} %"


class Command(BaseCommand):
    help = (
        "Crée une régie de démonstration (organisation, clients, abonnements, utilisateurs) "
        "et lance le serveur."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=2000, help="nombre de comptes clients (2000)"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="graine du générateur aléatoire"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="repartir d'une base vide (supprime le fichier SQLite de var/)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="autoriser --reset hors de la base SQLite de var/ (vide toutes les tables)",
        )
        parser.add_argument(
            "--no-readings",
            action="store_true",
            help="sans relevés de compteurs (par défaut : deux ans de relevés)",
        )
        parser.add_argument(
            "--no-billing",
            action="store_true",
            help="sans tarifs ni factures (par défaut : deux ans de facturation)",
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="préparer les données sans lancer le serveur"
        )
        parser.add_argument(
            "--addrport", default="127.0.0.1:8000", help="adresse du serveur (127.0.0.1:8000)"
        )

    def handle(
        self,
        *args,
        customers,
        seed,
        reset,
        force,
        no_serve,
        addrport,
        no_readings,
        no_billing,
        **options,
    ):
        if customers < 1:
            raise CommandError("--customers doit être au moins 1.")
        connection = connections[DEFAULT_DB_ALIAS]
        if reset:
            self._reset(connection, force=force)
        if connection.vendor == "sqlite":
            VAR_DIR.mkdir(parents=True, exist_ok=True)
        if _pending_migrations(connection):
            self.stdout.write("Mise à jour du schéma de la base…")
            call_command("migrate", interactive=False, verbosity=0)

        from robinet.customers.models import CustomerAccount
        from robinet.organisation.models import Entity

        region_code = data.REGION[0]
        has_demo = Entity.objects.filter(code=region_code).exists()
        has_customers = CustomerAccount.objects.exists()
        if has_customers and not has_demo and not force:
            raise CommandError(
                "La base contient déjà des clients qui ne viennent pas de la démonstration : "
                "utilisez une base vide (ou --reset)."
            )
        if has_demo and has_customers:
            self.stdout.write(
                "Données de démonstration déjà présentes : réutilisées "
                "(--reset pour repartir de zéro)."
            )
        else:
            self._generate(customers=customers, seed=seed, readings=not no_readings)
            if not no_readings and not no_billing:
                self._bill(log=customers >= 100_000)
            self._cases(customers)
            self._snapshot()
        from robinet.demo.users import ensure_demo_users

        users = ensure_demo_users()
        from robinet.demo import portal

        customers_logins = portal.seed_demo()
        self._summary(users, addrport, customers_logins)
        if not no_serve:
            call_command("runserver", addrport, use_reloader=False)

    # -- steps --------------------------------------------------------------------------------

    def _reset(self, connection, *, force: bool) -> None:
        if connection.vendor == "sqlite":
            path = Path(connection.settings_dict["NAME"])
            if not _is_under(path, VAR_DIR) and not force:
                raise CommandError(
                    f"--reset ne supprime que la base SQLite de {VAR_DIR} ; "
                    "ajoutez --force pour vider cette base-ci."
                )
            if _is_under(path, VAR_DIR):
                connection.close()
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                self.stdout.write(f"Base {path.name} supprimée.")
                return
        elif not force:
            raise CommandError(
                f"--reset refusé sur une base {connection.vendor} : ajoutez --force pour "
                "vider toutes ses tables."
            )
        if _pending_migrations(connection):
            call_command("migrate", interactive=False, verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        self.stdout.write("Toutes les tables ont été vidées.")

    def _generate(self, *, customers: int, seed: int, readings: bool) -> None:
        from robinet.demo.generator import generate

        self.stdout.write(
            f"Génération de {_plural(customers, 'compte client', 'comptes clients')} "
            f"(graine {seed})…"
        )
        summary = generate(
            customers=customers,
            seed=seed,
            log=self.stdout.write if customers >= 100_000 else None,
            readings=readings,
        )
        self.stdout.write(
            f"{_plural(summary.rows, 'ligne')} écrites en {summary.seconds:.1f} s "
            f"({summary.rows / max(summary.seconds, 1e-9):,.0f} lignes/s)".replace(
                ",", "\u202f"
            ).replace(".", ",")
        )

    def _bill(self, *, log: bool) -> None:
        from robinet.core import clock
        from robinet.demo.billing import bill

        self.stdout.write("Facturation (tarifs, tournées de facturation, avoirs)…")
        summary = bill(today=clock.today(), log=self.stdout.write if log else None)
        self.stdout.write(
            f"{_plural(len(summary.runs), 'tournée')} de facturation en {summary.seconds:.1f} s".replace(
                ".", ","
            )
        )
        self._pay()
        self._collect()

    def _collect(self) -> None:
        import time

        from robinet.core import clock
        from robinet.demo import agencies, collections, litigation, worklist, writeoffs

        self.stdout.write(
            "Recouvrement (relances, échéanciers, agence, contentieux, non-valeurs, liste de travail)…"
        )
        started = time.perf_counter()
        counts = collections.seed_demo(clock.today())
        handed = agencies.seed_demo(clock.today())
        court = litigation.seed_demo(clock.today())
        lost = writeoffs.seed_demo(clock.today())
        scored = worklist.seed_demo(clock.today())
        from robinet.demo import pes

        pes.seed_demo(clock.today())  # a régie's sample PES file under var/demo/pes/
        self.stdout.write(
            f"{_plural(counts['dunning_runs'], 'tournée de relance', 'tournées de relance')}, "
            f"{_plural(counts['notices'], 'relance envoyée', 'relances envoyées')}, "
            f"{_plural(counts['blocks'], 'compte bloqué', 'comptes bloqués')}, "
            f"{_plural(counts['plans'], 'échéancier')}, "
            f"{_plural(counts['promises'], 'promesse de paiement', 'promesses de paiement')}, "
            f"{_plural(counts['proposals_today'], 'relance proposée', 'relances proposées')} "
            f"aujourd'hui, {_plural(handed['assignments'], 'dette confiée', 'dettes confiées')} "
            f"à une agence, {_plural(court['litigation_files'], 'dossier contentieux', 'dossiers contentieux')}, "
            f"{_plural(court['insolvency_files'], 'procédure d’insolvabilité', 'procédures d’insolvabilité')}, "
            f"{_plural(lost['write_offs_booked'], 'admission en non-valeur', 'admissions en non-valeur')}, "
            f"{_plural(scored['scored_accounts'], 'compte classé', 'comptes classés')} "
            f"dans la liste de travail en {time.perf_counter() - started:.1f} s".replace(".", ",")
        )

    def _cases(self, customers: int) -> None:
        import time

        from robinet.core import clock
        from robinet.demo import cases

        self.stdout.write("Demandes clients (contacts, dossiers, rendez-vous)…")
        started = time.perf_counter()
        figures = cases.seed_demo(clock.today(), count=min(420, max(40, customers * 2)))
        self.stdout.write(
            f"{_plural(figures['cases'], 'dossier')} sur un an, dont "
            f"{_plural(figures['open'], 'ouvert', 'ouverts')} "
            f"({figures['overdue']} en retard de réponse), "
            f"{_plural(figures['appointments'], 'rendez-vous pris', 'rendez-vous pris')} "
            f"en {time.perf_counter() - started:.1f} s".replace(".", ",")
        )

    def _snapshot(self) -> None:
        """The reporting snapshot of what was just seeded: the aged balance and the recovery
        report read it at once, as they do in production after the nightly run."""
        from robinet.reporting import snapshot

        taken, seconds = snapshot.take()
        self.stdout.write(
            f"Instantané de pilotage : {_plural(sum(taken.rows.values()), 'ligne')} "
            f"en {seconds:.1f} s".replace(".", ",")
        )

    def _pay(self) -> None:
        import time

        from robinet.core import clock
        from robinet.demo import bank, cards, cashdesk, returns, sepa, vouchers
        from robinet.demo.billing import settle_monthly_payers
        from robinet.demo.payments import seed_payments
        from robinet.demo.users import ensure_demo_users

        self.stdout.write("Règlements (deux ans d'encaissements, retards, impayés)…")
        started = time.perf_counter()
        today = clock.today()
        figures = seed_payments(today)
        ensure_demo_users()  # the counters need their officers
        counters = cashdesk.seed_demo(today)
        card = cards.seed_demo(today)
        voucher = vouchers.seed_demo(today)
        debits = sepa.seed_demo(today)
        bank_returns = returns.seed_demo(today)
        statements = bank.seed_demo(today)
        settled = settle_monthly_payers(today)  # after the SEPA run collected their year
        self.stdout.write(
            f"{_plural(figures['payments'], 'règlement')}, "
            f"{_plural(figures['bounced'], 'chèque impayé', 'chèques impayés')}, "
            f"{_plural(counters['cash_days'], 'journée de caisse', 'journées de caisse')}, "
            f"{_plural(counters['deposit_slips'], 'remise de chèques', 'remises de chèques')}, "
            f"{_plural(card['card_paid'], 'paiement par carte', 'paiements par carte')}, "
            f"{_plural(card['statements_booked'] + card['statements_diff'], 'relevé d’opérateur', 'relevés d’opérateurs')}, "
            f"{_plural(voucher['voucher_agreements'], 'convention vignettes', 'conventions vignettes')}, "
            f"{_plural(debits['sepa_mandates'], 'mandat SEPA', 'mandats SEPA')}, "
            f"{_plural(debits['sepa_debits'], 'prélèvement', 'prélèvements')}, "
            f"{_plural(settled, 'mensualisation soldée', 'mensualisations soldées')}, "
            f"{_plural(bank_returns['rejects'], 'prélèvement rejeté', 'prélèvements rejetés')}, "
            f"{_plural(bank_returns['refunds_proposed'], 'remboursement proposé', 'remboursements proposés')}, "
            f"{_plural(statements['statements'], 'relevé bancaire', 'relevés bancaires')} "
            f"({_plural(statements['unallocated'], 'montant en instance', 'montants en instance')}) "
            f"en {time.perf_counter() - started:.1f} s".replace(".", ",")
        )

    def _summary(self, users, addrport: str, portal_users=()) -> None:
        from django.db.models import Count

        from robinet.customers.choices import ContractStatus, CustomerClass
        from robinet.customers.models import (
            Contract,
            CustomerAccount,
            Meter,
            Particularity,
            ServicePoint,
        )
        from robinet.organisation.models import Entity, EntityKind
        from robinet.organisation.roles import Role

        write = self.stdout.write
        entities = dict(Entity.objects.values_list("kind").annotate(n=Count("id")))
        write("")
        write(self.style.MIGRATE_HEADING("Régie de démonstration"))
        write(
            f"  Organisation : {_plural(entities.get(EntityKind.REGION, 0), 'direction régionale', 'directions régionales')}, "
            f"{_plural(entities.get(EntityKind.AGENCY, 0), 'agence')}, "
            f"{_plural(entities.get(EntityKind.CENTRE, 0), 'centre')}"
        )
        by_class = dict(
            CustomerAccount.objects.values_list("customer_class").annotate(n=Count("id"))
        )
        total = sum(by_class.values())
        write(f"  Comptes clients : {_plural(total, 'compte')}")
        for value, label in CustomerClass.choices:
            count = by_class.get(value, 0)
            share = 100 * count / total if total else 0
            figure = f"{count:>9,}".replace(",", "\u202f")
            write(f"    {label:<24} {figure} ({share:4.1f} %)".replace(".", ","))
        contracts = dict(Contract.objects.values_list("status").annotate(n=Count("id")))
        write(f"  Points de desserte : {_plural(ServicePoint.objects.count(), 'point')}")
        write(f"  Compteurs : {_plural(Meter.objects.count(), 'compteur')}")
        write(
            f"  Abonnements : {_plural(contracts.get(ContractStatus.ACTIVE, 0), 'en cours', 'en cours')}, "
            f"{_plural(contracts.get(ContractStatus.CLOSED, 0), 'résilié')}"
        )
        write(
            f"  Particularités (NEC, FSL, vulnérable, grand compte) : {Particularity.objects.count()}"
        )
        from robinet.metering.choices import ReadingStatus
        from robinet.metering.models import AbnormalConsumptionNotice, Reading

        readings = dict(Reading.objects.values_list("status").annotate(n=Count("id")))
        write(
            f"  Relevés : {_plural(sum(readings.values()), 'relevé')}, dont "
            f"{_plural(readings.get(ReadingStatus.HELD, 0), 'anomalie en attente', 'anomalies en attente')} ; "
            f"{_plural(AbnormalConsumptionNotice.objects.count(), 'information de consommation anormale', 'informations de consommation anormale')}"
        )
        from robinet.billing.choices import BILL_KINDS, HeldBillStatus, InvoiceKind
        from robinet.billing.models import (
            BudgetPlan,
            HeldBill,
            Invoice,
            LeakReliefRequest,
            Quote,
        )
        from robinet.tariffs.models import TariffVersion

        invoices = dict(Invoice.objects.values_list("kind").annotate(n=Count("id")))
        write(
            f"  Tarifs : {_plural(TariffVersion.objects.count(), 'version')} ; "
            f"factures : {_plural(sum(invoices.get(k, 0) for k in BILL_KINDS), 'facture')}, "
            f"{_plural(HeldBill.objects.filter(status=HeldBillStatus.HELD).count(), 'facture bloquée', 'factures bloquées')}, "
            f"{_plural(invoices.get(InvoiceKind.CREDIT_NOTE, 0), 'avoir')}, "
            f"{_plural(invoices.get(InvoiceKind.FEES, 0), 'facture de frais', 'factures de frais')}, "
            f"{_plural(invoices.get(InvoiceKind.WORKS, 0), 'facture de travaux', 'factures de travaux')}, "
            f"{_plural(Quote.objects.count(), 'devis', 'devis')}, "
            f"{_plural(LeakReliefRequest.objects.count(), 'écrêtement pour fuite', 'écrêtements pour fuite')}, "
            f"{_plural(BudgetPlan.objects.count(), 'mensualisation')} "
            f"({_monthly_share()})"
        )
        from django.db.models import Sum

        from robinet.core import clock
        from robinet.ledger.models import OpenItem
        from robinet.payments.models import Payment, PaymentReversal

        overdue = OpenItem.objects.filter(
            cleared_on__isnull=True, open_amount__gt=0, due_date__lt=clock.today()
        )
        owed = overdue.aggregate(t=Sum("open_amount"))["t"] or 0
        write(
            f"  Règlements : {_plural(Payment.objects.count(), 'règlement')}, "
            f"{_plural(PaymentReversal.objects.count(), 'annulation')} ; "
            f"{_plural(overdue.values('account').distinct().count(), 'compte en retard', 'comptes en retard')} "
            f"({_money(owed)} échus non payés)"
        )
        write("")
        host, _sep, port = addrport.rpartition(":")
        host = host or "127.0.0.1"
        if host in ("0.0.0.0", "::", "[::]"):
            host = "127.0.0.1"
        write(self.style.MIGRATE_HEADING(f"Adresse : http://{host}:{port}"))
        write("")
        from robinet.demo.users import DEMO_PASSWORD

        write(
            self.style.MIGRATE_HEADING(
                f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) — démo uniquement"
            )
        )
        write(f"  {'identifiant':<14} {'rôle':<48} {'périmètre'}")
        for spec, entity in users:
            role = str(Role(spec.role).label)
            if spec.superuser:
                role += " + admin Django"
            write(f"  {spec.username:<14} {role:<48} {entity.name}")
        write(
            f"Tableau de bord et rapports de gestion (« responsable ») : "
            f"http://{host}:{port}/reporting/"
        )
        if portal_users:
            write("")
            write(
                self.style.MIGRATE_HEADING(
                    f"Espace client : http://{host}:{port}/espace-client/ "
                    f"(mot de passe : {DEMO_PASSWORD}) — démo uniquement"
                )
            )
            for login in portal_users:
                accounts = ", ".join(login.accounts)
                write(f"  {login.email:<34} {accounts:<24} {login.why}")
