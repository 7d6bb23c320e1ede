"""Who is acting. Built by :mod:`app.services.auth` from the database, never by a page."""

from __future__ import annotations

from dataclasses import dataclass, field

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
            raise PermissionDenied(f"权限不足：需要角色 {' / '.join(roles)}（当前 {self.role}）")

    def require_site(self, site_id: int) -> None:
        if not self.can_see_site(site_id):
            raise PermissionDenied("权限不足：该管理处未分配给您")


SYSTEM = Actor(id=0, username="system", display_name="system", role="admin")
