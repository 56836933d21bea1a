"""CASE-5: sensitive letters are detected (legal, consumer defence, image, GDPR,
complaint, damage, local authority) — and ordinary letters are not."""

import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robinet.cases.sensitive import (
    NOT_SENSITIVE,
    Detection,
    SensitiveCategory,
    detect,
    normalise,
)

C = SensitiveCategory

# --- realistic letters, e-mails and web forms ---------------------------------

COMPLAINT_LETTER = """Madame, Monsieur,

Je conteste formellement votre facture n° FA-2026-0012 de 1 243,18 €, qui ne correspond
à rien : mon compteur n'a jamais tourné aussi vite. Sans réponse sous quinze jours, je
porterai plainte et je saisirai le tribunal judiciaire de Strasbourg.

Je vous prie d'agréer, Madame, Monsieur, l'assurance de mes sentiments distingués.
Jean Muller"""

LAWYER_NOTICE = """CABINET HARTMANN & ASSOCIÉS — AVOCATS AU BARREAU DE STRASBOURG
12 quai Kléber, 67000 Strasbourg

LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION

Objet : MISE EN DEMEURE — M. et Mme Weber, contrat 4012 5567

Maître,
Nous intervenons en qualité de conseil de M. et Mme Weber. Nous vous mettons en demeure de
rétablir la fourniture d'eau sous 48 heures, faute de quoi nous assignerons votre société
devant le juge des référés. À défaut, un commissaire de justice vous signifiera l'assignation."""

UFC_LETTER = """UFC-QUE CHOISIR DU BAS-RHIN
Association locale agréée de défense des consommateurs

Objet : litige de notre adhérente Mme Schmitt

Madame, Monsieur,
Notre adhérente nous a saisis au sujet d'une estimation de consommation qu'elle conteste.
Nous vous demandons de réexaminer son dossier ; à défaut, nous l'orienterons vers la
Médiation de l'eau."""

GDPR_REQUEST = """Bonjour,

En application de l'article 15 du RGPD, je vous demande de m'adresser une copie de toutes
les données personnelles que vous détenez sur moi (droit d’accès), puis l'effacement de mes
données à la résiliation de mon contrat. Faute de réponse sous un mois, je saisirai la CNIL.

Cordialement,
Sophie Klein"""

DAMAGE_CLAIM = """Madame, Monsieur,

Suite à la rupture de la canalisation sous la chaussée le 2 mars, ma cave a été inondée :
dégât des eaux, chaudière hors service, meubles perdus. J'ai déclaré le sinistre à mon
assureur, qui mandate un expert. Je vous demande réparation de mon préjudice et des
dommages et intérêts.

Bien à vous,
Paul Roth"""

MAYOR_LETTER = """COMMUNE DE SÉLESTAT
Hôtel de Ville — 9 place d'Armes — 67600 Sélestat

Le Maire

à l'attention du directeur de l'agence

Monsieur le Directeur,
Plusieurs administrés de la rue des Vosges m'ont signalé des coupures d'eau répétées.
Je vous saurais gré de me tenir informé des travaux prévus."""

INDEX_QUESTION = """Bonjour,
Mon compteur affiche 01234 m3 aujourd'hui. Pouvez-vous en tenir compte pour ma prochaine
facture ? Je ne comprends pas pourquoi l'index estimé est si élevé.
Merci, Claire Meyer
3 place de la Mairie
67000 Strasbourg"""

MOVE_OUT = """Madame, Monsieur,
Je quitte mon logement du 14 rue du Maire Kuss le 31 mars. Merci de relever le compteur
et de m'envoyer la facture de clôture à ma nouvelle adresse.
J'ai bien l'assurance que le compteur sera relevé avant mon départ ?
Cordialement,
Lucas Bernard"""

THANK_YOU = """Bonjour,
Un grand merci au technicien venu hier pour la fuite après compteur : travail rapide et
soigné. Je ne me plains pas, bien au contraire ! C'est dommage de ne pas avoir su plus tôt
qu'une aide existait.
Bonne journée"""

