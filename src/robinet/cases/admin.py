from django.contrib import admin

from robinet.cases.models import CaseType, FieldTeam, Team


@admin.register(CaseType)
class CaseTypeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "label",
        "default_nature",
        "routing",
        "deadline_rule",
        "blocks_dunning",
        "intervention",
        "active",
    )
    list_filter = ("default_nature", "routing", "blocks_dunning", "active")
    search_fields = ("code", "label")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "entity", "active")
    list_filter = ("kind", "active")
    filter_horizontal = ("members",)


@admin.register(FieldTeam)
class FieldTeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "centre", "works_from", "works_until", "capacity", "active")
