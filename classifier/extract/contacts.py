"""E-mail addresses, URLs and messenger or social handles in ad text.

Handles are reported as ``platform:value`` (``telegram:lisa_nl``,
``whatsapp:+31612345678``) so that ads can be linked on them like on phones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from classifier.extract._scan import ascii_fold_safe, finditer_at, keyword_starts, lowered
from classifier.extract.phones import find_phones

__all__ = ["ContactMatch", "find_emails", "find_handles", "find_urls"]


@dataclass(frozen=True, slots=True)
class ContactMatch:
    """An e-mail address, URL or handle, with its span in the original text.

    Attributes
    ----------
    value : str
        Normalised value: lower-case e-mail, URL as written, or ``platform:name``.
    start, end : int
        Span of the evidence in the original text.
    """

    value: str
    start: int
    end: int

    def to_dict(self) -> dict:
        """The match as a JSON-serialisable dict."""
        return asdict(self)


_TLDS = (
    "nl|com|be|de|net|org|eu|fr|uk|co\\.uk|info|ru|ro|pl|es|it|at|ch|bg|hu|cz|sk|lt|lv|ua|"
    "br|us|ca|io|me|xxx|sex|escort|club|online|site|biz|tv|to|ly"
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w][\w.+-]{0,63}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[a-z]{2,12}\b", re.I
)
_AT_WORD = r"(?:[\(\[\{<]\s*(?:at|@|apenstaartje)\s*[\)\]\}>]|\s(?:at|@)\s)"
_DOT_WORD = r"(?:[\(\[\{<]\s*(?:dot|punt|\.)\s*[\)\]\}>]|\s(?:dot|punt)\s|\s?\.\s?)"
_EMAIL_OBF = re.compile(
    rf"(?<![\w.+-])(?P<user>\w[\w.+-]{{0,63}})\s*{_AT_WORD}\s*"
    rf"(?P<domain>[\w-]{{2,63}})\s*{_DOT_WORD}\s*(?P<tld>{_TLDS})\b",
    re.I,
)
# Same as [\(\[\{<]\s*(?:at|@)|\s(?:at|@)\s, written to start with a character class so
# that the regex engine skips quickly to the few places worth trying.
_OBF_HINT = re.compile(r"[\(\[\{<\s](?:(?<=[\(\[\{<])\s*(?:at|@)|(?<=\s)(?:at|@)\s)", re.I)
_URL = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"'()\[\]]+|(?<![\w@.-])[a-z0-9][a-z0-9-]{{0,62}}(?:\.[a-z0-9-]{{1,63}})*"
    rf"\.(?:{_TLDS})\b(?:/[^\s<>\"'()\[\]]*)?",
    re.I,
)
# Every URL match holds "://", "www." or ".<tld>" followed by a word boundary.
_URL_GATE = re.compile(rf"[.:](?:(?<=:)//|(?<=\.)(?:{_TLDS})\b|(?<=www\.))", re.I)
_URL_TRAIL = ".,;:!?*~"
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]{1,40}"
_LINK_HANDLE = re.compile(
    r"(?:(?:https?://)?(?:www\.)?)"
    r"(?P<host>wa\.me|api\.whatsapp\.com/send/?\?phone=|t\.me|telegram\.me|snapchat\.com/add|"
    r"instagram\.com|instagr\.am|onlyfans\.com|twitter\.com|x\.com|signal\.me/#p)/?"
    r"(?P<name>\+?[A-Za-z0-9_.%-]{2,64})",
    re.I,
)
# Every host above holds ".me", ".com" or ".am".
_LINK_GATE = re.compile(r"\.(?:me|com|am)", re.I)
_HOSTS = {
    "wa.me": "whatsapp", "api.whatsapp.com": "whatsapp", "t.me": "telegram",
    "telegram.me": "telegram", "snapchat.com": "snapchat", "instagram.com": "instagram",
    "instagr.am": "instagram", "onlyfans.com": "onlyfans", "twitter.com": "twitter",
    "x.com": "twitter", "signal.me": "signal",
}  # fmt: skip
# Labels written before a handle. Short forms need a colon so "of", "sc" and "ig" in prose do not count.
_LABEL = re.compile(
    r"\b(?:(?P<long>whats\s?app|telegram|snap\s?chat|snap|instagram|insta|only\s?fans|twitter|"
    r"signal|wechat|kik)|(?P<short>wa|tg|sc|ig|OF|IG|SC|TG|WA)(?=\s*[:=]))\b"
    r"(?:\s*(?:[:=>\-–]+|\bme\b|\bon\b|\bop\b|\bis\b|\bnaam\b|\bname\b|\bid\b|\bat\b|\bvia\b))*\s*",
    re.I,
)
# Every label match starts with one of these (case-insensitively), or with a short label before ":"/"=".
_LABEL_STARTS = ("whats", "telegram", "snap", "insta", "only", "twitter", "signal", "wechat", "kik")
_SHORT_LABELS = frozenset({"wa", "tg", "sc", "ig", "of"})
_LABELS = {
    "whatsapp": "whatsapp", "whats app": "whatsapp", "wa": "whatsapp", "telegram": "telegram",
    "tg": "telegram", "snapchat": "snapchat", "snap chat": "snapchat", "snap": "snapchat",
    "sc": "snapchat", "instagram": "instagram", "insta": "instagram", "ig": "instagram",
    "onlyfans": "onlyfans", "only fans": "onlyfans", "of": "onlyfans", "twitter": "twitter",
    "signal": "signal", "wechat": "wechat", "kik": "kik",
}  # fmt: skip
_STRONG_SEP = re.compile(r"[:=>@\-–]|\b(?:is|id|naam|name)\b", re.I)
_PHONE_PLATFORMS = {"whatsapp", "signal"}
_VALUE = re.compile(rf"@?\s?(?P<name>{_NAME})")
_NOT_NAMES = {
    "me", "only", "and", "or", "en", "of", "is", "for", "voor", "mij", "my", "mijn", "the", "de",
    "het", "too", "ook", "also", "available", "beschikbaar", "now", "nu", "please", "pls",
    "with", "met", "to", "naar", "at", "op", "on", "via", "page", "account", "app", "call",
    "text", "bel", "sms", "contact", "add", "follow", "volg", "snap", "whatsapp", "telegram",
    "in", "a", "an", "een", "no", "geen", "here", "hier", "info", "it", "if", "as", "so",
}  # fmt: skip


def find_emails(text: str) -> list[ContactMatch]:
    """E-mail addresses, plain or written out (``naam (at) domein (punt) nl``).

    Examples
    --------
    >>> [m.value for m in find_emails("Mail Lisa@Example.NL of lisa (at) voorbeeld (punt) nl")]
    ['lisa@example.nl', 'lisa@voorbeeld.nl']
    """
    found = []
    if "@" in text:
        found = [ContactMatch(m.group().lower(), m.start(), m.end()) for m in _plain_emails(text)]
    at_words = _at_words(text)
    if at_words and (any(_OBF_HINT.match(text, h) for h in at_words) or _OBF_HINT.search(text)):
        taken = [(m.start, m.end) for m in found]
        for m in _obfuscated_emails(text, at_words):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            value = f"{m['user']}@{m['domain']}.{m['tld']}".lower()
            found.append(ContactMatch(value, m.start(), m.end()))
        found.sort(key=lambda c: c.start)
    return found


# _AT_WORD, written to start with a character class (see _OBF_HINT).
_AT_FIND = re.compile(
    r"[\(\[\{<\s](?:(?<=[\(\[\{<])\s*(?:at|@|apenstaartje)\s*[\)\]\}>]|(?<=\s)(?:at|@)\s)", re.I
)
_SPACE_RUN = re.compile(r"\s*")
_USER_RUN = re.compile(r"[\w.+-]*")


# The word of a written-out "at" (case-insensitively, as in _AT_FIND; no two overlap).
_AT_CORE = re.compile(r"[aA@](?:(?<=[aA])(?:t|penstaartje)|(?<=@))", re.I)


def _at_words(text: str) -> list[int]:
    """Start of every written-out "at" (``_AT_WORD``) in ``text``, overlapping ones too.

    Each starts with the space just before an "at", or with the bracket before it
    and the spaces between; only those places are tried.
    """
    if ascii_fold_safe(text):
        cores = keyword_starts(lowered(text), ("at", "@", "apenstaartje"))
    else:
        cores = [m.start() for m in _AT_CORE.finditer(text)]
    found = set()
    isspace = str.isspace
    for q in cores:
        p = q
        if q and isspace(text[q - 1]):
            found.add(q - 1)
            p = q - 1
            while p and isspace(text[p - 1]):
                p -= 1
        if p and text[p - 1] in "([{<":
            found.add(p - 1)
    return [h for h in sorted(found) if _AT_FIND.match(text, h)]


def _user_starts(text: str, ends: list[int]) -> list[int]:
    """For each position, the start of the run of user-name characters that ends there."""
    rev = text[::-1]
    n = len(text)
    return [n - _USER_RUN.match(rev, n - e).end() for e in ends]  # type: ignore[union-attr]


def _plain_emails(text: str) -> Iterator[re.Match[str]]:
    """``_EMAIL.finditer(text)``, trying only the user name before each "@"."""
    ats = []
    i = text.find("@")
    while i != -1:
        ats.append(i)
        i = text.find("@", i + 1)
    return finditer_at(_EMAIL, text, sorted(set(_user_starts(text, ats))))


def _obfuscated_emails(text: str, at_words: list[int]) -> Iterator[re.Match[str]]:
    """``_EMAIL_OBF.finditer(text)``, trying only the user name before each written-out "at".

    The user name is the run of name characters that ends just before the
    "at" (spaces aside), so each "at" gives one place to try.
    """
    rev = text[::-1]
    n = len(text)
    ends = [n - _SPACE_RUN.match(rev, n - h).end() for h in at_words]  # type: ignore[union-attr]
    return finditer_at(_EMAIL_OBF, text, sorted(set(_user_starts(text, ends))))


def _url_gate(text: str) -> bool:
    """``_URL_GATE.search(text)``, tried only at each "." and ":"."""
    for sep in ".:":
        i = text.find(sep)
        while i != -1:
            if _URL_GATE.match(text, i):
                return True
            i = text.find(sep, i + 1)
    return False


def find_urls(text: str) -> list[ContactMatch]:
    """Links and bare domain names (``www.x.nl``, ``lisa-escort.com/agenda``).

    Examples
    --------
    >>> [m.value for m in find_urls("Zie https://t.me/lisa_nl. of www.Lisa.nl! mail a@b.nl")]
    ['https://t.me/lisa_nl', 'www.Lisa.nl']
    """
    out: list[ContactMatch] = []
    if not _url_gate(text):
        return out
    for m in _URL.finditer(text):
        value = m.group().rstrip(_URL_TRAIL)
        if "." not in value.split("//")[-1]:
            continue
        out.append(ContactMatch(value, m.start(), m.start() + len(value)))
    return out


def find_handles(text: str, default_region: str = "NL") -> list[ContactMatch]:
    """Messenger and social handles, from links and from labels such as ``Snap: lisa``.

    WhatsApp and Signal handles are phone numbers in E.164 when one is given.

    Parameters
    ----------
    text : str
        The ad text.
    default_region : str, default "NL"
        Region for phone numbers written without a country code.

    Examples
    --------
    >>> [m.value for m in find_handles("Telegram: @Lisa_NL, whatsapp 06-12345678, t.me/anna")]
    ['telegram:lisa_nl', 'whatsapp:+31612345678', 'telegram:anna']
    """
    found: list[ContactMatch] = []
    for m in _LINK_HANDLE.finditer(text) if _LINK_GATE.search(text) else ():
        host = m["host"].lower().split("/")[0]
        platform = _HOSTS.get(host, host)
        name = m["name"].rstrip(_URL_TRAIL)
        value = _phone_value(name, default_region) if platform in _PHONE_PLATFORMS else None
        if value is None:
            if platform in _PHONE_PLATFORMS and not name.isalpha():
                continue
            value = name.lower().lstrip("@")
        found.append(ContactMatch(f"{platform}:{value}", m.start(), m.start("name") + len(name)))
    for m in _labels(text):
        label = (m["long"] or m["short"]).lower()
        platform = _LABELS.get(label) or _LABELS.get(re.sub(r"\s+", " ", label), "")
        if not platform or any(f.start <= m.start() < f.end for f in found):
            continue
        if platform in _PHONE_PLATFORMS:
            window_end = min(len(text), m.end() + 40)
            phones = find_phones(text[m.end() : window_end], default_region)
            if phones:
                p = phones[0]
                found.append(ContactMatch(f"{platform}:{p.e164}", m.start(), m.end() + p.end))
                continue
        v = _VALUE.match(text, m.end())
        if v is None:
            continue
        name = v["name"].rstrip(".-")
        if name.lower() in _NOT_NAMES or name.lower() in _LABELS or name.isdigit() or len(name) < 2:
            continue
        sep = text[m.end("long" if m["long"] else "short") : v.start("name")]
        if not _STRONG_SEP.search(sep) and not re.search(r"[\d_]", name):
            continue  # "snapchat fun": a label followed by a plain word is prose, not a handle
        found.append(
            ContactMatch(f"{platform}:{name.lower()}", m.start(), v.start("name") + len(name))
        )
    found.sort(key=lambda c: c.start)
    return found


def _labels(text: str) -> Iterable[re.Match[str]]:
    """``_LABEL.finditer(text)``, trying only where a label word starts."""
    if not ascii_fold_safe(text):
        return _LABEL.finditer(text)
    low = lowered(text)
    starts = []
    for sep in ":=":
        # A short label (wa, tg, sc, ig, of), spaces, then this separator.
        i = low.find(sep)
        while i != -1:
            j = i
            while j and low[j - 1].isspace():
                j -= 1
            if j >= 2 and low[j - 2 : j] in _SHORT_LABELS:
                starts.append(j - 2)
            i = low.find(sep, i + 1)
    for word in _LABEL_STARTS:
        i = low.find(word)
        while i != -1:
            starts.append(i)
            i = low.find(word, i + 1)
    return finditer_at(_LABEL, text, sorted(starts))


def _phone_value(name: str, region: str) -> str | None:
    phones = find_phones(name.replace("%2B", "+"), region)
    if phones:
        return phones[0].e164
    if name.isdigit() and 8 <= len(name) <= 15:
        phones = find_phones("+" + name, region)
        return phones[0].e164 if phones else None
    return None
