from django.db import models


class RateCounter(models.Model):
    """One fixed-window rate limit: ``count`` requests under ``key`` until the window ends.

    Written only by ``backoffice.core.throttling`` in one upsert statement; the hourly beat
    job deletes rows whose window has ended.
    """

    key = models.CharField(max_length=255, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    # Unix time in milliseconds: the same arithmetic on SQLite and PostgreSQL, no casts.
    window_ends_ms = models.BigIntegerField(db_index=True)

    class Meta:
        db_table = "core_rate_counter"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
