"""Django admin of collections: the dunning procedures are configured here (COLL-1).

A procedure's levels are checked as a whole with :func:`services.check_levels`
(ranks 1, 2, 3…, days strictly increasing, known actions) before anything is
saved; a refusal is shown on the levels. Proposals, notices and the timeline
are read-only: they are written by the dunning runs and the review screens.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from robinet.collections import services
from robinet.collections.choices import Action
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DunningLevel,
    DunningNotice,
    DunningProcedure,
    DunningProposal,
    NoticeItem,
    ProcedureClass,
    ProposalItem,
)
from robinet.core.exceptions import ValidationFailed


class LevelForm(forms.ModelForm):
    actions = forms.MultipleChoiceField(
        label=DunningLevel._meta.get_field("actions").verbose_name,
        choices=Action.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = DunningLevel
        fields = (
            "sequence",
            "label",
            "days_after_due",
            "min_amount",
            "actions",
            "delay_days",
            "charges_indemnity",
            "charges_interest",
        )


class LevelFormSet(forms.BaseInlineFormSet):
    """The procedure's levels, validated together (COLL-1)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        levels = [
            DunningLevel(**{name: form.cleaned_data.get(name) for name in LevelForm.Meta.fields})
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            services.check_levels(levels)
        except ValidationFailed as exc:
            raise ValidationError(
                [f"{field} : {message}" for field, msgs in exc.fields.items() for message in msgs]
            ) from exc


class LevelInline(admin.TabularInline):
    model = DunningLevel
    form = LevelForm
    formset = LevelFormSet
    extra = 0
    ordering = ("sequence",)


class ProcedureClassInline(admin.TabularInline):
    model = ProcedureClass
    extra = 0


@admin.register(DunningProcedure)
class DunningProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "jurisdiction", "is_default")
    search_fields = ("code", "label")
    inlines = [ProcedureClassInline, LevelInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the runs and the review screens only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProposalItemInline(ReadOnlyInline):
    model = ProposalItem
    fields = ("open_item", "from_level", "to_level", "open_amount", "due_date", "excluded")
    readonly_fields = fields


@admin.register(DunningProposal)
class DunningProposalAdmin(ReadOnlyAdmin):
    list_display = ("run", "account", "level", "status", "total", "fee_total")
    list_filter = ("status",)
    search_fields = ("account__number",)
    list_select_related = ("account", "level", "run")
    raw_id_fields = ("run", "account")
    inlines = [ProposalItemInline]


class NoticeItemInline(ReadOnlyInline):
    model = NoticeItem
    fields = ("document_number", "due_date", "open_amount", "level")
    readonly_fields = fields


@admin.register(DunningNotice)
class DunningNoticeAdmin(ReadOnlyAdmin):
    list_display = ("number", "account", "level", "issued_on", "pay_by", "total_due", "fee_total")
    search_fields = ("number", "account__number")
    list_select_related = ("account", "level")
    date_hierarchy = "issued_on"
    inlines = [NoticeItemInline]


@admin.register(CollectionEvent)
class CollectionEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_on", "account", "kind", "summary", "actor", "next_step_on")
    list_filter = ("kind",)
    search_fields = ("account__number", "summary")
    list_select_related = ("account", "actor")


@admin.register(CollectionBlock)
class CollectionBlockAdmin(ReadOnlyAdmin):
    list_display = ("account", "reason", "starts_on", "ends_on", "lifted_on", "reference")
    list_filter = ("reason",)
    search_fields = ("account__number", "reference")
    list_select_related = ("account",)
