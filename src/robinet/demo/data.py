"""Static material of the demo utility: organisation, communes, activities, names.

The communes are real (INSEE codes checked against ``robinet.referential`` when
the generator starts); everything about customers is invented.
"""

from robinet.customers.choices import MeterAccessibility, SiteType

REGION = ("DR-RM", "Direction régionale Rhin-Moselle")

# (agency code, agency name, [(centre code, centre name, [INSEE codes])]).
# Departments 67, 68 and 57: the Alsace-Moselle calendar applies everywhere.
AGENCIES = (
    (
        "AG-ALS",
        "Agence Alsace",
        (
            (
                "CT-STR",
                "Centre de Strasbourg",
                ("67482", "67447", "67043", "67204", "67218", "67267", "67365", "67519", "67309"),
            ),
            (
                "CT-COL",
                "Centre de Colmar",
                ("68066", "68145", "68155", "68374", "68338", "68162", "68277", "68078", "68269"),
            ),
        ),
    ),
    (
        "AG-MOS",
        "Agence Moselle",
        (
            ("CT-MTZ", "Centre de Metz", ("57463", "57480", "57751", "57447", "57433", "57021")),
            (
                "CT-THI",
                "Centre de Thionville",
                ("57672", "57757", "57306", "57221", "57666", "57206"),
            ),
        ),
    ),
)

DEPARTMENT_NAMES = {"67": "Bas-Rhin", "68": "Haut-Rhin", "57": "Moselle"}

# Where customers who left the territory now live (forwarding addresses).
ELSEWHERE_DEPARTMENTS = ("75", "69", "13", "31", "33", "44", "54", "88", "21", "25", "06", "34")

# Family names common in Alsace and Moselle, mixed with Faker's French ones.
# fmt: off
REGIONAL_LAST_NAMES = (
    "Muller", "Schmitt", "Meyer", "Weber", "Klein", "Fischer", "Wagner", "Bauer", "Roth", "Koenig",
    "Schneider", "Hoffmann", "Walter", "Kieffer", "Zimmermann", "Wolff", "Becker", "Lang",
    "Stoltz", "Koehler", "Jung", "Haas", "Frey", "Braun", "Ernst", "Herrmann", "Kuntz", "Ott",
    "Riehl", "Schaeffer", "Burger", "Keller", "Lutz", "Heitz", "Metzger", "Kern", "Wendling",
    "Hubert", "Schwartz", "Ehrhart", "Gross", "Hertzog", "Kuhn", "Sutter", "Rieffel", "Ritter",
    "Spiess", "Vogel", "Wurtz", "Zimmer", "Grasser", "Baumann", "Hamm", "Jost", "Lorentz",
    "Mathis", "Oberlé", "Reinhardt", "Siegel", "Thomann", "Ulrich",
)
# fmt: on

# Streets every town has, besides Faker's.
# fmt: off
COMMON_STREETS = (
    "rue du Général de Gaulle", "rue de la Gare", "Grand'Rue", "rue des Vignes", "rue de l'Église",
    "rue du Moulin", "rue des Jardins", "rue Principale", "rue de la Forêt", "rue des Tilleuls",
    "place de la République", "rue du Maréchal Foch", "rue Pasteur", "rue Victor Hugo",
    "avenue de la Liberté", "rue de Verdun", "rue des Écoles", "rue du Château", "rue des Prés",
    "rue des Fleurs", "rue des Romains", "rue du Rhin", "rue de la Mairie", "impasse des Roses",
    "rue des Lilas", "chemin des Vignes", "allée des Peupliers", "rue du Stade",
    "rue des Mésanges", "rue des Cerisiers", "rue du Ried", "rue des Vosges", "rue de Lorraine",
    "rue d'Alsace", "rue Jean Jaurès", "rue de la Paix", "rue des Acacias", "rue du Canal",
    "quai des Pêcheurs", "rue du Moulin",
)
# fmt: on

# fmt: off
RESIDENCE_NAMES = (
    "Les Tilleuls", "Le Parc", "Les Jardins de l'Ill", "Les Vergers", "Le Belvédère",
    "Les Platanes", "Le Clos des Vignes", "L'Orangerie", "Les Cigognes", "Le Kléber",
    "Les Terrasses du Rhin", "Le Square", "Les Acacias", "Le Hohlandsbourg", "Les Remparts",
    "Le Mont Sainte-Odile", "Les Hirondelles", "Le Haut-Koenigsbourg", "Les Coteaux",
    "Le Grand Pré", "Les Marronniers", "Le Panorama", "Les Bords de Moselle", "Le Saulcy",
    "Les Ormes", "Le Bastberg", "Les Tanneurs", "Le Neudorf", "Les Charmilles", "Le Florival",
)
# fmt: on

