"""Days staff add to the China calendar: a holiday the library does not know yet, or a weekend
day the State Council made a working day (调休) before the library's next release."""

from __future__ import annotations

from django.db import models


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "Holiday (no business)"
    WORKDAY = "workday", "Working day (e.g. a 调休 weekend day)"


class CalendarDay(models.Model):
    day = models.DateField(unique=True)
    kind = models.CharField(max_length=10, choices=DayKind.choices)
    reason = models.CharField(max_length=200)
    added_by = models.CharField(max_length=150)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.reason}"
