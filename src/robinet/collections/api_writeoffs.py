"""JSON API (filled by its module)."""

from ninja import Router

router = Router(tags=["recouvrement"])
