"""Writing to the audit log from views, commands and the scheduler."""

from __future__ import annotations

from typing import Any

from review_ui.accounts.models import AuditEntry


def record(
    who: Any,
    action: str,
    target_type: str = "",
    target_id: str = "",
    purpose: str = "",
    details: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEntry:
    """Append one entry. ``who`` is a request, a user, or a name (for the
    scheduler and commands, e.g. ``"system:scheduler"``); ``remote_addr``
    overrides the address taken from a request."""
    user = None
    addr = ""
    if hasattr(who, "user") and hasattr(who, "META"):
        user = who.user if who.user.is_authenticated else None
        addr = who.META.get("REMOTE_ADDR", "")
        name = user.get_username() if user else "anonymous"
    elif isinstance(who, str):
        name = who
    else:
        user = who
        name = who.get_username()
    return AuditEntry.objects.create(
        user=user,
        username=name,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:200],
        purpose=purpose,
        details=details or {},
        remote_addr=(remote_addr if remote_addr is not None else addr)[:64],
    )
