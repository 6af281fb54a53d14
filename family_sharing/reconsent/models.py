"""One re-consent request per binding a guardian consented to, made when the beneficiary turned 16
(decision record 0020). The binding keeps its own status; this row says when the young person was
asked, the last day they may answer before the binding is suspended, and their answer."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from family_sharing.models import Binding

# The young person answers on the day asked and the 29 days after it; unanswered on the 30th day
# after the request, the binding is suspended (DESIGN.md section 6: "within 30 days").
ANSWER_DAYS = 30


class ReconsentAnswer(models.TextChoices):
    CONFIRMED = "confirmed", "本人确认继续共济"
    DECLINED = "declined", "本人不同意，绑定解除"


class ReconsentRequest(models.Model):
    binding = models.OneToOneField(
        Binding, on_delete=models.CASCADE, related_name="reconsent", verbose_name="共济绑定"
    )
    requested_on = models.DateField("询问日期")
    due_on = models.DateField("最晚确认日期")
    answer = models.CharField(
        "本人答复", max_length=10, choices=ReconsentAnswer.choices, blank=True, default=""
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="答复人",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "年满16周岁本人确认"
        constraints = [
            models.CheckConstraint(
                condition=Q(answer__in=["", "confirmed", "declined"]), name="reconsent_answer_valid"
            ),
            # an answer has its time and who gave it; an open request has neither
            models.CheckConstraint(
                condition=Q(answer="", answered_at__isnull=True, answered_by__isnull=True)
                | (~Q(answer="") & Q(answered_at__isnull=False, answered_by__isnull=False)),
                name="reconsent_answered_whole",
            ),
            models.CheckConstraint(
                condition=Q(due_on=F("requested_on") + dt.timedelta(days=ANSWER_DAYS - 1)),
                name="reconsent_due_after_30_days",
            ),
        ]
        indexes = [
            # the daily pass looks up the open requests past their last day
            models.Index(fields=["due_on"], condition=Q(answer=""), name="reconsent_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.binding_id} {self.requested_on}"