PAYMENT_PLAN = """Madame, Monsieur,
Suite à une perte d'emploi, je ne peux pas régler la facture de 486,20 € en une fois.
Je suis expert-comptable de formation mais sans poste actuellement : pourriez-vous
m'accorder un échéancier en six mensualités ? Je ne suis pas expert en démarches,
merci de votre aide.
Respectueusement,
Nadia Haddad"""

PRESS_THREAT = """Bonjour,
Trois semaines sans eau chaude potable et aucune réponse de vos services. Un journaliste
des Dernières Nouvelles d'Alsace s'intéresse déjà à l'affaire, et je vais raconter mon
histoire sur les réseaux sociaux. Votre image va en prendre un coup."""

DEFENDER_EMAIL = """Objet : réclamation en dernier recours

Bonjour, j'ai écrit deux fois sans réponse. J'ai transmis mon dossier au délégué du
Défenseur des droits et à la CLCV, et j'envisage de saisir le médiateur de l'eau."""

CCAS_LETTER = """Centre communal d'action sociale de Colmar

Madame, Monsieur,
Nous accompagnons Mme Lopez, qui rencontre des difficultés pour régler ses factures d'eau.
Une aide du FSL a été demandée ; nous vous remercions de suspendre le recouvrement."""

LEAK_BILL = """Bonjour,
J'ai reçu une facture très élevée à cause d'une fuite sur ma canalisation après compteur.
La fuite est réparée, vous trouverez ci-joint l'attestation du plombier. Je demande
l'écrêtement de ma facture au titre de la loi Warsmann. J'ai eu l'assurance que la
demande serait traitée vite.
Merci."""

LETTERS = {
    "complaint_letter": (COMPLAINT_LETTER, {C.LEGAL, C.COMPLAINT}),
    "lawyer_notice": (LAWYER_NOTICE, {C.LEGAL}),
    "ufc_letter": (UFC_LETTER, {C.CONSUMER_DEFENCE}),
    "gdpr_request": (GDPR_REQUEST, {C.PERSONAL_DATA}),
    "damage_claim": (DAMAGE_CLAIM, {C.DAMAGE}),
    "mayor_letter": (MAYOR_LETTER, {C.LOCAL_AUTHORITY}),
    "index_question": (INDEX_QUESTION, set()),
    "move_out": (MOVE_OUT, set()),
    "thank_you": (THANK_YOU, set()),
    "payment_plan": (PAYMENT_PLAN, set()),
    "press_threat": (PRESS_THREAT, {C.IMAGE}),
    "defender_email": (DEFENDER_EMAIL, {C.CONSUMER_DEFENCE}),
    "ccas_letter": (CCAS_LETTER, {C.LOCAL_AUTHORITY}),
    "leak_bill": (LEAK_BILL, set()),
}


@pytest.mark.parametrize("name", LETTERS)
def test_realistic_letters_get_exactly_their_categories_case_5(name):
    """No false positive and no false negative on each letter of the corpus."""
    text, expected = LETTERS[name]
    detection = detect(text)
    assert set(detection.categories) == expected, detection.matches
    assert detection.sensitive is bool(expected)
    assert detection.reasons == tuple(str(c.label) for c in SensitiveCategory if c in expected)


# --- single phrases: what triggers, what does not ------------------------------