SYNDIC_PREFIXES = ("Cabinet", "Régie", "Gestion immobilière", "Agence", "Immobilière")
SYNDIC_FIXED = (
    "Immobilière du Rhin",
    "Syndic de la Moselle",
    "Régie de l'Ill",
    "Gestion Alsace Habitat",
    "Cabinet des Trois Frontières",
)

# (trade, NAF code, site type). Professionals.
PRO_ACTIVITIES = (
    ("Boulangerie", "10.71C", SiteType.SHOP),
    ("Pâtisserie", "10.71D", SiteType.SHOP),
    ("Boucherie-charcuterie", "47.22Z", SiteType.SHOP),
    ("Restaurant", "56.10A", SiteType.SHOP),
    ("Winstub", "56.10A", SiteType.SHOP),
    ("Café", "56.30Z", SiteType.SHOP),
    ("Hôtel", "55.10Z", SiteType.OTHER),
    ("Salon de coiffure", "96.02A", SiteType.SHOP),
    ("Institut de beauté", "96.02B", SiteType.SHOP),
    ("Garage", "45.20A", SiteType.SHOP),
    ("Pharmacie", "47.73Z", SiteType.HEALTH),
    ("Cabinet médical", "86.21Z", SiteType.HEALTH),
    ("Cabinet dentaire", "86.23Z", SiteType.HEALTH),
    ("Laboratoire d'analyses", "86.90B", SiteType.HEALTH),
    ("Transports", "49.41A", SiteType.INDUSTRIAL),
    ("Menuiserie", "16.23Z", SiteType.INDUSTRIAL),
    ("Plomberie-chauffage", "43.22A", SiteType.OFFICE),
    ("Électricité générale", "43.21A", SiteType.OFFICE),
    ("Imprimerie", "18.12Z", SiteType.INDUSTRIAL),
    ("Blanchisserie", "96.01A", SiteType.INDUSTRIAL),
    ("Pressing", "96.01B", SiteType.SHOP),
    ("Brasserie artisanale", "11.05Z", SiteType.INDUSTRIAL),
    ("Cabinet comptable", "69.20Z", SiteType.OFFICE),
    ("Agence immobilière", "68.31Z", SiteType.OFFICE),
    ("Supérette", "47.11C", SiteType.SHOP),
    ("Supermarché", "47.11D", SiteType.SHOP),
    ("Fromagerie", "47.29Z", SiteType.SHOP),
    ("Camping", "55.30Z", SiteType.OTHER),
    ("Salle de sport", "93.13Z", SiteType.OTHER),
    ("Crèche", "88.91A", SiteType.SCHOOL),
    ("École de musique", "85.52Z", SiteType.SCHOOL),
    ("Maison de retraite", "87.10A", SiteType.HEALTH),
    ("Mécanique industrielle", "25.62B", SiteType.INDUSTRIAL),
    ("Tonnellerie", "16.24Z", SiteType.INDUSTRIAL),
    ("Fleuriste", "47.76Z", SiteType.SHOP),
    ("Informatique", "62.01Z", SiteType.OFFICE),
    ("Cave à vins", "47.25Z", SiteType.SHOP),
)
PRO_LEGAL_FORMS = (
    ("SARL", 34),
    ("SAS", 22),
    ("EURL", 12),
    ("SASU", 12),
    ("SA", 5),
    ("ETS", 10),
    ("SNC", 5),
)

# Sites of a local authority: (label, site type).
AUTHORITY_SITES = (
    ("Mairie", SiteType.PUBLIC_BUILDING),
    ("École élémentaire", SiteType.SCHOOL),
    ("École maternelle", SiteType.SCHOOL),
    ("Stade municipal", SiteType.OTHER),
    ("Cimetière", SiteType.OTHER),
    ("Salle des fêtes", SiteType.PUBLIC_BUILDING),
    ("Gymnase", SiteType.PUBLIC_BUILDING),
    ("Piscine municipale", SiteType.PUBLIC_BUILDING),
    ("Services techniques", SiteType.PUBLIC_BUILDING),
    ("Fontaine", SiteType.OTHER),
    ("Espaces verts", SiteType.OTHER),
    ("Médiathèque", SiteType.PUBLIC_BUILDING),
)
AUTHORITY_NAF = "84.11Z"

