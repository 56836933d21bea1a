"""Django admin of the ledger: the chart of accounts is configured here (labels, roles).

Accounts are never deleted (lines refer to their code, and the code is fixed once
created); journal entries and lines are append-only, shown read-only.
"""

from django.contrib import admin

from robinet.ledger.models import JournalEntry, JournalLine, LedgerAccount


@admin.register(LedgerAccount)
class LedgerAccountAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "role")
    search_fields = ("code", "label", "role")
    ordering = ("code",)

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fields = ("ledger_account", "customer_account", "debit", "credit")
    readonly_fields = fields
    raw_id_fields = ("customer_account",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "entry_date", "piece_ref", "label", "centre", "event")
    list_filter = ("journal", "year", "event")
    search_fields = ("piece_ref", "label")
    date_hierarchy = "entry_date"
    inlines = [JournalLineInline]


@admin.register(JournalLine)
class JournalLineAdmin(ReadOnlyAdmin):
    list_display = ("entry", "ledger_account", "customer_account", "debit", "credit")
    search_fields = ("ledger_account", "entry__piece_ref")
    raw_id_fields = ("entry", "customer_account")
