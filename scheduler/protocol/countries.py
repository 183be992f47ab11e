"""The countries the holidays package has a calendar for, known without importing it.

Importing holidays costs about 30 ms (every calendar system, dateutil, the package's
metadata): more than the whole of ``protocol`` or ``verify`` otherwise. Those commands only
need to know that a [clinic] country is one the package knows, so the package's registry
(``holidays/registry.py``, one line per country: module name, class, alpha-2, alpha-3) is
read as text. The text can only ever say yes: a code it does not list is asked of the
package itself before anything is refused, so a registry written differently by a later
release costs the 30 ms again, never a wrong answer. The commands that compute clinic days
import the package anyway.
"""

from __future__ import annotations

import functools
import re

# "china": ("China", "CN", "CHN"),  — in the COUNTRIES table, before the FINANCIAL one.
_ENTRY = re.compile(r'^\s*"\w+":\s*\(\s*"\w+",\s*"([A-Z]{2})",\s*"([A-Z]{3})"', re.MULTILINE)


def alpha3(code: str) -> str | None:
    """The ISO 3166 alpha-3 code of the alpha-2 ``code`` (CN → CHN) when the holidays package
    has a calendar for that country, else None (also when the package does not say it)."""
    return _registry_text().get(code) or _package().get(code) or None


def known(code: str) -> bool:
    """Whether the holidays package has a calendar for the alpha-2 ``code``."""
    return code in _registry_text() or code in _package()


@functools.cache
def _registry_text() -> dict[str, str]:
    """alpha-2 → alpha-3 as the registry file lists them; empty when it cannot be read."""
    from scheduler.protocol.loading import holidays_registry_text

    text = holidays_registry_text()
    start, end = text.find("\nCOUNTRIES"), text.find("\nFINANCIAL")
    if start < 0 or end < start:
        return {}
    return dict(_ENTRY.findall(text, start, end))


@functools.cache
def _package() -> dict[str, str]:
    """alpha-2 → alpha-3 from the imported package (its registry of country calendars)."""
    import holidays

    registry = getattr(getattr(holidays, "registry", None), "COUNTRIES", None)
    if registry:
        return {str(entry[1]): str(entry[2]) for entry in registry.values() if len(entry) > 2}
    return {str(code): "" for code in holidays.list_supported_countries()}