# Administrations: (name pattern with {commune}/{department}, civility, NAF, site type, SIREN head).
ADMINISTRATIONS = (
    ("Préfecture du {department}", "État", "84.11Z", SiteType.PUBLIC_BUILDING, "1"),
    ("Sous-préfecture de {commune}", "État", "84.11Z", SiteType.PUBLIC_BUILDING, "1"),
    ("Centre des finances publiques de {commune}", "État", "84.11Z", SiteType.OFFICE, "1"),
    (
        "Gendarmerie nationale — brigade de {commune}",
        "État",
        "84.24Z",
        SiteType.PUBLIC_BUILDING,
        "1",
    ),
    ("Commissariat de police de {commune}", "État", "84.24Z", SiteType.PUBLIC_BUILDING, "1"),
    (
        "Centre d'incendie et de secours de {commune}",
        "EPA",
        "84.25Z",
        SiteType.PUBLIC_BUILDING,
        "2",
    ),
    ("Tribunal judiciaire de {commune}", "État", "84.23Z", SiteType.PUBLIC_BUILDING, "1"),
    (
        "Direction départementale des territoires du {department}",
        "État",
        "84.13Z",
        SiteType.OFFICE,
        "1",
    ),
    (
        "Caisse primaire d'assurance maladie — agence de {commune}",
        "Organisme",
        "84.30A",
        SiteType.OFFICE,
        "7",
    ),
    ("Quartier militaire de {commune}", "État", "84.22Z", SiteType.PUBLIC_BUILDING, "1"),
    (
        "Agence régionale de santé — délégation du {department}",
        "EPA",
        "84.12Z",
        SiteType.OFFICE,
        "1",
    ),
)

# Farmers: (activity, NAF). A farm may be a person or a company (EARL, GAEC, SCEA).
FARM_ACTIVITIES = (
    ("Domaine viticole", "01.21Z"),
    ("Ferme laitière", "01.41Z"),
    ("Exploitation céréalière", "01.11Z"),
    ("Maraîchage", "01.13Z"),
    ("Vergers", "01.24Z"),
    ("Élevage avicole", "01.47Z"),
    ("Polyculture-élevage", "01.50Z"),
)
FARM_LEGAL_FORMS = (("EARL", 45), ("GAEC", 35), ("SCEA", 20))

# Large accounts: (name pattern with {name}, NAF, site type).
LARGE_ACCOUNTS = (
    ("{name} Industries", "25.62B", SiteType.INDUSTRIAL),
    ("Laiterie {name}", "10.51A", SiteType.INDUSTRIAL),
    ("Brasseries {name}", "11.05Z", SiteType.INDUSTRIAL),
    ("Papeteries {name}", "17.12Z", SiteType.INDUSTRIAL),
    ("Chimie {name}", "20.14Z", SiteType.INDUSTRIAL),
    ("Clinique {name}", "86.10Z", SiteType.HEALTH),
    ("Habitat {name}", "68.20A", SiteType.RESIDENTIAL_BUILDING),
    ("Centre commercial {name}", "68.20B", SiteType.SHOP),
    ("Blanchisserie industrielle {name}", "96.01A", SiteType.INDUSTRIAL),
    ("Hôtel {name}", "55.10Z", SiteType.OTHER),
)
LARGE_LEGAL_FORMS = (("SA", 50), ("SAS", 50))

EMAIL_DOMAINS = (
    ("orange.fr", 22),
    ("gmail.com", 28),
    ("free.fr", 10),
    ("laposte.net", 6),
    ("sfr.fr", 6),
    ("wanadoo.fr", 8),
    ("hotmail.fr", 8),
    ("yahoo.fr", 5),
    ("outlook.fr", 7),
)

# Meter locations: (location, accessibility, weight).
_A, _N, _U = (
    MeterAccessibility.ACCESSIBLE,
    MeterAccessibility.NOT_ACCESSIBLE,
    MeterAccessibility.UNKNOWN,
)
HOUSE_METER_LOCATIONS = (
    ("Regard extérieur", _A, 35),
    ("Cave", _N, 25),
    ("Garage", _N, 10),
    ("Sous-sol", _N, 8),
    ("Regard en limite de propriété", _A, 7),
    ("Cuisine", _N, 3),
    ("Buanderie", _N, 3),
    ("N/A", _U, 9),
)
FLAT_METER_LOCATIONS = (
    ("Placard palier", _A, 40),
    ("Gaine technique palier", _A, 20),
    ("Cave", _N, 15),
    ("Salle de bains", _N, 5),
    ("Cuisine", _N, 5),
    ("N/A", _U, 15),
)
SITE_METER_LOCATIONS = (
    ("Local technique", _A, 25),
    ("Regard extérieur", _A, 30),
    ("Chaufferie", _N, 10),
    ("Sous-sol", _N, 15),
    ("Regard en limite de propriété", _A, 10),
    ("N/A", _U, 10),
)

# Meter makers' letters and model codes: serial = letter + 2-digit year + model + 6 digits.
METER_MAKERS = ("I", "S", "D", "E", "K")
METER_MODELS = ("BA", "FA", "SA", "NR", "MT", "RF")
