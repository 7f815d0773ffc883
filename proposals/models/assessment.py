"""The year-end assessment rubric of handling units (单位考评): how much each scorecard rate
weighs and how many points each re-handled assignment costs. Edited by the administrator in
the Django admin; the scorecards page uses the active rubric of the year (proposals.dashboards
computes the scores)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The rates a rubric weighs, in the order they are shown: (field, label).
RUBRIC_RATES = (
    ("on_time", _("按期答复率")),
    ("class_a", _("A类答复占比")),
    ("satisfaction", _("满意率")),
    ("face_to_face", _("当面沟通率")),
    ("disclosure", _("答复公开率")),
)

DEFAULT_WEIGHTS = {
    "on_time": Decimal("30"),
    "class_a": Decimal("20"),
    "satisfaction": Decimal("30"),
    "face_to_face": Decimal("10"),
    "disclosure": Decimal("10"),
    "rehandling_penalty": Decimal("5"),
}


def _weight(label: Any, default: Decimal, help_text: Any) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=default,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=help_text,
    )


class AssessmentRubricQuerySet(models.QuerySet["AssessmentRubric"]):
    def current(self, year: int | None = None) -> AssessmentRubric:
        """The active rubric of the year; else the latest active one; else the default
        weights (an unsaved rubric)."""
        active = self.filter(is_active=True).order_by("-year", "-pk")
        rubric = None
        if year is not None:
            rubric = active.filter(year=year).first()
        rubric = rubric or active.first()
        return rubric or AssessmentRubric.default()


class AssessmentRubric(models.Model):
    """考评细则: weights of the scorecard rates and the penalty per re-handled assignment.

    A unit's score is 100 × Σ(weight × rate) / Σ(weight), less the penalty for each re-handled
    assignment, kept between 0 and 100. Missing data is never rewarded: a unit without a rate
    that other units in scope have (no rating yet, nothing due yet) gets no score and is listed
    apart as 数据不足 (proposals.dashboards.assessment_scores); a rate no unit has is left out
    for all of them.
    """

    name = models.CharField(_("名称"), max_length=60, help_text=_("如：2026年度承办单位考评细则"))
    year = models.PositiveSmallIntegerField(_("年度"))
    on_time = _weight(_("按期答复率权重"), DEFAULT_WEIGHTS["on_time"], _("在期限内答复的比例"))
    class_a = _weight(
        _("A类答复占比权重"),
        DEFAULT_WEIGHTS["class_a"],
        _("答复类别为会议所定第一类（通常为A类：已解决或基本解决）的比例"),
    )
    satisfaction = _weight(
        _("满意率权重"),
        DEFAULT_WEIGHTS["satisfaction"],
        _("办理工作和办理结果均为满意或基本满意的测评所占比例"),
    )
    face_to_face = _weight(
        _("当面沟通率权重"),
        DEFAULT_WEIGHTS["face_to_face"],
        _("已答复的交办中，答复前与代表委员面商、座谈或走访的比例"),
    )
    disclosure = _weight(
        _("答复公开率权重"), DEFAULT_WEIGHTS["disclosure"], _("已发出答复中同意公开的比例")
    )
    rehandling_penalty = _weight(
        _("重新办理扣分"),
        DEFAULT_WEIGHTS["rehandling_penalty"],
        _("每件重新办理的交办扣减的分数（满分100分）"),
    )
    is_active = models.BooleanField(
        _("启用"), default=True, help_text=_("每个年度只能启用一套考评细则")
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = AssessmentRubricQuerySet.as_manager()

    class Meta:
        verbose_name = _("考评细则")
        verbose_name_plural = _("考评细则")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(is_active=True),
                name="assessment_rubric_one_active_per_year",
                violation_error_message=_("这一年度已有启用的考评细则，请先停用原细则。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    @classmethod
    def default(cls) -> AssessmentRubric:
        return cls(name=str(_("默认考评细则")), year=0, is_active=True, **DEFAULT_WEIGHTS)

    @property
    def is_default(self) -> bool:
        return self.pk is None

    def weights(self) -> dict[str, Decimal]:
        """The rates' weights, by field name, in display order."""
        return {field: Decimal(getattr(self, field)) for field, _label in RUBRIC_RATES}

    def clean(self) -> None:
        weights = [getattr(self, field) for field, _label in RUBRIC_RATES]
        if not any(weight is not None and weight > 0 for weight in weights):
            raise ValidationError(_("至少要有一项比率的权重大于0。"))
