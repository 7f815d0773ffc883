"""The interface language: Chinese by default, English for whoever asks for it.

A signed-in person's choice is kept in ``User.preferences["language"]`` so that it follows them to
another browser; a visitor's is kept in Django's language cookie. The browser's Accept-Language is
never consulted: a clerk whose browser happens to be English still gets the Chinese the office
works in until they switch.

Letters, 文号 and the portal's official texts stay Chinese whatever the reader's language; they
render under ``in_chinese``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

PREFERENCE_KEY = "language"


def supported(code: str | None) -> str | None:
    """``code`` if it is one of settings.LANGUAGES, else None."""
    if code and code in dict(settings.LANGUAGES):
        return code
    return None


def user_language(user: Any) -> str:
    """The language ``user`` reads the interface in (the default for anyone without a choice)."""
    prefs = getattr(user, "preferences", None) or {}
    return supported(prefs.get(PREFERENCE_KEY)) or settings.LANGUAGE_CODE


def request_language(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    cookie = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if user is not None and user.is_authenticated:
        chosen = supported((user.preferences or {}).get(PREFERENCE_KEY))
        if chosen:
            return chosen
        if cookie:  # chosen on the login page before signing in: keep it with the account
            remember(user, cookie)
    return cookie or settings.LANGUAGE_CODE


def remember(user: Any, language: str) -> None:
    """Keep ``language`` as ``user``'s choice (in User.preferences)."""
    from .models import User

    prefs = dict(user.preferences or {})
    if prefs.get(PREFERENCE_KEY) != language:
        prefs[PREFERENCE_KEY] = language
        User.objects.filter(pk=user.pk).update(preferences=prefs)
        user.preferences = prefs


class UserLanguageMiddleware:
    """Activates the reader's language for the request (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary = response.headers.get("Vary", "")
        if "Cookie" not in patch_vary:
            response.headers["Vary"] = f"{patch_vary}, Cookie" if patch_vary else "Cookie"
        translation.deactivate()
        return response


def in_chinese(view: Callable[..., Any]) -> Callable[..., Any]:
    """Renders ``view`` in Chinese whatever the reader chose (the portal's official pages)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with translation.override(settings.LANGUAGE_CODE):
            response = view(request, *args, **kwargs)
            # a template response renders later, outside this block: render it now
            render = getattr(response, "render", None)
            if callable(render) and not getattr(response, "is_rendered", True):
                response = render()
        return response

    return wrapper


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switches the interface language and goes back to the page the switch was on."""
    language = supported(request.POST.get("language")) or settings.LANGUAGE_CODE
    target = request.POST.get("next") or "/"
    if not (
        target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.user.is_authenticated:
        remember(request.user, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


# Separators between the parts of a sentence built from pieces: "、", "，" and "；" in Chinese,
# ", " and "; " in English. Context-qualified so that the translator sees what each one is for
# (proposals.separators and its template filters use the same ones).
def list_separator() -> str:
    return pgettext("separator between the names of a list", "、")


def clause_separator() -> str:
    return pgettext("separator between phrases of a sentence", "，")


def semicolon_separator() -> str:
    return pgettext("separator between clauses of a sentence", "；")


def msgid_of(label: Any) -> str:
    """The untranslated source text of a lazy translation (a choice's label, say)."""
    with translation.override(None):  # no catalogue: gettext returns the msgid itself
        return str(label)


Param = Any  # str | int | Text | date | list, see Text


class Text:
    """A message to render later, in the language of whoever reads it.

    Notes of the handling history and notices are written once but read by people who chose
    different languages; they are kept as the message's source text (a msgid, marked for
    extraction with gettext_noop at the call site) and its parameters, and rendered per reader.
    Parameters are plain values (data such as names and titles, kept as they are), other Texts,
    lazy labels (rendered as Texts of their msgid), dates (formatted in the reader's language),
    or lists (joined with the reader's separator).
    """

    __slots__ = ("msgid", "params", "separator")

    def __init__(self, msgid: str, /, **params: Param) -> None:
        self.msgid = msgid
        self.params = {key: self._param(value) for key, value in params.items()}
        self.separator = ""

    @classmethod
    def label(cls, lazy: Any) -> Text:
        return cls(msgid_of(lazy))

    @classmethod
    def join(cls, parts: list[Param], separator: str = "list") -> Text:
        """Parts shown one after another with the reader's list ("、"), clause ("，") or
        semicolon ("；") separator."""
        text = cls("")
        text.params = {"parts": [cls._param(part) for part in parts]}
        text.separator = separator
        return text

    @classmethod
    def _param(cls, value: Param) -> Any:
        from django.utils.functional import Promise

        if isinstance(value, Promise):
            return cls.label(value)
        if isinstance(value, (list, tuple)):
            return cls.join(list(value))
        return value

    def render(self) -> str:
        if self.separator:
            separator = {
                "list": list_separator,
                "clause": clause_separator,
                "semicolon": semicolon_separator,
            }[self.separator]()
            return separator.join(_render(part) for part in self.params["parts"])
        source = translation.gettext(self.msgid) if self.msgid else ""
        if not self.params:
            return source
        return source % {key: _render(value) for key, value in self.params.items()}

    def render_in(self, language: str) -> str:
        with translation.override(language):
            return self.render()

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, {self.params!r})"

    def to_json(self) -> dict[str, Any]:
        if self.separator:
            return {"j": [_to_json(p) for p in self.params["parts"]], "s": self.separator}
        data: dict[str, Any] = {"m": self.msgid}
        if self.params:
            data["p"] = {key: _to_json(value) for key, value in self.params.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Text:
        if "j" in data:
            text = cls("")
            text.params = {"parts": [_from_json(p) for p in data["j"]]}
            text.separator = data.get("s", "list")
            return text
        text = cls(data.get("m", ""))
        text.params = {key: _from_json(value) for key, value in (data.get("p") or {}).items()}
        return text


def _render(value: Any) -> str:
    import datetime

    from django.utils.formats import date_format

    if isinstance(value, Text):
        return value.render()
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return _date_in(value, translation.get_language())
    return str(value)


@lru_cache(maxsize=4096)
def _date_in(day: Any, language: str | None) -> str:
    """A day in words in the active language (cached: a reminder sweep writes many)."""
    from django.utils.formats import date_format

    return date_format(day, "DATE_FORMAT")


def _to_json(value: Any) -> Any:
    import datetime

    if isinstance(value, Text):
        return value.to_json()
    if isinstance(value, datetime.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return str(value)


def _from_json(value: Any) -> Any:
    import datetime

    if isinstance(value, dict):
        if "d" in value:
            return datetime.date.fromisoformat(value["d"])
        if "t" in value:
            return datetime.datetime.fromisoformat(value["t"])
        return Text.from_json(value)
    return value


def render_for(message: str | Text, language: str) -> str:
    """``message`` in ``language`` (a plain string is already rendered and stays as it is)."""
    return message.render_in(language) if isinstance(message, Text) else str(message)
