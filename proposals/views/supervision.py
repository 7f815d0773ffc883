"""The supervisor's dashboard (督办仪表盘) and the unit scorecards with the year-end assessment
(单位考评). Read-only pages; the numbers come from proposals.dashboards, scoped to the
supervisor's bodies, in a constant number of queries."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.decorators import role_required
from accounts.models import Role, User
from replies.models import Evaluation, ReplyStatus
from replies.permissions import replies_for_user

from .. import dashboards
from ..models import AssessmentRubric, Assignment, Meeting, Proposal
from ..separators import clauses

DUE_SOON_DAYS = 7


class ScopeForm(forms.Form):
    """The meeting or year the numbers are about: only meetings of the supervisor's bodies."""

    meeting = forms.ChoiceField(label=gettext_lazy("届次会议"), required=False)
    year = forms.ChoiceField(label=gettext_lazy("年度"), required=False)

    def __init__(self, *args: Any, meetings: list[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meetings = {str(meeting.pk): meeting for meeting in meetings}
        years = sorted({meeting.year for meeting in meetings}, reverse=True)
        meeting_field: forms.ChoiceField = self.fields["meeting"]  # type: ignore[assignment]
        meeting_field.choices = [
            ("", _("全部会议")),
            *((pk, meeting.short_name) for pk, meeting in self.meetings.items()),
        ]
        year_field: forms.ChoiceField = self.fields["year"]  # type: ignore[assignment]
        year_field.choices = [
            ("", _("全部年度")),
            *((str(y), _("%(y)s年") % {"y": y}) for y in years),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        meeting = self.meetings.get(data.get("meeting") or "")
        year = int(data["year"]) if data.get("year") else None
        if meeting is not None and year is not None and meeting.year != year:
            raise forms.ValidationError(_("所选会议不属于所选年度。"))
        data["meeting"], data["year"] = meeting, year
        return data

    def scope(self) -> tuple[Meeting | None, int | None]:
        """The chosen meeting and year; neither when nothing (valid) was chosen."""
        if not self.is_bound or not self.is_valid():
            return None, None
        return self.cleaned_data["meeting"], self.cleaned_data["year"]


def _scope_form(request: HttpRequest, user: User) -> tuple[ScopeForm, Meeting | None, int | None]:
    meetings = list(dashboards.scorecard_meetings(user))
    bound = "meeting" in request.GET or "year" in request.GET
    form = ScopeForm(request.GET if bound else None, meetings=meetings)
    meeting, year = form.scope()
    return form, meeting, year


def _narrow(queryset: Any, meeting_path: str, meeting: Meeting | None, year: int | None) -> Any:
    if meeting is not None:
        queryset = queryset.filter(**{meeting_path: meeting})
    if year is not None:
        queryset = queryset.filter(**{f"{meeting_path}__year": year})
    return queryset


@role_required(Role.SUPERVISOR)
def dashboard(request: HttpRequest) -> HttpResponse:
    """督办仪表盘: counts by status, due within 7 days, overdue by unit, key items, result
    classes and satisfaction, trends by meeting; each with a chart and its numbers."""
    user: User = request.user  # type: ignore[assignment]
    today = timezone.localdate()
    form, meeting, year = _scope_form(request, user)
    items = _narrow(Proposal.objects.for_user(user), "meeting", meeting, year)
    assignments = _narrow(Assignment.objects.for_user(user), "proposal__meeting", meeting, year)
    replies = _narrow(replies_for_user(user), "proposal__meeting", meeting, year)
    evaluations = Evaluation.objects.filter(
        reply__in=replies.filter(status__in=[ReplyStatus.SENT, ReplyStatus.SUPERSEDED]).values("pk")
    )

    trend = dashboards.trend_by_meeting(items)
    statuses = dashboards.status_counts(items, trend)
    overdue = dashboards.overdue_by_unit(assignments, today=today)
    key = dashboards.key_items(items, today=today)
    in_scope = [meeting] if meeting is not None else list(form.meetings.values())
    if year is not None:
        in_scope = [m for m in in_scope if m.year == year]
    classes = dashboards.class_shares(replies, dashboards.result_classes_of(in_scope))
    satisfaction = dashboards.satisfaction_shares(evaluations)

    status_rows = [(label, n) for _code, label, n in statuses]
    overdue_rows = [(row.short_name, row.total) for row in overdue]
    class_rows = dashboards.percent_rows(classes)
    result_rows = dashboards.percent_rows(satisfaction.result)
    trend_series = [_("提交"), _("立案"), _("已答复"), _("已办结")]
    trend_rows = [
        (row.short_name, (row.submitted, row.registered, row.replied, row.closed)) for row in trend
    ]
    charts = {
        "status": dashboards.bar_chart(
            "chart-status",
            _("按状态统计"),
            status_rows,
            description=dashboards.chart_description(status_rows),
        ),
        "overdue": dashboards.bar_chart(
            "chart-overdue",
            _("逾期交办（按单位）"),
            overdue_rows,
            description=dashboards.chart_description(overdue_rows),
        ),
        "classes": dashboards.bar_chart(
            "chart-classes",
            _("答复类别占比"),
            class_rows,
            percent=True,
            description=dashboards.chart_description(class_rows, percent=True),
        ),
        "satisfaction": dashboards.bar_chart(
            "chart-satisfaction",
            _("办理结果满意度"),
            result_rows,
            percent=True,
            description=dashboards.chart_description(result_rows, percent=True),
        ),
        "trend": dashboards.bar_chart(
            "chart-trend",
            _("各次会议办理情况"),
            trend_rows,
            series=trend_series,
            description=clauses(
                _(
                    "%(meeting)s：提交%(submitted)s，立案%(registered)s，已答复%(replied)s，已办结%(closed)s"
                )
                % {
                    "meeting": row.short_name,
                    "submitted": row.submitted,
                    "registered": row.registered,
                    "replied": row.replied,
                    "closed": row.closed,
                }
                for row in trend
            )
            or _("暂无数据"),
        ),
    }
    context = {
        "title": _("督办仪表盘"),
        "form": form,
        "meeting": meeting,
        "year": year,
        "today": today,
        "statuses": statuses,
        "total": sum(n for _code, _label, n in statuses),
        "due_soon": dashboards.due_soon(assignments, DUE_SOON_DAYS, today=today),
        "due_soon_days": DUE_SOON_DAYS,
        "overdue": overdue,
        "overdue_total": sum(row.total for row in overdue),
        "key": key,
        "classes": classes,
        "satisfaction": satisfaction,
        "trend": trend,
        "charts": charts,
    }
    return render(request, "proposals/dashboard.html", context)


def _ranked_scorecards(
    user: User, meeting: Meeting | None, year: int | None
) -> tuple[AssessmentRubric, list[dashboards.Scorecard], list[tuple[str, str]]]:
    """The active rubric, the units' scorecards ranked under it, and the result classes that
    the scorecards counted (the meetings in scope, in policy order)."""
    rubric = AssessmentRubric.objects.current(meeting.year if meeting is not None else year)
    ranked = dashboards.assessment_scores(
        dashboards.unit_scorecards(meeting, user, year=year), rubric
    )
    classes = [(code, label) for code, label, _n in ranked[0].class_counts] if ranked else []
    return rubric, ranked, classes


@role_required(Role.SUPERVISOR)
def scorecards(request: HttpRequest) -> HttpResponse:
    """单位考评: per unit, the scorecard of the chosen meeting (or year) and the assessment
    score from the active rubric, ranked; units without enough data listed apart."""
    user: User = request.user  # type: ignore[assignment]
    form, meeting, year = _scope_form(request, user)
    rubric, cards, classes = _ranked_scorecards(user, meeting, year)
    score_rows = [(card.short_name, card.score) for card in cards if card.score is not None]
    context = {
        "title": _("单位考评"),
        "form": form,
        "meeting": meeting,
        "year": year,
        "rubric": rubric,
        "rubric_rows": dashboards.rubric_rows(rubric),
        "cards": cards,
        "ranked_cards": [card for card in cards if card.has_enough_data],
        "insufficient_cards": [card for card in cards if not card.has_enough_data],
        "classes": classes,
        "headers": dashboards.scorecard_headers(classes),
        "score_chart": dashboards.bar_chart(
            "chart-scores",
            _("考评得分"),
            score_rows,
            maximum=100,
            description=dashboards.chart_description(score_rows),
        ),
    }
    return render(request, "proposals/scorecards.html", context)


@role_required(Role.SUPERVISOR)
def scorecards_export(request: HttpRequest) -> HttpResponse:
    """The ranking table of 单位考评 as an Excel file: same scope, rows, order and headers as
    the page; rates are typed numbers shown as percentages, a missing rate an empty cell."""
    from ..workbook import PERCENT_FORMAT, Column, write_rows

    user: User = request.user  # type: ignore[assignment]
    _form, meeting, year = _scope_form(request, user)
    _rubric, cards, classes = _ranked_scorecards(user, meeting, year)

    def share(rate: dashboards.Rate) -> Any:
        return None if rate.value is None else float(rate.value)

    rows = [
        [
            card.rank if card.has_enough_data else dashboards.insufficient_label(card),
            card.name,
            None if card.score is None else float(card.score),
            card.assignments,
            share(card.on_time_rate),
            *(share(class_share.rate) for class_share in card.class_shares),
            share(card.satisfaction_rate),
            card.rehandled,
            share(card.face_to_face_rate),
            share(card.disclosure_rate),
        ]
        for card in cards
    ]
    widths = {0: 16.0, 1: 28.0}
    columns = [
        Column(
            header,
            widths.get(index, max(10.0, 2.2 * len(header) + 4)),
            number_format=PERCENT_FORMAT if is_rate else "",
        )
        for index, (header, is_rate) in enumerate(dashboards.scorecard_columns(classes))
    ]
    content = write_rows(rows, columns, sheet_title=str(_("单位考评")))
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    scope = meeting.short_name if meeting is not None else (str(year) if year else _("全部"))
    response["Content-Disposition"] = content_disposition_header(
        True, _("单位考评-%(scope)s.xlsx") % {"scope": scope}
    )
    return response
