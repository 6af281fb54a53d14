"""The log of suggested-relative listings (DESIGN.md section 6: each listing is logged)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class ListingSurface(models.TextChoices):
    WEB = "web", "网页（家庭共济）"
    API = "api", "接口"


class SuggestionListing(models.Model):
    """One listing of a resident's suggested relatives: who asked, when, where, and which persons
    were shown to them (masked). Written in the same transaction as the listing is read."""

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="查看人"
    )
    surface = models.CharField("查看位置", max_length=3, choices=ListingSurface.choices)
    # Person ids, in the order shown. Not foreign keys: a log row records what was shown then.
    relatives = ArrayField(models.BigIntegerField(), verbose_name="列出的亲属", default=list, blank=True)
    listed_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "推荐亲属查看记录"
        ordering = ["-listed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(surface__in=["web", "api"]), name="listing_surface_valid"
            ),
        ]
        indexes = [models.Index(fields=["viewer", "-listed_at"], name="listing_viewer_time")]

    def __str__(self) -> str:
        return f"{self.viewer} {self.listed_at:%Y-%m-%d %H:%M}"

    @property
    def count(self) -> int:
        return len(self.relatives)
