from django.contrib import admin

from robinet.metering.models import ValidationThreshold


@admin.register(ValidationThreshold)
class ValidationThresholdAdmin(admin.ModelAdmin):
    """METER-2 thresholds per customer class: reference data set by an administrator."""

    list_display = ["customer_class", "high_factor", "high_floor_m3", "zero_min_days"]
