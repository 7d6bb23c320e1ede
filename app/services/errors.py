"""Errors raised by services. Their messages are shown to the user in the user's language.

A service raises an error with a message id of the catalogue (app/messages.py) and its parameters:
``Invalid("inspection.item_not_in_checklist", item_id=item_id)``. ``exc.key`` and ``exc.params`` say
what went wrong to a program (the API returns the key); ``exc.message(lang)`` renders it for a person;
``str(exc)`` is the Simplified Chinese text. A parameter may itself be a message
(:class:`app.messages.Msg`), rendered in the same language.

Escape hatch (flagged by tests/test_catalogue.py): a first argument that is not a message id is shown as
it is, with ``en=`` as its English text.
"""

from __future__ import annotations

from typing import Any

from app import messages


class ServiceError(Exception):
    """Base class: a user-facing message by key and parameters."""

    def __init__(self, key: str = "", /, *, en: str | None = None, **params: Any):
        self.key: str | None = key if messages.has(key) else None
        self.params: dict[str, Any] = params
        self._zh, self._en = ("" if self.key else key), en
        super().__init__(self.message("zh"))

    @property
    def en(self) -> str | None:
        """The English text (kept for callers of the former ``Invalid("中文", en=...)`` form)."""
        return self.message("en") if self.key is not None else self._en

    def message(self, lang: str = "zh") -> str:
        if self.key is not None:
            return messages.text(self.key, lang, **self.params)
        return self._en if lang == "en" and self._en else self._zh

    def render(self, lang: str) -> str:
        """The same as :meth:`message`: a service error is a renderable, usable as another message's parameter."""
        return self.message(lang)

    def __reduce__(self) -> Any:  # pickles (e.g. across a process pool) keep key and parameters
        return (_rebuild, (type(self), self.key or self._zh, self._en, self.params, self.__dict__))


def _rebuild(cls: type[ServiceError], key: str, en: str | None, params: dict[str, Any],
             state: dict[str, Any]) -> ServiceError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, messages.text(key, "zh", **params) if messages.has(key) else key)
    exc.__dict__.update(state)
    return exc


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    """The request clashes with the current state (e.g. the inspection is already submitted)."""


class Invalid(ServiceError):
    """Bad input: names the field or item."""


class Unavailable(ServiceError):
    """The database could not serve the request now (busy, unreachable); nothing was stored. Retry."""


def from_database_error(exc: BaseException) -> ServiceError:
    """A user-facing error for a database failure (the original is chained and logged by the caller)."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.TimeoutError):  # the connection pool stayed full for the whole timeout
        return Unavailable("db.pool_full")
    if isinstance(exc, sa_exc.IntegrityError):
        return Conflict("db.concurrent_change")
    text = str(getattr(exc, "orig", exc)).lower()
    if "locked" in text or "deadlock" in text or "could not serialize" in text or "lock timeout" in text:
        return Unavailable("db.busy")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return Unavailable("db.unreachable")
    return Unavailable("db.error")