TRIGGERS = [
    # legal
    ("J'ai consulté mon avocat.", C.LEGAL),
    ("Mes avocats vous écriront.", C.LEGAL),
    ("Mon avocate, Maître Durand, suit le dossier.", C.LEGAL),
    ("Je vais saisir le tribunal.", C.LEGAL),
    ("La présente vaut MISE EN DEMEURE.", C.LEGAL),
    ("Un huissier est passé chez moi.", C.LEGAL),
    ("L'huissière est passée.", C.LEGAL),
    ("Je mandate un commissaire de justice.", C.LEGAL),
    ("J'engagerai une procédure judiciaire.", C.LEGAL),
    ("Vous recevrez une assignation.", C.LEGAL),
    ("Ma protection juridique prendra le relais.", C.LEGAL),
    ("Article L. 224-12 du code de la consommation.", C.LEGAL),
    ("Sans préjudice de tout recours.", C.LEGAL),
    # consumer defence
    ("Copie : UFC Que Choisir", C.CONSUMER_DEFENCE),
    ("Copie à l'UFC-Que Choisir", C.CONSUMER_DEFENCE),
    ("Je suis adhérent de la CLCV.", C.CONSUMER_DEFENCE),
    ("La CSF du quartier m'accompagne.", C.CONSUMER_DEFENCE),
    ("Familles Rurales m'a conseillé de vous écrire.", C.CONSUMER_DEFENCE),
    ("J'ai saisi le Défenseur des droits.", C.CONSUMER_DEFENCE),
    ("Je saisis le médiateur de l'eau.", C.CONSUMER_DEFENCE),
    ("Dossier transmis à la Médiation de l'eau.", C.CONSUMER_DEFENCE),
    ("J'ai rendez-vous avec le conciliateur.", C.CONSUMER_DEFENCE),
    ("une association de consommateurs", C.CONSUMER_DEFENCE),
    # image
    ("J'alerte la presse locale.", C.IMAGE),
    ("Un journaliste m'a contactée.", C.IMAGE),
    ("Je publierai tout sur les réseaux sociaux.", C.IMAGE),
    ("Je vais poster ça sur Facebook.", C.IMAGE),
    ("J'écrirai au journal.", C.IMAGE),
    # personal data
    ("Conformément au RGPD, je demande…", C.PERSONAL_DATA),
    ("Je saisirai la CNIL.", C.PERSONAL_DATA),
    ("J'exerce mon droit d'accès.", C.PERSONAL_DATA),
    ("J’exerce mon droit d’acces.", C.PERSONAL_DATA),
    ("Je demande l'effacement de mes données.", C.PERSONAL_DATA),
    ("Supprimez toutes mes données.", C.PERSONAL_DATA),
    ("Vous avez subi une violation de données ?", C.PERSONAL_DATA),
    ("mes données personnelles", C.PERSONAL_DATA),
    ("Je refuse la communication de mes données à des tiers.", C.PERSONAL_DATA),
    ("Une fuite de données chez votre prestataire ?", C.PERSONAL_DATA),
    # complaint
    ("Je vais porter plainte.", C.COMPLAINT),
    ("J'ai déposé deux plaintes.", C.COMPLAINT),
    ("Dépôt de plainte à la gendarmerie ce matin.", C.COMPLAINT),
    ("C'est de l'escroquerie.", C.COMPLAINT),
    ("Je signale vos pratiques à la DGCCRF.", C.COMPLAINT),
    # damage
    ("Nous avons un dégât des eaux.", C.DAMAGE),
    ("J'ai déclaré un sinistre.", C.DAMAGE),
    ("Je subis un préjudice important.", C.DAMAGE),
    ("L'expert passera lundi.", C.DAMAGE),
    ("Une expertise contradictoire est demandée.", C.DAMAGE),
    ("Mon assurance habitation refuse.", C.DAMAGE),
    ("J'attends des dommages-intérêts.", C.DAMAGE),
    ("Le sous-sol est inondé.", C.DAMAGE),
    # local authority
    ("Copie à Monsieur le Maire.", C.LOCAL_AUTHORITY),
    ("J'ai prévenu la mairie.", C.LOCAL_AUTHORITY),
    ("Un recours de la mairie est en cours.", C.LOCAL_AUTHORITY),
    ("Le conseil municipal a voté une motion.", C.LOCAL_AUTHORITY),
    ("La communauté de communes du Ried", C.LOCAL_AUTHORITY),
    ("Communauté d'agglomération de Haguenau", C.LOCAL_AUTHORITY),
    ("J'ai écrit à mon député.", C.LOCAL_AUTHORITY),
    ("Copie : Mme la sénatrice du Bas-Rhin", C.LOCAL_AUTHORITY),
    ("J'ai alerté le préfet.", C.LOCAL_AUTHORITY),
    ("VILLE DE COLMAR\nDirection des services techniques", C.LOCAL_AUTHORITY),
    ("Commune de Sélestat\nService urbanisme", C.LOCAL_AUTHORITY),
    ("PRÉFECTURE DU BAS-RHIN\nCabinet du préfet", C.LOCAL_AUTHORITY),
    ("Madame la Maire,", C.LOCAL_AUTHORITY),
]


