"""Template context: what the signed-in user may do, decided by :mod:`roles`."""

from __future__ import annotations

from typing import Any

from review_ui.accounts.roles import CAPABILITIES, user_roles


def capabilities(request: Any) -> dict[str, Any]:
    """``caps.<capability>`` is True when the user has it; ``roles`` lists their roles."""
    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else set()
    caps = {name: bool(roles & allowed) for name, allowed in CAPABILITIES.items()}
    return {"caps": caps, "roles": sorted(roles)}
