"""Reference data: French communes (INSEE, postcodes) and NAF rév. 2 activity codes.

A plain package, not a Django app: the data ships as files in ``data/`` (see
``data/NOTICE.md`` for sources and licences), read lazily once and cached.
"""

from robinet.referential.communes import (
    Commune,
    commune_get,
    commune_matches,
    communes_for_postcode,
    communes_in_departments,
    search_communes,
)
from robinet.referential.naf import naf_choices, naf_get, naf_is_valid, naf_normalize

__all__ = [
    "Commune",
    "commune_get",
    "commune_matches",
    "communes_for_postcode",
    "communes_in_departments",
    "naf_choices",
    "naf_get",
    "naf_is_valid",
    "naf_normalize",
    "search_communes",
]
