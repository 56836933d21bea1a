"""Legal notices the officer reads to the customer (seed 003, §4.4 and §5.1.3.1)."""

from django.utils.translation import gettext_lazy as _

BLOCTEL_NOTICE = _(
    "Lorsque vous communiquez vos données téléphoniques, vous disposez du droit de vous "
    "inscrire sur la liste d'opposition au démarchage téléphonique. Pour plus de "
    "renseignements, vous pouvez consulter le site www.bloctel.gouv.fr"
)

CONTACT_CONSENT_NOTICE = _(
    "Sachez qu'en nous communiquant votre adresse e-mail et votre numéro de téléphone mobile, "
    "vous acceptez de recevoir de la part de notre société des informations par e-mail ou SMS "
    "en lien avec votre contrat (par exemple : l'envoi de documents contractuels, votre "
    "confirmation d'abonnement, les confirmations de rendez-vous, les comptes rendus "
    "d'intervention sur votre compteur...)"
)
