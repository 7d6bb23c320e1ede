"""Errors raised by services. Their messages are shown to the user (Chinese first).

``str(exc)`` is the Simplified Chinese message; ``exc.en`` the English one when the raiser gave it
(the UI shows it when the language is English).
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: ``str(exc)`` is a user-facing message."""

    def __init__(self, message: str = "", *, en: str | None = None):
        super().__init__(message)
        self.en = en

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" and self.en else str(self)


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
        return Unavailable("服务器繁忙（数据库连接已满），本次操作未保存，请稍后重试",
                           en="The server is busy (all database connections in use); nothing was saved, "
                              "please retry")
    if isinstance(exc, sa_exc.IntegrityError):
        return Conflict("数据已被其他人同时修改，本次操作未保存，请刷新后重试",
                        en="Someone changed the same data at the same time; nothing was saved, "
                           "please reload and retry")
    text = str(getattr(exc, "orig", exc)).lower()
    if "locked" in text or "deadlock" in text or "could not serialize" in text or "lock timeout" in text:
        return Unavailable("数据库繁忙（其他操作正在写入），本次操作未保存，请稍后重试",
                           en="The database is busy with other writes; nothing was saved, please retry")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return Unavailable("数据库暂时无法访问，本次操作未保存，请稍后重试或联系管理员",
                           en="The database cannot be reached right now; nothing was saved, "
                              "please retry or tell the administrator")
    return Unavailable("数据库出错，本次操作未保存，请联系管理员",
                       en="Database error; nothing was saved, please tell the administrator")