@pytest.mark.parametrize(("text", "category"), TRIGGERS)
def test_phrase_triggers_its_category_case_5(text, category):
    detection = detect(text)
    assert detection.categories == (category,), detection.matches
    assert detection.sensitive


NOT_TRIGGERS = [
    "J'ai une fuite sous l'évier.",
    "Mon compteur tourne alors que tout est fermé.",
    "Votre facture est incompréhensible.",
    "Je suis expert-comptable.",
    "Nous sommes experts comptables.",
    "Je ne suis pas un expert en plomberie.",
    "Je ne me plains pas, mais je voudrais comprendre.",
    "Sans vouloir me plaindre, le relevé est faux.",
    "J'ai l'assurance que le technicien passera.",
    "Veuillez agréer l'assurance de ma considération distinguée.",
    "C'est dommage, le rendez-vous a été manqué.",
    "3 place de la Mairie, 67000 Strasbourg",
    "14 rue du Maire Kuss 67000 Strasbourg",
    "Arrêt Mairie, ligne 4",
    "Commune de résidence : Sélestat",
    "J'habite dans la commune de Sélestat depuis dix ans.",
    "Je suis pressé, merci de répondre vite.",
    "Je joins ma police d'assurance pour l'attestation de domicile.",
    "Votre technicien a le droit d'accès au compteur dans ma cave.",
    "J'ai mis à jour mes coordonnées bancaires.",
    "Je le juge inadmissible.",
    "Merci pour la télérelève.",
    "Le demeurant du 5 rue des Roses.",
    "Immédiatement, s'il vous plaît.",
    "C'est une injustice.",
    "La police de caractère de votre courrier est illisible.",
    "Ci-joint mon attestation d'assurance habitation.",
    "Merci pour votre expertise et votre patience.",
    "J'ai lu un article dans le journal sur la qualité de l'eau.",
    "Je vous communique mes données de relève : 01234.",
    "Merci d'utiliser mes données bancaires à jour.",
    "Accès à mes données de consommation sur l'espace client ?",
    "Je dois fournir un justificatif de domicile à la préfecture.",
    "Votre service contentieux m'a relancé, c'est scandaleux.",
]


@pytest.mark.parametrize("text", NOT_TRIGGERS)
def test_ordinary_phrase_is_not_sensitive_case_5(text):
    detection = detect(text)
    assert detection == NOT_SENSITIVE, detection.matches


def test_empty_text_is_not_sensitive_case_5():
    assert detect("") == NOT_SENSITIVE
    assert detect("   \n ") == NOT_SENSITIVE
    assert detect(None) == NOT_SENSITIVE
    assert NOT_SENSITIVE.summary() == "Aucun motif de courrier sensible détecté."


def test_negated_complaint_still_counts_case_5():
    """Decision: a mention counts even negated — the officer may override."""
    assert detect("Je ne porterai pas plainte pour l'instant.").categories == (C.COMPLAINT,)


def test_phrase_wrapped_over_two_lines_is_found_case_5():
    assert detect("je vais porter\nplainte demain").categories == (C.COMPLAINT,)


