"""The national dictionary of requests (CASE-2), shipped with Robinet as data.

Seed 003 §4.6: every request is qualified from this dictionary, which gives
its default nature, the team it is routed to, how its response deadline is
computed and whether opening it holds dunning (§4.13: invoice, abatement,
payment and last-resort claims; §5.2: cases opened by the external agency).
An administrator edits it in the admin; the data migration loads it once and
``robinet cases seed-dictionary`` adds entries that are missing.
"""

from robinet.cases.choices import DeadlineRule as D
from robinet.cases.choices import Nature as N
from robinet.cases.choices import TeamKind as T

# code, label, nature, routing, deadline rule, blocks dunning, field intervention, description
ENTRIES = (
    ("ARRIVEE", "Arrivée (abonnement)", N.REQUEST, T.CONTRACTS, D.CHANNEL, False, False,
     "Souscription d'un abonnement ; le matricule du compteur est demandé."),
    ("DEPART", "Départ (résiliation)", N.REQUEST, T.CONTRACTS, D.CHANNEL, False, False,
     "Résiliation, relevé de départ, facture de clôture."),
    ("FACTURE", "Facture", N.CLAIM, T.CONTRACTS, D.CHANNEL, True, False,
     "Contestation ou question sur une facture ; bloque les relances jusqu'à la clôture."),
    ("REGLEMENT", "Règlement", N.REQUEST, T.COLLECTION, D.CHANNEL, True, False,
     "Facilité de paiement (demande) ou contestation après relance (réclamation) ; "
     "la nature est choisie par le chargé. Bloque les relances."),
    ("DEGREVEMENT", "Dégrèvement", N.REQUEST, T.CONTRACTS, D.FIELD_OR_SERVICE, True, False,
     "Demande de remise pour fuite (loi Warsmann) ; bloque les relances."),
    ("RDR", "Réclamation en dernier recours (RDR)", N.CLAIM, T.SENSITIVE_MAIL, D.CHANNEL,
     True, False, "Le client conteste le traitement ou la réponse ; bloque les relances."),
    ("FSL", "Fonds de solidarité logement (FSL)", N.REQUEST, T.COLLECTION, D.THIRD_PARTY,
     False, False, "Aide du FSL : la décision du fonds est attendue."),
    ("INTERVENTION", "Intervention technique", N.REQUEST, T.OPERATIONS, D.FIELD_OR_SERVICE,
     False, True, "Fuite, manque d'eau, pression, compteur : intervention terrain."),
    ("RDV", "Rendez-vous", N.REQUEST, T.SCHEDULING, D.FIELD_OR_SERVICE, False, True,
     "Prise, modification ou annulation d'un rendez-vous."),
    ("INDEX", "Contestation d'index", N.CLAIM, T.OPERATIONS, D.FIELD_OR_SERVICE, False, True,
     "Index relevé contesté : contrôle sur place, présence du client obligatoire."),
    ("QUALITE-EAU", "Qualité de l'eau", N.CLAIM, T.OPERATIONS, D.FIELD_OR_SERVICE, False, True,
     "Goût, odeur, aspect de l'eau."),
    ("BRANCHEMENT", "Branchement neuf", N.REQUEST, T.OPERATIONS, D.THIRD_PARTY, False, True,
     "Devis de branchement ; l'accord de la collectivité peut être nécessaire."),
    ("INFORMATION", "Information", N.REQUEST, T.CONTACT_CENTRE, D.CHANNEL, False, False,
     "Question simple traitée au premier contact."),
    ("DONNEES", "Mise à jour des données client", N.REQUEST, T.CONTACT_CENTRE, D.CHANNEL,
     False, False, "Coordonnées, IBAN, mode de contact privilégié."),
    ("SERVICES", "Mensualisation, prélèvement, e-facture", N.REQUEST, T.CONTRACTS, D.CHANNEL,
     False, False, "Souscription ou arrêt d'un service de paiement ou de facture."),
    ("RGPD", "Données personnelles (RGPD)", N.REQUEST, T.SENSITIVE_MAIL, D.CHANNEL, False,
     False, "Exercice des droits d'accès, de rectification, d'opposition."),
    ("NPAI", "Courrier revenu (NPAI)", N.INTERNAL, T.CONTRACTS, D.NONE, False, False,
     "Demande interne : recherche de la nouvelle adresse."),
    ("COMPTEUR-NON-VU", "Compteur non vu", N.INTERNAL, T.OPERATIONS, D.NONE, False, True,
     "Demande interne : relève impossible, prise de rendez-vous."),
    ("RENOUVELLEMENT", "Renouvellement de compteur (campagne)", N.INTERNAL, T.OPERATIONS,
     D.NONE, False, True, "Demande interne : campagne de renouvellement."),
    ("INTERSERVICES", "Demande inter-services", N.INTERNAL, T.CONTRACTS, D.NONE, False, False,
     "Demande interne administrative ou technique entre services."),
    ("AGENCE", "Dossier de l'agence de recouvrement", N.INTERNAL, T.COLLECTION, D.NONE, True,
     False, "Créé par l'agence externe ; bloque les relances (procédure, §5.2)."),
    ("RELEVE", "Nouvelle relève demandée", N.INTERNAL, T.OPERATIONS, D.NONE, False, True,
     "Demande interne : relevé en anomalie (METER-2), index à relever sur place ; "
     "clôturée par le relevé valide suivant."),
)  # fmt: skip


def seed(case_type_model) -> list:
    """Create the entries that do not exist yet (idempotent); returns those created."""
    existing = set(case_type_model.objects.values_list("code", flat=True))
    created = []
    for position, entry in enumerate(ENTRIES, start=1):
        code, label, nature, routing, rule, blocks, field, description = entry
        if code in existing:
            continue
        created.append(
            case_type_model.objects.create(
                code=code,
                label=label,
                default_nature=nature,
                routing=routing,
                deadline_rule=rule,
                blocks_dunning=blocks,
                intervention=field,
                description=description,
                position=position * 10,
            )
        )
    return created
