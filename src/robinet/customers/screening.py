"""Screening of free-text comments (CUST-8, seed 003 §5.1.7.5).

Free-text comment zones must not hold value judgements on the person's
financial or personal situation, assessments of social difficulties, nor
behavioural, social or physical remarks. Customers under medical assistance are
flagged NEC (non éligible à la coupure) with no justification, so health details
are refused too, as are the special categories of the GDPR (art. 9: origin,
religion, opinions, sex life; art. 10: offences).

The check is a French lexicon matched on normalised text (lower-case ASCII,
punctuation as spaces, whole words, feminine and plural forms spelled out in the
patterns), with an allow-list for the operational phrases that share a word
with it ("eau agressive", "bruit sourd", "dans l'enceinte de l'usine"…).
It is pure: no database, no models.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from unidecode import unidecode


class Category(StrEnum):
    FINANCES = "finances"
    SOCIAL = "social"
    BEHAVIOUR = "behaviour"
    PHYSICAL = "physical"
    HEALTH = "health"
    SENSITIVE = "sensitive"


CATEGORY_LABELS = {
    Category.FINANCES: _("Jugement sur la situation financière"),
    Category.SOCIAL: _("Appréciation des difficultés sociales"),
    Category.BEHAVIOUR: _("Remarque sur le comportement"),
    Category.PHYSICAL: _("Remarque physique"),
    Category.HEALTH: _("Donnée de santé"),
    Category.SENSITIVE: _(
        "Donnée sensible (origine, religion, opinions, vie sexuelle, infractions)"
    ),
}

EXPLANATIONS = {
    Category.FINANCES: _(
        "Jugement de valeur sur la situation financière du client : décrivez les faits "
        "(montant dû, échéances, paiements reçus) sans les qualifier."
    ),
    Category.SOCIAL: _(
        "Appréciation de la situation sociale du client : ne mentionnez ni ses difficultés "
        "ni ses ressources ; notez seulement l'action menée (par exemple « dossier transmis "
        "au FSL », « échéancier accordé »)."
    ),
    Category.BEHAVIOUR: _(
        "Remarque sur le comportement ou la personnalité : rapportez l'objet de l'échange "
        "et la suite donnée (par exemple « le client conteste la facture »), sans qualifier "
        "la personne."
    ),
    Category.PHYSICAL: _(
        "Remarque sur le physique, l'âge ou un handicap : elle n'a pas sa place dans le "
        "dossier ; notez seulement les contraintes utiles à l'intervention (accès, "
        "horaires, présence d'un tiers)."
    ),
    Category.HEALTH: _(
        "Donnée de santé : aucune information médicale ne doit figurer en commentaire. "
        "Si le client est sous assistance médicale, cochez la particularité NEC (non "
        "éligible à la coupure) sans la justifier."
    ),
    Category.SENSITIVE: _(
        "Donnée sensible (origine, religion, opinions politiques ou syndicales, vie "
        "sexuelle, infractions) : elle ne doit jamais être enregistrée (RGPD, art. 9 et 10)."
    ),
}


# --- Lexicon -------------------------------------------------------------------------
# Patterns apply to normalised text: lower-case ASCII, every non-alphanumeric character
# turned into a space, so "l'enceinte" reads "l enceinte" and "pique-assiette" reads
# "pique assiette". A space in a pattern matches any run of spaces; each pattern is a
# whole-word match.

# Who a remark can be about, for words that are only a problem when said of a person
# ("compteur sale" is a fact, "il est sale" a remark).
_PERSON = (
    r"(?:il|elle|ils|elles|client|cliente|clients|clientes|personne|individu|homme|femme"
    r"|dame|type|mec|gars|famille|gens|locataires?|occupante?s?|abonnee?s?|titulaire"
    r"|voisine?s?|fils|fille|mari|epouse|enfants?"
    # Titles may come with a surname ("Mme Martin"); a bare "m" would also read metres.
    r"|(?:monsieur|madame|mademoiselle|mr|mme|mlle)(?: [a-z]+)?)"
)
_COPULA = (
    r"(?:(?:est|sont|etait|etaient|semble|semblent|parait|paraissent|a l air) )?"
    r"(?:(?:tres|trop|assez|un peu|vraiment|plutot|super|particulierement|si) )*"
)
# Nouns after which an adjective qualifies a person: "sale type", "vieille dame".
_PERSON_AFTER = (
    r"(?:type|bonhomme|bonne femme|dame|femme|homme|monsieur|madame|personne|individu|mec|gars)"
)


def _said_of_person(adjectives: str) -> str:
    """A pattern for ``adjectives`` when they describe a person, before or after a noun."""
    return (
        rf"{_PERSON} {_COPULA}(?:{adjectives})"
        # "elle est grosse consommatrice" speaks of consumption, not of her.
        r"(?! (?:consommat|conso|debit|compte|fuite|client))"
        rf"|(?:{adjectives}) {_PERSON_AFTER}"
    )


LEXICON: dict[Category, tuple[str, ...]] = {
    Category.FINANCES: (
        r"mauvai(?:s|se|ses) payeu(?:r|rs|se|ses)",
        r"payeu(?:r|rs|se|ses) douteu(?:x|se|ses)",
        r"(?:ne )?(?:paie|paye|paient|payent|rembourse) (?:jamais|rien)",
        r"fauchee?s?",
        r"radine?s?",
        r"pingres?",
        r"rapiate?s?",
        r"avares?",
        r"grippe sous?",
        r"escrocs?",
        r"arnaqueu(?:r|rs|se|ses)",
        r"voleu(?:r|rs|se|ses)",
        r"fraudeu(?:r|rs|se|ses)",
        r"profiteu(?:r|rs|se|ses)",
        r"pique assiettes?",
        r"(?:c est|un|une|des) parasites?",
        r"insolvables?",
        r"endettee?s?",
        r"criblee?s? de dettes",
        r"sans (?:le|un) sou",
        r"dans la deche",
        r"panier perce",
        r"depensie(?:r|rs|re|res)",
        r"au dessus de (?:ses|leurs) moyens",
        r"(?:n )?a (?:largement |bien |pas )?les moyens",
        r"plein(?:e|s|es)? aux as",
        r"roulen?t? sur l or",
        r"riches?",
    ),
    Category.SOCIAL: (
        r"cas soc(?:ial|iaux)?",
        r"cassos",
        r"assistee?s?(?: sociaux| sociales?)?",
        r"rsa",
        r"rmi",
        r"rmiste?s?",
        r"aah",
        r"cmu",
        r"apl",
        r"minima sociaux",
        r"allocataires?",
        r"allocs?",
        r"vit (?:des|d) (?:aides|allocations?|allocs?)",
        r"chomeu(?:r|rs|se|ses)",
        r"chomage",
        r"sans (?:emploi|travail|ressources?)",
        r"demandeu(?:r|rs|se|ses) d emploi",
        r"pole emploi",
        r"surendettee?s?",
        r"precarite",
        r"precaires?",
        r"demunie?s?",
        r"necessiteu(?:x|se|ses)",
        r"indigente?s?",
        r"miser(?:e|eux|euse|euses)",
        r"pauvre(?:s|te)?",
        r"sdf",
        r"sans domicile(?: fixe)?",
        r"sans abris?",
        r"clochard(?:e|s|es)?",
        r"clodos?",
        r"zonard(?:e|s|es)?",
        r"marginaux",
        _said_of_person(r"marginale?"),
        r"racailles?",
        r"famille a problemes?",
        r"illettree?s?",
        r"analphabetes?",
    ),
    Category.BEHAVIOUR: (
        r"agressi(?:f|fs|ve|ves|vite)",
        r"violente?s?",
        r"menacante?s?",
        r"insult\w*",
        r"injurieu(?:x|se|ses)",
        r"grossie(?:r|rs|re|res)",
        r"impolie?s?",
        r"insolente?s?",
        r"irrespectueu(?:x|se|ses)",
        r"odieu(?:x|se|ses)",
        r"desagreables?",
        r"arrogante?s?",
        r"hautaine?s?",
        r"meprisante?s?",
        r"menteu(?:r|rs|se|ses)",
        r"(?:il|elle|ils|elles|client|cliente)(?: nous)? (?:ment|mentent|mentait)",
        r"mytho(?:mane)?s?",
        r"(?:de )?mauvaise foi",
        r"malhonnetes?",
        r"sournoise?s?",
        r"manipulat(?:eur|eurs|rice|rices)",
        r"tricheu(?:r|rs|se|ses)",
        r"penibles?",
        r"chiante?s?",
        r"casse (?:pieds|couilles)",
        r"emmerdeu(?:r|rs|se|ses)",
        r"chieu(?:r|rs|se|ses)",
        r"relou",
        r"lourdingues?",
        r"raleu(?:r|rs|se|ses)",
        r"grincheu(?:x|se|ses)",
        r"procedurie(?:r|rs|re|res)",
        r"querulente?s?",
        r"harceleu(?:r|rs|se|ses)",
        r"hysteriques?",
        r"caracteriel(?:le|s|les)?",
        r"irascibles?",
        r"coleriques?",
        r"mechante?s?",
        r"fou|fous|folle|folles",
        r"dingues?",
        r"cinglee?s?",
        r"taree?s?",
        r"debiles?",
        r"idiote?s?",
        r"imbeciles?",
        r"cretine?s?",
        r"abrutie?s?",
        r"stupides?",
        r"con|cons|conne|connes|connard|connards|connasse|connasses",
        r"feignante?s?",
        r"faineante?s?",
        r"paresseu(?:x|se|ses)",
        r"negligente?s?",
        r"pervers(?:e|es)?",
        r"alcooliques?",
        r"alcoolisme",
        r"alcoolos?",
        r"sent l alcool",
        r"alcoolisee?s?",
        r"ivres?",
        r"ivrognes?",
        r"saoul(?:e|s|es)?",
        r"poivrot(?:e|s|es)?",
        _said_of_person(r"bourree?s?"),
        r"droguee?s?",
        r"se drogue",
        r"toxicomanes?",
        r"toxicos?",
    ),
    Category.PHYSICAL: (
        _said_of_person(
            r"sales?|gros|grosse|grosses|vieux|vieille|vieilles|moches?|laide?s?|maigres?"
            r"|crasseu(?:x|se|ses)|invalides?"
        ),
        r"obeses?",
        r"obesite",
        r"en surpoids",
        r"malpropres?",
        r"puante?s?",
        r"(?:il|elle|ils|elles) (?:pue|puent|sentent mauvais|sent mauvais)",
        r"odeur corporelle",
        r"(?:manque d|sans) hygiene",
        r"hygiene douteuse",
        r"vieillards?",
        r"edentee?s?",
        r"tatouee?s?",
        r"handicap(?:s|ee?s?)?",
        r"infirmes?",
        r"invalidite",
        r"(?:en )?fauteuil roulant",
        r"paraplegiques?",
        r"tetraplegiques?",
        r"unijambistes?",
        r"boiteu(?:x|se|ses)",
        r"naine?s?",
        r"aveugles?",
        r"malvoyante?s?",
        r"sourde?s?",
        r"malentendante?s?",
        r"muette?s?",
        r"begues?",
    ),
    Category.HEALTH: (
        r"malades?",
        r"maladies?",
        r"cancer(?:s|eux|euse|euses)?",
        r"tumeurs?",
        r"chimio(?:therapie)?s?",
        r"dialyse(?:e|s|es)?",
        r"enceintes?",
        r"grossesses?",
        r"depressi(?:on|ons|f|fs|ve|ves)",
        r"deprimee?s?",
        r"suicid\w*",
        r"psychiatri\w*",
        r"psychiatres?",
        r"schizo\w*",
        r"bipolaires?",
        r"parano(?:iaque)?s?",
        r"autis(?:te|tes|me)",
        r"trisomi\w*",
        r"alzheimer",
        r"parkinson",
        r"demence",
        r"dementes?",
        r"seniles?",
        r"senilite",
        r"gateu(?:x|se|ses)",
        r"diabet\w*",
        r"vih",
        r"sida",
        r"seropositi(?:f|fs|ve|ves)",
        r"hepatites?",
        r"hospitalis\w*",
        r"sous oxygene",
        r"oxygenotherapie",
        r"respirateurs?",
        r"assistance respiratoire",
        r"insuffisan(?:t|te|ts|tes|ce) (?:renal|renale|renaux|respiratoire|cardiaque)s?",
        r"cardiaques?",
        r"avc",
        r"infarctus",
        r"grabataires?",
        r"alitee?s?",
        r"en fin de vie",
        r"soins palliatifs",
        r"mourante?s?",
        r"mucoviscidose",
        r"medicaments?",
        r"traitement medical",
        r"problemes? de sante",
        r"sante fragile",
    ),
    Category.SENSITIVE: (
        r"arabes?",
        r"beurs?",
        r"rebeus?",
        r"renois?",
        r"blacks?",
        r"bougnoul\w*",
        r"negres?",
        r"negresses?",
        r"bamboulas?",
        r"bicots?",
        r"youpin\w*",
        r"gitane?s?",
        r"manouches?",
        r"romanichel\w*",
        r"gens du voyage",
        r"t[sz]iganes?",
        r"roms",
        r"immigree?s?",
        r"immigration",
        r"sans papiers",
        r"clandestine?s?",
        r"etrangere?s?",
        r"africaine?s?",
        r"maghrebine?s?",
        r"asiatiques?",
        rf"{_PERSON} (?:\w+ ){{0,2}}d origine (?!inconnue)\w+",
        r"origine (?:etrangere|africaine|maghrebine|arabe|asiatique|immigree)",
        r"origine ethnique",
        r"couleur de peau",
        r"races?",
        r"musulmane?s?",
        r"islam\w*",
        r"juif|juifs|juive|juives",
        r"judaisme",
        r"catholiques?",
        r"chretien(?:ne|s|nes)?",
        r"protestante?s?",
        r"evangeli\w*",
        r"bouddhistes?",
        r"athees?",
        r"temoins? de jehovah",
        _said_of_person(r"voilee?s?"),
        r"porte le voile",
        r"ramadan",
        r"shabbat|sabbat",
        r"religion",
        r"religieu(?:x|se|ses)",
        r"syndicalistes?",
        r"syndiquee?s?",
        r"militante?s?",
        r"communistes?",
        r"gauchistes?",
        r"anarchistes?",
        r"fachos?",
        r"fascistes?",
        r"extreme (?:droite|gauche)",
        r"gilets? jaunes?",
        r"front national",
        r"rassemblement national",
        r"homosexuel\w*",
        r"gays?",
        r"lesbiennes?",
        r"transgenres?",
        r"transsexuel\w*",
        r"bisexuel\w*",
        r"pedes?",
        r"casier judiciaire",
        r"repris de justice",
        r"delinquante?s?",
        r"(?:en|de|sorti|sortie|fait de la) prison",
        r"taulards?",
    ),
}

# Operational phrases that share a word with the lexicon. A finding that lies wholly
# inside one of these is dropped.
ALLOWED: tuple[str, ...] = (
    r"eaux? (?:tres |plutot |un peu )?agressi(?:f|ve|ves)",
    r"(?:caractere|pouvoir) agressif",
    # Only adverbs in between, so "chien agressif et client agressif" still refuses the owner.
    r"chiens? (?:(?:est|sont|tres|trop|assez|un peu|parfois|souvent|plutot|vraiment|peut etre"
    r"|potentiellement|particulierement) ){0,3}(?:agressi(?:f|fs)|mechants?|violents?)",
    r"(?:orage|choc|coup|vent|pluie|fuite|jet|crue|averse|coup de belier)s? violente?s?",
    r"(?:acces|travail|travaux|intervention|chantier|terrain|montee|passage)s? penibles?",
    r"(?:erreur|estimation|calcul|approximation|evaluation|faute)s? grossiere?s?",
    r"bruits? sourds?",
    r"(?:mur|facade|pignon)s? aveugles?",
    r"(?:l|une|cette|son|d une|dans l|de l) enceintes?",
    r"enceintes? (?:du|des|de la|de l)",
    r"(?:mise|mis|remise|reseau|conduite|canalisation|colonne)s? en depression",
    r"depression (?:du|dans le|sur le|de la) (?:reseau|conduite|canalisation|colonne)",
    r"maladies? du legionnaire",
    r"maladies? hydriques?",
    r"(?:a|de|depuis|pour|vers) l etranger",
    r"(?:iban|compte|banque|rib|numero|telephone|adresse|pays|virement|cheque)s?"
    r" (?:bancaires? )?etrangere?s?",
    r"secours catholique",
    r"riches? en",
    r"pauvres? en",
    r"assistee?s? (?:par|de|d|dans|lors|pour|au|a)",
    r"(?:herbe|pelouse|prairie|champ|talus|haie)s? fauchee?s?",
    r"races? (?:du|de son|de ses) chiens?",
    r"(?:installation|branchement|raccordement|acces|occupation|titre|convention)s? precaires?",
)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + pattern.replace(" ", r"\s+") + r")\b")


_CATEGORY_PATTERNS = {category: _compile("|".join(terms)) for category, terms in LEXICON.items()}
_ALLOWED_PATTERN = _compile("|".join(ALLOWED))


def _normalize(text: str) -> tuple[str, list[int]]:
    """Lower-case ASCII with non-alphanumerics as spaces, and each character's source index."""
    chars: list[str] = []
    sources: list[int] = []
    for i, char in enumerate(text):
        # Per character, to map every match back to the words as written.
        ascii_form = char if char.isascii() else unidecode(char)
        for c in ascii_form.lower():
            chars.append(c if c.isascii() and c.isalnum() else " ")
            sources.append(i)
    return "".join(chars), sources


