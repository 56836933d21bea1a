"""CASE-5: detection of sensitive letters and e-mails (pure, no database).

The national procedure (§5.1.4) sends some written requests to the team in
charge of sensitive mail: letters of a legal nature, from the Défenseur des
droits or consumer associations, harming the company's image, about personal
data (GDPR, CNIL, data breach), threatening a complaint, mentioning damage,
prejudice or an expert assessment, and letters from town halls or local
authorities.

``detect(text)`` reads the text of a letter, an e-mail or a web form and
returns a ``Detection``: ``sensitive``, the French ``reasons`` (one label per
category found, in the order of ``SensitiveCategory``), the category codes and
the words found per category, so the screen can show why. It is an aid: the
officer may override it.

How it reads a text:

* the text is normalised (``unicodedata``): accents removed, case folded,
  ``œ``/``æ`` spelled out, apostrophes, hyphens and punctuation turned into
  single spaces, so ``Défenseur`` = ``DEFENSEUR`` and ``d’accès`` = ``d'acces``;
  a blank line (two line breaks or more) stays a paragraph break that no
  expression crosses; a single line break is a space (wrapped e-mails);
* a few innocent phrases are blanked out first (``EXCLUSIONS``): postal
  addresses (« place de la Mairie », « rue du Maire Kuss »), « expert-comptable »,
  « je ne suis pas expert », « c'est dommage », « police d'assurance »…;
* each category is an alternation of word-bounded expressions over the
  normalised text (``VOCABULARY``), compiled once at import;
* a few expressions only count at the start of a line (a letterhead such as
  « COMMUNE DE SÉLESTAT » or « VILLE DE COLMAR »).

Choices made (see docs/domain/sensitive-letters.md):

* a mention counts even when negated (« je ne porterai pas plainte… pour
  l'instant »): the sensitive-mail team reads it, the officer may override;
* « plainte » is the noun only: « je ne me plains pas » does not count;
* « assurance » counts as the customer's insurer (« mon assurance »,
  « assureur », « assurance habitation »), never « l'assurance que » nor the
  letter's closing « l'assurance de mes sentiments distingués »;
* « dommage » alone (« c'est dommage ») does not count, « dommages et
  intérêts », « dommages matériels »… do;
* « fuite », « compteur », « facture », « arnaque », « scandaleux » do not
  count: they are the ordinary words of a claim, handled by the claim itself;
* a letter mentioning the mayor (« copie à M. le Maire », « j'ai alerté la
  mairie ») counts like a letter from the town hall: an elected official is
  involved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

#: how many distinct words are kept per category as evidence
MAX_EVIDENCE = 5


class SensitiveCategory(models.TextChoices):
    """The seven kinds of sensitive letters of the procedure (CASE-5)."""

    LEGAL = "legal", _("Caractère juridique")
    CONSUMER_DEFENCE = (
        "consumer_defence",
        _("Défenseur des droits / association de consommateurs / médiateur"),
    )
    IMAGE = "image", _("Image de l'entreprise / presse")
    PERSONAL_DATA = "personal_data", _("RGPD / CNIL / données personnelles")
    COMPLAINT = "complaint", _("Menace de plainte")
    DAMAGE = "damage", _("Sinistre, préjudice, expertise")
    LOCAL_AUTHORITY = "local_authority", _("Mairie, collectivité locale ou élu")


# --- vocabulary (over the normalised text: a-z, 0-9, single spaces) --------

_STREET = (
    r"(?:rue|ruelle|place|placette|avenue|av|impasse|allee|boulevard|bd|chemin|square|quai"
    r"|cours|passage|route|rte|parvis|esplanade|sentier|cite|residence|lotissement|arret"
    r"|station|parking|ecole|groupe scolaire)"
)

#: innocent phrases, blanked out before any category is looked for
EXCLUSIONS: tuple[str, ...] = (
    # postal addresses and bus stops: « 3 place de la Mairie », « rue du Maire Kuss »
    r"\b" + _STREET + r" (?:de la |de l |du |des )?(?:mairie|hotel de ville|maire(?: [a-z]+)?"
    r"|prefecture|sous prefecture|palais de justice|justice|tribunal|avocats?|presse"
    r"|gendarmerie|commune|senat)\b",
    # professions and modesty: « expert-comptable », « je ne suis pas expert »
    r"\bexperts? comptables?\b",
    r"\bexperte? comptable\b",
    r"\b(?:pas|guere|nullement|aucunement|loin d etre) (?:un |une |du tout )?expert(?:e|s|es)?\b",
    # « c'est dommage », « quel dommage », « dommage que »
    r"\b(?:c est|ce serait|ca serait|quel|quelle|bien|vraiment|trop) (?:bien |vraiment |tres )?"
    r"dommage\b",
    r"\bdommage (?:que|qu)\b",
    # « police d'assurance », « presse-papier », « Journal officiel »
    r"\bpolices? (?:d assurances?|de caracteres?|d ecriture)\b",
    r"\battestations? d assurances?(?: habitation| multirisque| responsabilite civile)?\b",
    # a word of thanks: « merci pour votre expertise »
    r"\b(?:merci|remercie\w*|grace a|confiance en) (?:pour |de |a )?(?:votre|leur|son) expertise\b",
    r"\bpresses? papiers?\b",
    r"\bjournal officiel\b",
    # « droit d'accès à ma propriété / au compteur »: access to premises, not to data
    r"\bdroits? d acces (?:a|au|aux) (?:la |le |ma |mon |mes |votre |notre |l |les |leur )?"
    r"(?:propriete|terrain|compteur|jardin|cave|maison|logement|domicile|regard|parcelle"
    r"|cour|immeuble|local|sous sol|garage|chantier|installation)s?\b",
)

#: « mes données » — not the meter readings, consumption or bank details of everyday requests
_MY_DATA = (
    r"(?:mes|nos|ses|leurs) (?:propres )?donnees"
    r"(?! (?:de |d )?(?:releve|consommation|index|compteur|bancaires|paiement|prelevement|contact))"
)

#: category → expressions (regular expressions over the normalised text)
VOCABULARY: dict[SensitiveCategory, tuple[str, ...]] = {
    SensitiveCategory.LEGAL: (
        r"avocat(?:e|s|es)?",
        r"huissier(?:e|s|es)?",
        r"commissaires? de justice",
        r"justice",
        r"tribunal|tribunaux",
        r"cour d appel|cour de cassation|conseil d etat",
        r"(?:devant le|saisir le|saisirai le|saisine du|par le|au|du|un|aux|des) juges?|les juges",
        r"juges? (?:d instance|de proximite|des referes|de l execution|des contentieux)",
        r"jugements?",
        r"judiciaires?|judiciairement",
        r"juridiques?|juridiquement|juristes?",
        r"(?:mises?|mis|met|mets|mettons|mettez|mettre|mettrai|mettrons|mettra) en demeure",
        r"assignations?",
        r"assigner (?:en justice|devant)|vous assigner",
        r"citation a comparaitre",
        r"en refere|refere (?:expertise|provision)",
        r"recours contentieux|action contentieuse",
        r"code (?:de la consommation|civil|penal)",
        r"sans prejudice",
        r"poursuites? (?:judiciaires?|penales?)",
    ),
    SensitiveCategory.CONSUMER_DEFENCE: (
        r"defenseur des droits|delegue du defenseur",
        r"ufc|que choisir",
        r"clcv|consommation logement (?:et )?cadre de vie",
        r"csf|confederation syndicale des familles",
        r"familles rurales|familles de france",
        r"cnl|confederation nationale du logement",
        r"afoc|indecosa|adeic|orgeco|cgl",
        r"associations? (?:agreees? )?(?:de |des |d )(?:defense (?:des |de )?)?"
        r"(?:consommateurs|usagers|locataires|consommation)",
        r"mediat(?:eur|rice|ion)s?",
        r"conciliat(?:eur|rice|ion)s?",
    ),
    SensitiveCategory.IMAGE: (
        r"journalistes?",
        r"(?:la|de|aux|une|en|dans la|par la) presse",
        r"(?:au|aux) journa(?:l|ux)"
        r"|journa(?:l|ux) (?:locale?s?|regionale?s?|regionaux|locaux|nationale?s?|nationaux)",
        r"medias?|mediatis\w*",
        r"reseaux sociaux|reseau social",
        r"facebook|twitter|instagram|tiktok|youtube|linkedin|trustpilot",
        r"television|reportage|emission de (?:tele|radio)",
        r"tf1|bfm\w*|france (?:2|3|bleu|info|inter|televisions?)",
        r"60 millions de consommateurs",
        r"petitions?",
        r"avis (?:negatifs?|en ligne|google)|google avis",
        r"mauvaise publicite|contre publicite|publiquement|rendre public",
        r"image de (?:votre|l|la|cette) (?:entreprise|societe|marque|groupe)",
    ),
    SensitiveCategory.PERSONAL_DATA: (
        r"rgpd|gdpr",
        r"cnil",
        r"reglement general (?:sur|de) la protection des donnees",
        r"protection des donnees",
        r"dpo|delegue a la protection",
        r"donnees (?:personnelles|a caractere personnel|me concernant|nominatives)",
        r"droits? (?:d acces|de rectification|d opposition|a l effacement|a l oubli"
        r"|a la portabilite|a la limitation)",
        r"(?:effac|supprim|suppression|rectifi|portabilite|copie|communication|communiqu"
        r"|utilis|transmi|transfer|vend|revend|cede|cession)\w* "
        r"(?:de |a |d |des |que |qu )?(?:toutes |l ensemble de |la totalite de )?" + _MY_DATA,
        r"(?:violation|fuite|vol|piratage|perte) (?:de |des |d )?(?:mes |nos )?donnees",
        r"piratage",
    ),
    SensitiveCategory.COMPLAINT: (
        r"plaintes?",
        r"gendarmerie|gendarmes?|commissariat",
        r"police",
        r"procureur",
        r"escroquer\w*|escrocs?",
        r"abus de (?:confiance|faiblesse)",
        r"harcelement|harceler|harcelez|harcele",
        r"dgccrf|repression des fraudes|signalconso|signal conso",
    ),
    SensitiveCategory.DAMAGE: (
        r"sinistres?|sinistree?s?",
        r"(?<!sans )prejudices?|prejudiciable",
        r"degats?",
        r"dommages? (?:et |)interets|dommages (?:materiels|corporels|immateriels|causes|subis)",
        r"contre expertise|expertises?|expert(?:e|s|es)?",
        r"assureurs?|(?:mon|ma|notre|votre|son|sa|leur) assurance",
        r"assurances? (?:habitation|multirisque|responsabilite civile|dommages)",
        r"compagnies? d assurances?",
        r"responsabilite civile",
        r"indemnis\w*|indemnites? (?:pour|de) (?:prejudice|dommage)",
        r"inond\w*",
    ),
    SensitiveCategory.LOCAL_AUTHORITY: (
        r"maires?",
        r"mairies?",
        r"hotel de ville",
        r"conseil (?:municipal|departemental|regional|communautaire|metropolitain)",
        r"conseill(?:er|ere)s? (?:municipa(?:l|le|ux|les)|departementa\w*|regiona\w*|communautaires?)",
        r"communaute (?:de communes|d agglomeration|urbaine)",
        r"syndicat (?:intercommunal|des eaux|mixte)|sivom|sivu|epci|intercommunal\w*",
        r"collectivites? (?:locales?|territoriales?)",
        r"elu(?:e|s|es)? (?:locaux|local|municipa\w*|de (?:la|notre) commune)",
        r"ccas|centre communal d action sociale",
        r"deputee?s?|senat(?:eur|rice)s?",
        r"(?:sous )?prefet(?:e)?s?",
    ),
}

#: expressions that only count at the start of a line (a letterhead)
LETTERHEAD: dict[SensitiveCategory, tuple[str, ...]] = {
    SensitiveCategory.LOCAL_AUTHORITY: (
        r"(?:commune|ville|metropole|eurometropole|agglomeration|(?:sous )?prefecture)"
        r" (?:de|d|du|des)"
        r"(?! (?:residence|naissance|rattachement|domicile|ma|mon|votre)\b)",
    ),
}


def _compile(expressions: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{e})" for e in expressions) + r")\b")


_EXCLUSION_RE = re.compile("|".join(f"(?:{e})" for e in EXCLUSIONS))
_PATTERNS: tuple[tuple[SensitiveCategory, re.Pattern[str]], ...] = tuple(
    (category, _compile(VOCABULARY[category])) for category in SensitiveCategory
)
_LETTERHEAD_PATTERNS: tuple[tuple[SensitiveCategory, re.Pattern[str]], ...] = tuple(
    (category, _compile(expressions)) for category, expressions in LETTERHEAD.items()
)

_FOLDED = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"}


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """One character of the original text → its normalised form.

    Letters and digits → lowercase ASCII without accents (possibly several
    characters, possibly none for a combining mark); a line break → "\\n";
    anything else (apostrophes, hyphens, punctuation, spaces) → " ".
    """
    if char == "\n":
        return "\n"
    out = []
    for c in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(c):
            continue
        c = c.casefold()
        c = _FOLDED.get(c, c)
        for d in c:
            out.append(d if ("a" <= d <= "z" or "0" <= d <= "9") else " ")
    return "".join(out)


@dataclass(frozen=True)
class _Normalised:
    text: str
    #: for each character of ``text``, the index of the original character
    origin: tuple[int, ...]
    #: positions in ``text`` where an original line starts
    line_starts: frozenset[int]


def normalise(text: str) -> str:
    """The normalised form the vocabulary is written for (exposed for tests and tools)."""
    return _normalise(text).text


def _normalise(text: str) -> _Normalised:
    out: list[str] = []
    origin: list[int] = []
    line_starts: set[int] = set()
    pending_newlines = 0  # line breaks in the current run of separators
    pending_space = False
    at_line_start = True
    for index, char in enumerate(text):
        for c in _fold(char):
            if c == "\n":
                pending_newlines += 1
                at_line_start = True
            elif c == " ":
                pending_space = True
            else:
                if out and (pending_newlines or pending_space):
                    # two line breaks or more: a paragraph no expression crosses
                    out.append("\n" if pending_newlines >= 2 else " ")
                    origin.append(index)
                pending_newlines = 0
                pending_space = False
                if at_line_start:
                    line_starts.add(len(out))
                    at_line_start = False
                out.append(c)
                origin.append(index)
    return _Normalised("".join(out), tuple(origin), frozenset(line_starts))


@dataclass(frozen=True)
class Detection:
    """What ``detect`` found in a text (CASE-5)."""

    sensitive: bool
    #: French labels of the categories found, in ``SensitiveCategory`` order
    reasons: tuple[str, ...] = ()
    #: the category codes found (to store or filter on)
    categories: tuple[SensitiveCategory, ...] = ()
    #: category code → distinct words found, as written in the text
    matches: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def reasons_text(self) -> str:
        """The reasons joined by ", " (fits the 255 characters of ``sensitive_reasons``)."""
        return ", ".join(self.reasons)[:255]

    def summary(self) -> str:
        """One French sentence for the screen: the reasons and the words that made them."""
        if not self.sensitive:
            return gettext("Aucun motif de courrier sensible détecté.")
        parts = []
        for category in self.categories:
            words = ", ".join(f"« {w} »" for w in self.matches.get(category.value, ()))
            parts.append(f"{category.label} ({words})" if words else str(category.label))
        return gettext("Courrier sensible : %(reasons)s.") % {"reasons": " ; ".join(parts)}


NOT_SENSITIVE = Detection(sensitive=False)


def detect(text: str | None) -> Detection:
    """CASE-5: is this letter / e-mail sensitive, why, and on which words."""
    if not text or not text.strip():
        return NOT_SENSITIVE
    normalised = _normalise(text)
    searched = _EXCLUSION_RE.sub(lambda m: " " * len(m.group()), normalised.text)
    found: dict[SensitiveCategory, list[tuple[int, int]]] = {}
    for category, pattern in _PATTERNS:
        spans = [m.span() for m in pattern.finditer(searched)]
        if spans:
            found[category] = spans
    for category, pattern in _LETTERHEAD_PATTERNS:
        spans = [
            m.span() for m in pattern.finditer(searched) if m.start() in normalised.line_starts
        ]
        if spans:
            found.setdefault(category, []).extend(spans)
    if not found:
        return NOT_SENSITIVE
    categories = tuple(c for c in SensitiveCategory if c in found)
    matches = {c.value: _evidence(text, normalised, sorted(found[c])) for c in categories}
    return Detection(
        sensitive=True,
        reasons=tuple(str(c.label) for c in categories),
        categories=categories,
        matches=matches,
    )


def _evidence(text: str, normalised: _Normalised, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    """The distinct words found, as the customer wrote them (first spelling kept)."""
    seen: dict[str, str] = {}
    for start, end in spans:
        key = normalised.text[start:end].replace("\n", " ")
        if key not in seen:
            original = text[normalised.origin[start] : normalised.origin[end - 1] + 1]
            seen[key] = " ".join(original.split())
        if len(seen) == MAX_EVIDENCE:
            break
    return tuple(seen.values())
