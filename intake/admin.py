from django.contrib import admin

from .models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only: a batch is a record of what was uploaded and imported."""

    list_display = ["original_name", "meeting", "status", "total_rows", "bad_rows", "owner"]
    list_filter = ["status", "meeting"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
