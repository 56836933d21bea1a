"""Move-in and move-out indexes are readings of the meter (METER-1).

Registered with :func:`robinet.customers.hooks.register_contract_reading_recorder`,
so that the customer file records them without depending on metering. The
reading is validated like any other (an index below the previous holder's
last reading is held for review); a live reading of the meter on that day
already says it, so nothing more is recorded (a change of holder is one
reading that closes one contract and opens the next).
"""

from robinet.metering.choices import ReadingStatus
from robinet.metering.models import Reading


def record_contract_reading(*, actor, service_point, meter, read_on, index, source: str) -> None:
    from robinet.metering.services import reading_record

    if Reading.objects.filter(
        meter=meter, read_on=read_on, status__in=[ReadingStatus.VALID, ReadingStatus.HELD]
    ).exists():
        return
    reading_record(
        actor=None,  # the contract service checked the actor's rights
        service_point=service_point,
        meter=meter,
        read_on=read_on,
        index=index,
        source=source,
    )
