"""Languages of the pages: Chinese (zh_CN) first, English on request.

Message ids are the Chinese texts themselves, so Chinese needs no catalogue; English lives in
``hub/translations/en/LC_MESSAGES/messages.po``. The .po file is read and compiled in memory when
a locale is first used: nothing to build at install time, and a wheel or a fresh clone carries
all it needs (``make translations`` extracts new ids and updates the .po; see docs/i18n.md).

``?lang=en`` (or ``zh``) switches and is remembered in the ``lang`` cookie for a year.
Times on pages are always Asia/Shanghai.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TypeVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, Response, request
from flask_babel import Babel, Domain, get_locale
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

_R = TypeVar("_R", bound=WerkzeugResponse)

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
COOKIE = "lang"
TIMEZONE = "Asia/Shanghai"


def load_catalogue(language: str, root: Path = TRANSLATIONS) -> NullTranslations:
    """The translations of ``language`` compiled from its .po file; none (the ids) when it has no file.
    Fuzzy entries are left out, as msgfmt does."""
    po = root / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain="messages")


class PoDomain(Domain):
    """Flask-Babel's domain, reading the .po files in memory instead of compiled .mo files."""

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        language = locale.language if locale is not None else "zh"
        if language not in self.cache:
            self.cache[language] = NullTranslations() if language == "zh" else load_catalogue(language)
        return self.cache[language]


class HubBabel(Babel):
    @property
    def domain_instance(self) -> Domain:  # one domain per Babel instance
        if not hasattr(self, "_po_domain"):
            self._po_domain = PoDomain()
        return self._po_domain


def select_locale() -> str:
    """``?lang=`` first, then the ``lang`` cookie, then Chinese."""
    wanted = _wanted(request.args.get("lang")) or _wanted(request.cookies.get(COOKIE))
    return wanted or DEFAULT_LOCALE


def _wanted(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_")
    if value in LANGUAGES:
        return value
    if value.split("_")[0] == "zh":
        return "zh_CN"
    return "en" if value.split("_")[0] == "en" else None


def remember_language(asked: WerkzeugRequest, response: _R) -> _R:
    """``?lang=`` remembered in the cookie when it differs from what the cookie says (also used by the
    public pages' cache, which answers before Flask's dispatch: hub.web.caching)."""
    chosen = _wanted(asked.args.get("lang"))
    if chosen and chosen != _wanted(asked.cookies.get(COOKIE)):
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def register_i18n(app: Flask) -> None:
    HubBabel(app, default_locale=DEFAULT_LOCALE, default_timezone=TIMEZONE, locale_selector=select_locale)

    @app.after_request
    def _remember_language(response: Response) -> Response:
        return remember_language(request, response)

    @app.context_processor
    def _languages() -> dict[str, object]:
        locale = get_locale()
        current = "zh_CN" if locale is None or locale.language == "zh" else str(locale)
        return {"languages": LANGUAGES, "current_language": current, "html_lang": current.replace("_", "-")}
