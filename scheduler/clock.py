"""What "today" is: today in the study's time zone, never the computer's own zone.

pendulum is used for this single date because it takes the zone explicitly and tests can
travel in time with ``pendulum.travel_to``.
"""

from __future__ import annotations

import numpy as np
import pendulum


def today(timezone: str) -> np.datetime64:
    """Today's calendar date in ``timezone`` (an IANA name), as datetime64[D]."""
    return np.datetime64(pendulum.now(timezone).date().isoformat(), "D")
