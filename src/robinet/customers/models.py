"""The customer file: parties, accounts, service points, meters, contracts (CUST-1…12)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.customers.choices import (
    CLASSES_WITH_SIRET,
    PERSON_CIVILITIES,
    AccountStatus,
    BillingCycle,
    ContactMethod,
    ContractEndReason,
    ContractStatus,
    CustomerClass,
    MeterAccessibility,
    ParticularityKind,
    PartyKind,
    PremisesUse,
    SiteType,
)
from robinet.organisation.models import Entity


class Party(models.Model):
    """A person or a company in relation with the utility (*acteur*, CUST-1)."""

    kind = models.CharField(_("type d'acteur"), max_length=8, choices=PartyKind.choices)
    civility = models.CharField(
        _("civilité / forme juridique"),
        max_length=32,
        blank=True,
        help_text=_("M., Mme pour une personne ; SA, SARL, ETS, SDC… pour une entreprise."),
    )
    name = models.CharField(_("nom / raison sociale"), max_length=120)
    first_name = models.CharField(_("prénom"), max_length=80, blank=True)
    name_complement = models.CharField(_("complément de nom"), max_length=120, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    birth_place = models.CharField(_("lieu de naissance"), max_length=80, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    mobile = models.CharField(_("téléphone portable"), max_length=20, blank=True, db_index=True)
    landline = models.CharField(_("téléphone fixe"), max_length=20, blank=True, db_index=True)
    preferred_contact_method = models.CharField(
        _("méthode de contact privilégiée"), max_length=8, choices=ContactMethod.choices, blank=True
    )
    address_line = models.CharField(_("adresse"), max_length=160, blank=True)
    address_complement = models.CharField(_("complément d'adresse"), max_length=160, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=80, blank=True)
    commune_insee = models.CharField(_("code INSEE"), max_length=5, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    address_invalid_since = models.DateField(_("NPAI depuis le"), null=True, blank=True)
    bloctel_notice_at = models.DateTimeField(
        _("information Bloctel donnée le"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("créé le"))
    updated_at = models.DateTimeField(_("modifié le"))
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("acteur")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PartyKind.values), name="party_kind_valid"),
            # CUST-2: a company's civility is its legal form, never M./Mme.
            models.CheckConstraint(
                condition=~Q(kind=PartyKind.COMPANY, civility__in=PERSON_CIVILITIES),
                name="party_company_civility_not_person",
            ),
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"), name="party_siret_shape"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        parts = (
            [self.civility, self.first_name, self.name]
            if self.kind == PartyKind.PERSON
            else [self.name, f"({self.civility})" if self.civility else ""]
        )
        return " ".join(p for p in parts if p)

    @property
    def siren(self) -> str:
        return self.siret[:9]


class CustomerAccount(models.Model):
    """A party's customer account (*compte client*) in one centre (ORG-1, CUST-1)."""

    number = models.CharField(_("numéro client"), max_length=16, unique=True)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="accounts")
    customer_class = models.CharField(
        _("classe client"), max_length=16, choices=CustomerClass.choices
    )
    centre = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre")
    )
    site_type = models.CharField(
        _("type de site"), max_length=24, choices=SiteType.choices, blank=True
    )
    naf_code = models.CharField(_("code NAF/APE"), max_length=6, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    direct_debit = models.BooleanField(_("prélèvement"), default=False)
    monthly_payment = models.BooleanField(_("mensualisation"), default=False)
    e_invoice = models.BooleanField(_("facture électronique"), default=False)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"),
        default=15,
        db_default=15,
        help_text=_("Échéance des factures : date d'émission + ce délai."),
    )
    # BILL-8: public-sector customers are invoiced through Chorus Pro.
    chorus_service_code = models.CharField(
        _("code service Chorus Pro"), max_length=100, blank=True, db_default=""
    )
    chorus_commitment_number = models.CharField(
        _("numéro d'engagement Chorus Pro"), max_length=50, blank=True, db_default=""
    )
    status = models.CharField(
        _("état"), max_length=8, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    opened_on = models.DateField(_("ouvert le"))
    closed_on = models.DateField(_("clos le"), null=True, blank=True)
    mail_returned_on = models.DateField(
        _("courrier revenu (NPAI) le"),
        null=True,
        blank=True,
        help_text=_("Tant que renseigné, les relances sont suspendues (CUST-11)."),
    )
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("compte client")
        verbose_name_plural = _("comptes clients")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer_class__in=CustomerClass.values), name="account_class_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AccountStatus.values), name="account_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=AccountStatus.ACTIVE, closed_on__isnull=True)
                | Q(status=AccountStatus.CLOSED, closed_on__isnull=False),
                name="account_closed_has_date",
            ),
            # CUST-3: professionals, authorities and administrations have a NAF code and a site type.
            models.CheckConstraint(
                condition=~Q(customer_class__in=CLASSES_WITH_SIRET)
                | (~Q(naf_code="") & ~Q(site_type="")),
                name="account_pro_has_naf_and_site",
            ),
            # CUST-4: a co-ownership has no NAF code and is a residential building.
            models.CheckConstraint(
                condition=~Q(customer_class=CustomerClass.SYNDIC)
                | Q(naf_code="", site_type=SiteType.RESIDENTIAL_BUILDING),
                name="account_syndic_no_naf_residential",
            ),
            models.CheckConstraint(
                condition=Q(naf_code="") | Q(naf_code__regex=r"^[0-9]{2}\.[0-9]{2}[A-Z]$"),
                name="account_naf_shape",
            ),
        ]
        indexes = [models.Index(fields=["centre", "status"])]

    def __str__(self) -> str:
        return self.number


