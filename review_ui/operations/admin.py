"""Read-mostly admin views of sources and runs (the operator pages are the real UI)."""

from django.contrib import admin

from review_ui.operations.models import CrawlRun, HousekeepingRun, SchedulerHeartbeat, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "enabled", "schedule_kind", "cron", "interval_minutes", "updated_at"]
    list_filter = ["enabled", "schedule_kind"]
    search_fields = ["name"]


@admin.register(CrawlRun)
class CrawlRunAdmin(admin.ModelAdmin):
    list_display = [
        "run_id",
        "source",
        "state",
        "trigger",
        "attempt",
        "started",
        "duration_seconds",
    ]
    list_filter = ["state", "trigger", "source"]
    search_fields = ["run_id"]
    readonly_fields = [f.name for f in CrawlRun._meta.fields]


admin.site.register(SchedulerHeartbeat)
admin.site.register(HousekeepingRun)
