"""Errors raised by services. Their messages are shown to the user (Chinese first)."""


class ServiceError(Exception):
    """Base class: ``str(exc)`` is a user-facing message."""


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    """The request clashes with the current state (e.g. the inspection is already submitted)."""


class Invalid(ServiceError):
    """Bad input: names the field or item."""
