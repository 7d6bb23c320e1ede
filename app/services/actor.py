"""Who is acting. Built by :mod:`app.services.auth` from the database, never by a page."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.messages import Joined, msg
from app.services.errors import PermissionDenied


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    username: str
    display_name: str
    role: str  # admin | manager | supervisor | staff
    site_ids: frozenset[int] = field(default_factory=frozenset)
    staff_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see_site(self, site_id: int) -> bool:
        return self.is_admin or site_id in self.site_ids

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise PermissionDenied("auth.role_required", roles=Joined(tuple(msg(f"role_{r}") for r in roles), {"zh": " / ", "en": " / "}), role=msg(f"role_{self.role}"))

    def require_site(self, site_id: int) -> None:
        if not self.can_see_site(site_id):
            raise PermissionDenied("auth.site_not_assigned")


SYSTEM = Actor(id=0, username="system", display_name="system", role="admin")
