"""个人 API 令牌 pages under /accounts/tokens/: the owner's list with the create form, the new
token shown once, and revoking one. The rules and writes are in accounts.api_tokens; every page
needs a session that passed the second factor where the role requires it (TwoFactorMiddleware),
which is why a token counts as verified."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from . import api_tokens
from .models import PersonalToken, User


class PersonalTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=60,
        help_text=gettext_lazy("用于区分令牌的用途，如：OA 系统对接、手机应用。"),
        error_messages={
            "required": gettext_lazy("请填写令牌名称。"),
            "max_length": gettext_lazy("名称最多 60 个字。"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("有效期"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("请选择有效期。"),
            "invalid_choice": gettext_lazy("请从列表中选择有效期。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.TypedChoiceField = self.fields["days"]  # type: ignore[assignment]
        field.choices = [
            (days, _("%(days)d 天") % {"days": days}) for days in api_tokens.expiry_day_choices()
        ]
        field.initial = api_tokens.default_expiry_days()

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise ValidationError(_("请填写令牌名称。"))
        return name


def _list_page(
    request: HttpRequest, form: PersonalTokenForm, status: int = 200, **extra: Any
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    tokens = PersonalToken.objects.for_user(user)
    return render(
        request,
        "accounts/tokens/list.html",
        {"title": _("API 令牌"), "tokens": tokens, "form": form, **extra},
        status=status,
    )


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's own tokens, and the form to create one. A created token's secret is in this
    answer only (never_cache: no-store), never stored readable nor put in the session."""
    user: User = request.user  # type: ignore[assignment]
    if request.method != "POST":
        return _list_page(request, PersonalTokenForm())
    form = PersonalTokenForm(request.POST)
    if form.is_valid():
        try:
            created = api_tokens.personal_token_create(
                user=user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(
                request,
                "accounts/tokens/created.html",
                {"title": _("API 令牌已创建"), "token": created.token, "secret": created.secret},
            )
    return _list_page(request, form, status=400)


@never_cache
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: are you sure? POST: revoke. Only the owner's own tokens (404 otherwise)."""
    user: User = request.user  # type: ignore[assignment]
    token = api_tokens.get_personal_token_for_user(user, pk)
    if request.method == "POST":
        if api_tokens.personal_token_revoke(token=token, actor=user, request=request):
            messages.success(
                request,
                _("令牌“%(name)s”已撤销，使用它的程序将无法再访问。") % {"name": token.name},
            )
        else:
            messages.info(request, _("该令牌此前已撤销。"))
        return redirect("accounts:tokens")
    return render(
        request,
        "accounts/tokens/revoke.html",
        {"title": _("撤销 API 令牌"), "token": token, "state": token.state},
    )
