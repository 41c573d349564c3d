"""Who may do what: the one place that decides it.

Roles are Django groups. Views use :func:`role_required` (functions) or
:class:`RoleRequiredMixin` (classes); templates ask ``user_roles``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

OFFICER = "officer"
ANALYST = "analyst"
OPERATOR = "operator"
ADMIN = "admin"
ROLES = (OFFICER, ANALYST, OPERATOR, ADMIN)

#: What each capability needs. Admins may do everything.
CAPABILITIES: dict[str, frozenset[str]] = {
    "review": frozenset({OFFICER, ADMIN}),  # queue, decisions
    "view_ads": frozenset({OFFICER, ANALYST, ADMIN}),  # ad pages, photos, clusters
    "search": frozenset({OFFICER, ANALYST, ADMIN}),
    "export": frozenset({OFFICER, ANALYST, ADMIN}),
    "operate": frozenset({OPERATOR, ADMIN}),  # sources, schedules, runs
    "view_operations": frozenset({OPERATOR, ADMIN}),
    "audit": frozenset({ADMIN}),
}


def user_roles(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    roles = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if user.is_superuser:
        roles.add(ADMIN)
    return roles


def has_capability(user: Any, capability: str) -> bool:
    try:
        allowed = CAPABILITIES[capability]
    except KeyError:
        raise ValueError(
            f"Unknown capability '{capability}'; expected one of {sorted(CAPABILITIES)}."
        ) from None
    return bool(user_roles(user) & allowed)


def role_required(capability: str) -> Callable:
    """View decorator: anonymous users go to the login page, others without
    ``capability`` get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, capability):
                raise PermissionDenied(f"Your role may not do this ({capability}).")
            return view(request, *args, **kwargs)

        wrapped.capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


class RoleRequiredMixin:
    """Class-based view version of :func:`role_required`."""

    capability: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_capability(request.user, self.capability):
            raise PermissionDenied(f"Your role may not do this ({self.capability}).")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def ensure_groups(names: Iterable[str] = ROLES) -> None:
    from django.contrib.auth.models import Group

    for name in names:
        Group.objects.get_or_create(name=name)