def test_no_expression_crosses_a_paragraph_break_case_5():
    """« expert » ends a paragraph, « comptable » starts the next: still an expert."""
    assert detect("Nous attendons l'expert\n\ncomptable : M. Roy").categories == (C.DAMAGE,)


def test_letterhead_only_counts_at_the_start_of_a_line_case_5():
    assert detect("Je suis né dans la ville de Colmar.") == NOT_SENSITIVE
    assert detect("  VILLE DE COLMAR\n").categories == (C.LOCAL_AUTHORITY,)


# --- evidence, reasons and summary ---------------------------------------------


def test_evidence_keeps_the_customers_spelling_case_5():
    detection = detect("Mon AVOCAT et mes avocats ; la Mise en Demeure suit. Porter\nplainte !")
    assert detection.matches == {
        "legal": ("AVOCAT", "avocats", "Mise en Demeure"),
        "complaint": ("plainte",),
    }


def test_evidence_is_deduplicated_ignoring_case_and_accents_case_5():
    detection = detect("Préjudice. PREJUDICE. préjudice.")
    assert detection.matches == {"damage": ("Préjudice",)}


def test_summary_names_reasons_and_words_case_5():
    detection = detect("Je vais porter plainte et écrire à la CNIL.")
    assert detection.summary() == (
        "Courrier sensible : RGPD / CNIL / données personnelles (« CNIL ») ; "
        "Menace de plainte (« plainte »)."
    )


def test_reasons_follow_category_order_and_fit_the_field_case_5():
    everything = "avocat UFC la presse RGPD plainte sinistre mairie"
    detection = detect(everything)
    assert detection.categories == tuple(SensitiveCategory)
    assert detection.reasons == tuple(str(c.label) for c in SensitiveCategory)
    assert len(", ".join(detection.reasons)) <= 255
    assert detection.reasons_text == ", ".join(detection.reasons)


def test_detection_is_frozen_case_5():
    with pytest.raises(AttributeError):
        detect("avocat").sensitive = False  # type: ignore[misc]
    assert isinstance(detect("avocat"), Detection)


def test_normalise_folds_accents_case_apostrophes_and_ligatures_case_5():
    assert normalise("  Défenseur  des DROITS, d’accès — l'œuvre ! ") == (
        "defenseur des droits d acces l oeuvre"
    )
    assert normalise("a\n\n\nb\nc") == "a\nb c"


def test_a_long_letter_is_read_quickly_case_5():
    """It runs on every letter: 100 kB is read well under a second."""
    text = (THANK_YOU + "\n\n" + PAYMENT_PLAN + "\n\n") * 150
    start = time.perf_counter()
    assert detect(text) == NOT_SENSITIVE
    assert time.perf_counter() - start < 1.0


# --- properties ----------------------------------------------------------------

FRENCH = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ0123456789 ’'-,.;:!?\n"
TRIGGER_TEXTS = [text for text, _ in TRIGGERS] + [text for text, _ in LETTERS.values()]
PHRASES = TRIGGER_TEXTS + NOT_TRIGGERS

noise = st.text(alphabet=FRENCH, max_size=120)
letter = st.lists(st.one_of(st.sampled_from(PHRASES), noise), min_size=1, max_size=6).map(" ".join)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@settings(max_examples=200, deadline=None)
@given(letter)
def test_detection_is_invariant_under_case_and_accents_case_5(text):
    expected = detect(text).categories
    assert detect(text.upper()).categories == expected
    assert detect(text.lower()).categories == expected
    assert detect(text.swapcase()).categories == expected
    assert detect(_strip_accents(text)).categories == expected


@settings(max_examples=200, deadline=None)
@given(letter, letter)
def test_adding_unrelated_text_never_removes_a_reason_case_5(text, other):
    reasons = set(detect(text).reasons)
    assert reasons <= set(detect(text + "\n\n" + other).reasons)
    assert reasons <= set(detect(other + "\n\n" + text).reasons)
