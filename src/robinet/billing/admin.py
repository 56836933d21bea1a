"""Django admin of billing: the price list (BILL-7) is configured here.

Issued invoices are not in the admin (BILL-6: never edited); quotes are
read-only here, their life goes through ``/billing/quotes/``; so are the
contribution agreements (``/billing/contributions/``).
"""

from django.contrib import admin

from robinet.billing.models import (
    BudgetInstalment,
    BudgetPlan,
    ContributionAgreement,
    ContributionInstalment,
    LeakReliefRequest,
    PriceListItem,
    Quote,
    QuoteLine,
)


@admin.register(PriceListItem)
class PriceListItemAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "label",
        "kind",
        "unit",
        "unit_price",
        "vat_rate",
        "service",
        "allowed_for_individuals",
        "deposit_percent",
        "valid_from",
        "valid_until",
    )
    list_filter = ("kind", "service", "allowed_for_individuals")
    search_fields = ("code", "label")
    ordering = ("kind", "code")


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in QuoteLine._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ("number", "account", "subject", "status", "issue_date", "valid_until")
    list_filter = ("status",)
    search_fields = ("number", "account__number", "subject")
    inlines = [QuoteLineInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Quote._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ContributionInstalmentInline(admin.TabularInline):
    model = ContributionInstalment
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in ContributionInstalment._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ContributionAgreement)
class ContributionAgreementAdmin(admin.ModelAdmin):
    list_display = ("number", "account", "project", "service", "status", "total_excl_vat")
    list_filter = ("status", "service")
    search_fields = ("number", "account__number", "project", "deliberation")
    inlines = [ContributionInstalmentInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ContributionAgreement._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BudgetInstalmentInline(admin.TabularInline):
    model = BudgetInstalment
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in BudgetInstalment._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BudgetPlan)
class BudgetPlanAdmin(admin.ModelAdmin):
    """Read-only: plans change through the services (BILL-10)."""

    list_display = ("id", "account", "contract", "year", "status", "estimate", "instalment_count")
    list_filter = ("status", "year")
    search_fields = ("account__number", "contract__number", "mandate__umr")
    inlines = [BudgetInstalmentInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in BudgetPlan._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LeakReliefRequest)
class LeakReliefRequestAdmin(admin.ModelAdmin):
    """Read-only: leak-relief requests change through the services (BILL-9)."""

    list_display = ("id", "invoice", "account", "status", "opened_on", "deadline", "credit_note")
    list_filter = ("status", "kind", "notice_missing")
    search_fields = ("account__number", "invoice__number")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in LeakReliefRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
