from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from robinet.organisation.models import Entity, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class RobinetUserAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    readonly_fields = ["path"]