class ServicePoint(models.Model):
    """A place supplied by the utility (*point de desserte*, CUST-9)."""

    reference = models.CharField(_("référence"), max_length=16, unique=True)
    centre = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre")
    )
    street_number = models.CharField(_("numéro"), max_length=10, blank=True)
    street = models.CharField(_("voie"), max_length=120)
    address_complement = models.CharField(_("complément d'adresse"), max_length=120, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5)
    city = models.CharField(_("commune"), max_length=80)
    commune_insee = models.CharField(_("code INSEE"), max_length=5, db_index=True)
    premises_use = models.CharField(_("usage du local"), max_length=24, choices=PremisesUse.choices)
    dwellings = models.PositiveIntegerField(_("logements desservis"), default=1)
    drinking_water = models.BooleanField(_("eau potable"), default=True)
    collective_sanitation = models.BooleanField(_("assainissement collectif"), default=False)
    non_collective_sanitation = models.BooleanField(
        _("assainissement non collectif"), default=False
    )
    meter_location = models.CharField(
        _("emplacement du compteur"),
        max_length=80,
        default="N/A",
        help_text=_("Jamais vide : « N/A » si le client ne le connaît pas."),
    )
    meter_accessibility = models.CharField(
        _("accessibilité du compteur"),
        max_length=16,
        choices=MeterAccessibility.choices,
        default=MeterAccessibility.UNKNOWN,
    )

    class Meta:
        verbose_name = _("point de desserte")
        verbose_name_plural = _("points de desserte")
        constraints = [
            models.CheckConstraint(
                condition=~Q(meter_location=""), name="service_point_meter_location_not_empty"
            ),
            models.CheckConstraint(
                condition=~Q(collective_sanitation=True, non_collective_sanitation=True),
                name="service_point_one_sanitation_kind",
            ),
            models.CheckConstraint(
                condition=Q(dwellings__gte=1), name="service_point_dwellings_positive"
            ),
            models.CheckConstraint(
                condition=Q(premises_use__in=PremisesUse.values), name="service_point_use_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.address}"

    @property
    def address(self) -> str:
        street = " ".join(p for p in [self.street_number, self.street] if p)
        return f"{street}, {self.postcode} {self.city}"


class Meter(models.Model):
    """A meter (*compteur*), installed at most at one service point at a time."""

    serial = models.CharField(_("matricule"), max_length=20, unique=True)
    diameter_mm = models.PositiveSmallIntegerField(_("diamètre (mm)"))
    service_point = models.ForeignKey(
        ServicePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="meters"
    )
    installed_on = models.DateField(_("posé le"), null=True, blank=True)
    removed_on = models.DateField(_("déposé le"), null=True, blank=True)
    index_digits = models.PositiveSmallIntegerField(
        _("chiffres du totalisateur (m³)"),
        default=5,
        help_text=_("Le totalisateur repasse à zéro après 10^n − 1 m³ (METER-2)."),
    )

    class Meta:
        verbose_name = _("compteur")
        constraints = [
            models.UniqueConstraint(
                fields=["service_point"],
                condition=Q(removed_on__isnull=True, service_point__isnull=False),
                name="meter_one_active_per_service_point",
            ),
            models.CheckConstraint(
                condition=Q(diameter_mm__gte=10, diameter_mm__lte=500), name="meter_diameter_range"
            ),
            models.CheckConstraint(
                condition=Q(index_digits__gte=4, index_digits__lte=9),
                name="meter_index_digits_range",
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True)
                | Q(installed_on__isnull=True)
                | Q(removed_on__gte=F("installed_on")),
                name="meter_removed_after_installed",
            ),
        ]

    def __str__(self) -> str:
        return self.serial


class Contract(models.Model):
    """A subscription (*abonnement*) binding an account to a service point (CUST-10)."""

    number = models.CharField(_("numéro d'abonnement"), max_length=16, unique=True)
    account = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="contracts")
    service_point = models.ForeignKey(
        ServicePoint, on_delete=models.PROTECT, related_name="contracts"
    )
    water = models.BooleanField(_("eau"), default=True)
    sanitation = models.BooleanField(_("assainissement"), default=False)
    start_date = models.DateField(_("date d'arrivée"))
    end_date = models.DateField(_("date de départ"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=8, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    end_reason = models.CharField(
        _("motif de fin"), max_length=20, choices=ContractEndReason.choices, blank=True
    )
    start_meter = models.ForeignKey(
        Meter, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_index = models.DecimalField(
        _("index d'arrivée (m³)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    end_index = models.DecimalField(
        _("index de départ (m³)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    previous_contract = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_contract",
        verbose_name=_("abonnement précédent (mutation)"),
    )
    free_of_charge = models.BooleanField(_("mutation sans frais"), default=False)
    billing_cycle = models.CharField(
        _("périodicité de facturation"),
        max_length=12,
        choices=BillingCycle.choices,
        default=BillingCycle.SEMIANNUAL,
        db_default=BillingCycle.SEMIANNUAL,
    )

    class Meta:
        verbose_name = _("abonnement")
        constraints = [
            # CUST-10: at most one active contract per service point.
            models.UniqueConstraint(
                fields=["service_point"],
                condition=Q(status=ContractStatus.ACTIVE),
                name="contract_one_active_per_service_point",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values), name="contract_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=ContractStatus.ACTIVE, end_date__isnull=True, end_reason="")
                | Q(status=ContractStatus.CLOSED, end_date__isnull=False) & ~Q(end_reason=""),
                name="contract_closed_has_end",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(water=True) | Q(sanitation=True), name="contract_has_a_service"
            ),
            models.CheckConstraint(
                condition=Q(billing_cycle__in=BillingCycle.values),
                name="contract_billing_cycle_valid",
            ),
        ]
        indexes = [models.Index(fields=["account", "status"])]

    def __str__(self) -> str:
        return self.number


class Particularity(models.Model):
    """A particularity of an account: NEC, FSL, large account, vulnerable (CUST-7)."""

    account = models.ForeignKey(
        CustomerAccount, on_delete=models.CASCADE, related_name="particularities"
    )
    kind = models.CharField(_("particularité"), max_length=16, choices=ParticularityKind.choices)
    started_on = models.DateField(_("depuis le"))
    ended_on = models.DateField(_("jusqu'au"), null=True, blank=True)
    comment = models.CharField(_("commentaire"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("particularité")
        constraints = [
            # CUST-7: no justification may be written for a medical (NEC) flag.
            models.CheckConstraint(
                condition=~Q(kind=ParticularityKind.NEC) | Q(comment=""),
                name="particularity_nec_without_comment",
            ),
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(ended_on__isnull=True),
                name="particularity_one_active_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ParticularityKind.values), name="particularity_kind_valid"
            ),
        ]


class AddressInquiry(models.Model):
    """The internal task to find a customer whose mail came back (CUST-11)."""

    account = models.ForeignKey(
        CustomerAccount, on_delete=models.CASCADE, related_name="address_inquiries"
    )
    opened_on = models.DateField(_("ouverte le"))
    closed_on = models.DateField(_("close le"), null=True, blank=True)
    outcome = models.CharField(_("résultat"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("recherche d'adresse")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(closed_on__isnull=True),
                name="address_inquiry_one_open",
            ),
        ]


class Comment(models.Model):
    """A free-text note on an account, screened before it is stored (CUST-8)."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(_("commentaire"))
    author = models.ForeignKey(
        "organisation.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("commentaire")
        ordering = ["-created_at"]
