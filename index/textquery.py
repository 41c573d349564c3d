"""Turn what a person types in the search box into a safe FTS5 query.

Words are AND-ed; ``"two words"`` is a phrase; a trailing ``*`` asks for a
prefix; ``OR`` between words (upper case) makes an alternative. Everything
else is quoted, so no input can raise an FTS5 syntax error.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_query(text: str | None) -> str | None:
    """Return an FTS5 MATCH expression, or ``None`` when nothing searchable is left.

    >>> fts_query('vrouw "nieuw in" stad*')
    '"vrouw" "nieuw in" "stad"*'
    >>> fts_query('massage OR escort')
    '"massage" OR "escort"'
    >>> fts_query('!!') is None
    True
    """
    parts: list[str] = []
    for phrase, word in TOKEN.findall(text or ""):
        if word == "OR":
            if parts and parts[-1] != "OR":
                parts.append("OR")
            continue
        term = phrase if phrase else word
        prefix = bool(word) and word.endswith("*")
        term = term.rstrip("*") if prefix else term
        if not any(ch.isalnum() for ch in term):
            continue
        parts.append(_quote(term) + ("*" if prefix else ""))
    while parts and parts[-1] == "OR":
        parts.pop()
    return " ".join(parts) or None
