"""CUST-8: free-text comments refuse judgements, social, behavioural, physical and health remarks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.customers.screening import (
    CATEGORY_LABELS,
    EXPLANATIONS,
    Category,
    ScreeningResult,
    screen_comment,
)

REFUSED = [
    # (comment, category of the first finding, excerpt of the first finding)
    ("Cliente agressive au téléphone", Category.BEHAVIOUR, "agressive"),
    ("Mauvais payeur notoire", Category.FINANCES, "Mauvais payeur"),
    ("Mauvaises payeuses, relancer", Category.FINANCES, "Mauvaises payeuses"),
    ("Monsieur est au RSA", Category.SOCIAL, "RSA"),
    ("Personne âgée un peu sénile", Category.HEALTH, "sénile"),
    ("Il est alcoolique", Category.BEHAVIOUR, "alcoolique"),
    ("madame est enceinte", Category.HEALTH, "enceinte"),
    ("famille en grande précarité", Category.SOCIAL, "précarité"),
    ("Client de mauvaise foi, refuse tout", Category.BEHAVIOUR, "de mauvaise foi"),
    ("Elle est complètement folle", Category.BEHAVIOUR, "folle"),
    ("Mme Martin est très grosse", Category.PHYSICAL, "Mme Martin est très grosse"),
    ("Sale type, ne pas le recevoir seul", Category.PHYSICAL, "Sale type"),
    ("Les occupants sont sales", Category.PHYSICAL, "occupants sont sales"),
    ("M. DURAND EST UN ESCROC", Category.FINANCES, "ESCROC"),
    ("Clients fauchés, ne paieront pas", Category.FINANCES, "fauchés"),
    ("Radin, conteste chaque centime", Category.FINANCES, "Radin"),
    ("Il ne paie jamais ses factures", Category.FINANCES, "ne paie jamais"),
    ("Il a largement les moyens de payer", Category.FINANCES, "a largement les moyens"),
    ("Profiteurs des aides", Category.FINANCES, "Profiteurs"),
    ("C'est un cas social", Category.SOCIAL, "cas social"),
    ("Monsieur est chômeur depuis 2 ans", Category.SOCIAL, "chômeur"),
    ("Couple surendetté", Category.SOCIAL, "surendetté"),
    ("Une assistée, comme toute la famille", Category.SOCIAL, "assistée"),
    ("Cliente très pénible, rappelle tous les jours", Category.BEHAVIOUR, "pénible"),
    ("Client insultant, a raccroché", Category.BEHAVIOUR, "insultant"),
    ("Menteuse, elle a bien reçu la facture", Category.BEHAVIOUR, "Menteuse"),
    ("Client handicapé, se déplace difficilement", Category.PHYSICAL, "handicapé"),
    ("Vieille dame qui perd la tête", Category.PHYSICAL, "Vieille dame"),
    ("Sa femme a un cancer", Category.HEALTH, "cancer"),
    ("Monsieur est dialysé à domicile", Category.HEALTH, "dialysé"),
    ("Elle fait une dépression depuis le décès", Category.HEALTH, "dépression"),
    ("Cliente hospitalisée, rappeler en mai", Category.HEALTH, "hospitalisée"),
    ("Il est sous oxygène la nuit", Category.HEALTH, "sous oxygène"),
    ("Famille musulmane, éviter le vendredi", Category.SENSITIVE, "musulmane"),
    ("Monsieur est syndicaliste", Category.SENSITIVE, "syndicaliste"),
    ("Monsieur est d'origine algérienne", Category.SENSITIVE, "Monsieur est d'origine algérienne"),
    ("Client sorti de prison", Category.SENSITIVE, "de prison"),
    ("Gens du voyage sur le terrain", Category.SENSITIVE, "Gens du voyage"),
]

ACCEPTED = [
    "Client absent lors du passage",
    "Compteur inaccessible, chien dans la cour",
    "Rappeler après 18h",
    "Échéancier accordé sur 6 mois",
    "Fuite après compteur constatée par le plombier",
    "Le client conteste l'index relevé",
    "Compteur sale, relève impossible, nettoyage à prévoir",
    "Grosse fuite sur le branchement, intervention urgente",
    "Gros consommateur : vérifier l'index au prochain relevé",
    "Cliente grosse consommatrice, proposer la mensualisation",
    "Vieux compteur à remplacer",
    "Eau agressive, corrosion des canalisations",
    "Chien agressif, prévenir le releveur",
    "Attention chien très méchant",
    "Client à l'étranger jusqu'en septembre, factures par courriel",
    "IBAN étranger, paiement par virement",
    "Mise en dépression du réseau pendant les travaux",
    "Accès dans l'enceinte de l'usine par le portail nord",
    "Dossier transmis au FSL",
    "Dossier de surendettement déposé, procédures suspendues",
    "Cliente assistée par son fils lors de l'appel",
    "Contact avec l'assistante sociale du CCAS",
    "Eau riche en calcaire, conseil adoucisseur",
    "Demande de résiliation suite au décès du titulaire",
    "Client mécontent du délai d'intervention",
    "Client refuse de payer la facture de mars, réclamation ouverte",
    "Paiement de 50 € reçu, reste dû 120 €",
    "Herbe fauchée autour du regard",
    "Bruit sourd dans la canalisation",
    "Compteur d'origine remplacé le 12/03",
    "Fuite d'origine inconnue",
    "Convention d'occupation précaire jusqu'au 31/12",
    "Regard à 2 m, gros tampon fonte",
    "Numéro de téléphone invalide, demander un nouveau numéro",
    "RIB invalide, mandat SEPA à refaire",
    "Relève impossible, tampon voilé",
    "Maladie du légionnaire : analyses demandées par l'ARS",
    "Coup de bélier violent signalé rue des Lilas",
    "Erreur grossière d'index, refacturation",
    "Hôpital Nord : compteur général 2 à relever",
    "",
]


@pytest.mark.parametrize(("comment", "category", "excerpt"), REFUSED)
def test_cust8_refuses_judgements_and_personal_remarks(comment, category, excerpt):
    """CUST-8: value judgements, social, behavioural, physical, health and sensitive remarks."""
    result = screen_comment(comment)
    assert not result.accepted
    first = result.findings[0]
    assert first.category == category
    assert first.excerpt == excerpt
    assert comment[first.start : first.end] == excerpt
    assert first.explanation == str(EXPLANATIONS[category])


@pytest.mark.parametrize("comment", ACCEPTED)
def test_cust8_accepts_operational_notes(comment):
    """CUST-8: factual operational notes pass, even when they share a word with the lexicon."""
    result = screen_comment(comment)
    assert result == ScreeningResult(accepted=True, findings=())


def test_cust8_every_finding_is_reported():
    """CUST-8: every forbidden term of a comment is listed, in reading order."""
    result = screen_comment("Famille musulmane, père alcoolique et mère enceinte, très radins")
    assert [(f.category, f.excerpt) for f in result.findings] == [
        (Category.SENSITIVE, "musulmane"),
        (Category.BEHAVIOUR, "alcoolique"),
        (Category.HEALTH, "enceinte"),
        (Category.FINANCES, "radins"),
    ]


def test_cust8_allow_list_only_covers_its_phrase():
    """CUST-8: a dog may be aggressive in a note; its owner may not."""
    result = screen_comment("Chien agressif et client agressif")
    assert [(f.excerpt, f.start) for f in result.findings] == [("agressif", 25)]


def test_cust8_explanations_are_french_and_say_what_to_write():
    """CUST-8: each refusal explains why and what to write instead."""
    finances = str(EXPLANATIONS[Category.FINANCES])
    assert finances.startswith("Jugement de valeur sur la situation financière du client")
    assert "montant dû" in finances
    assert "NEC" in str(EXPLANATIONS[Category.HEALTH])
    assert set(EXPLANATIONS) == set(Category) == set(CATEGORY_LABELS)
    assert str(CATEGORY_LABELS[Category.HEALTH]) == "Donnée de santé"
    result = screen_comment("Mauvais payeur")
    assert result.findings[0].label == "Jugement sur la situation financière"
    assert result.messages == [f"« Mauvais payeur » : {finances}"]


def test_cust8_result_is_frozen():
    """CUST-8: a screening result cannot be altered after the fact."""
    result = screen_comment("Mauvais payeur")
    with pytest.raises(AttributeError):
        result.accepted = True


# --- Properties --------------------------------------------------------------------

# Terms refused wherever they stand, whatever the words around them.
FORBIDDEN_TERMS = [
    "mauvais payeur",
    "fauché",
    "radine",
    "escroc",
    "profiteuse",
    "ne paie jamais",
    "cas social",
    "RSA",
    "chômeuse",
    "surendettés",
    "agressive",
    "insultant",
    "menteur",
    "de mauvaise foi",
    "pénible",
    "alcoolique",
    "folle",
    "handicapée",
    "obèse",
    "malade",
    "cancer",
    "dialyse",
    "enceinte",
    "dépression",
    "sénile",
    "musulman",
    "syndicaliste",
]
# Words of ordinary notes that form no allowed phrase with any forbidden term.
SAFE_WORDS = [
    "compteur",
    "index",
    "facture",
    "relevé",
    "rappeler",
    "échéancier",
    "mois",
    "le",
    "un",
    "après",
    "avant",
    "18h",
    "technicien",
    "dossier",
    "courrier",
    "agence",
    "lundi",
    "mars",
    "contrat",
    "abonnement",
    "n°",
    "12",
    "client",
    "Mme",
]
SEPARATORS = [" ", ", ", " : ", ". ", " - ", "\n", " (", ") "]


@given(st.text())
def test_cust8_screening_never_raises(text):
    """CUST-8: any text can be screened, and findings point at the text as written."""
    result = screen_comment(text)
    assert result.accepted == (not result.findings)
    for finding in result.findings:
        assert finding.excerpt
        assert text[finding.start : finding.end] == finding.excerpt


@given(
    before=st.lists(st.sampled_from(SAFE_WORDS), max_size=6),
    term=st.sampled_from(FORBIDDEN_TERMS),
    case=st.sampled_from([str.lower, str.upper, str.capitalize, str.title]),
    after=st.lists(st.sampled_from(SAFE_WORDS), max_size=6),
    left=st.sampled_from(SEPARATORS),
    right=st.sampled_from(SEPARATORS),
)
def test_cust8_forbidden_term_among_safe_words_is_refused(before, term, case, after, left, right):
    """CUST-8: a forbidden term is refused whatever ordinary words surround it."""
    text = " ".join(before) + left + case(term) + right + " ".join(after)
    result = screen_comment(text)
    assert not result.accepted
    assert any(f.excerpt.lower() == case(term).lower() for f in result.findings)


@given(st.lists(st.sampled_from(SAFE_WORDS), max_size=12), st.sampled_from(SEPARATORS))
def test_cust8_safe_words_alone_are_accepted(words, separator):
    """CUST-8: ordinary operational words never trigger a refusal on their own."""
    assert screen_comment(separator.join(words)).accepted