@dataclass(frozen=True, slots=True)
class Finding:
    category: Category
    excerpt: str  # the words as written in the comment
    explanation: str
    start: int  # position of the excerpt in the comment
    end: int

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self.category])


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    accepted: bool
    findings: tuple[Finding, ...] = ()

    @property
    def messages(self) -> list[str]:
        """One French line per finding, to show under the comment field."""
        return [f"« {f.excerpt} » : {f.explanation}" for f in self.findings]


def screen_comment(text: str) -> ScreeningResult:
    """Check a free-text comment against CUST-8; refused when anything is found."""
    normalized, sources = _normalize(text or "")
    allowed = [m.span() for m in _ALLOWED_PATTERN.finditer(normalized)]
    findings = []
    seen: set[tuple[int, int]] = set()
    for category, pattern in _CATEGORY_PATTERNS.items():
        for match in pattern.finditer(normalized):
            start, end = match.span()
            if (start, end) in seen or any(a <= start and end <= b for a, b in allowed):
                continue
            seen.add((start, end))
            first, last = sources[start], sources[end - 1] + 1
            findings.append(
                Finding(
                    category=category,
                    excerpt=text[first:last],
                    explanation=str(EXPLANATIONS[category]),
                    start=first,
                    end=last,
                )
            )
    findings.sort(key=lambda f: (f.start, f.end))
    return ScreeningResult(accepted=not findings, findings=tuple(findings))
