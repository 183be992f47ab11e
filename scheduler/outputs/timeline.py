"""The report's picture: every participant's year on one page.

Windows are bars (one per expected visit), actual visits are marks, deviations are red,
the reporting week is shaded and the as-of date is a dashed line. matplotlib with the Agg
backend (no screen needed); PNG without a date in its metadata, so the same data and week
give the same bytes.

Its words are the reader's language. The text is drawn in DejaVu Sans (matplotlib's own),
and a character DejaVu Sans lacks (Chinese) in Noto Sans SC, the font the package ships in
``scheduler/fonts`` (matplotlib ≥ 3.6 falls back glyph by glyph); without that file (or a
Noto Sans SC installed on the computer), DejaVu Sans alone, as before.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from scheduler.core.words import DEVIATIONS, Status
from scheduler.i18n import _, pgettext
from scheduler.outputs.people import CJK_FONT_NAME, font_file, status_word

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WINDOW = "#9ecae1"
DEVIATION = "#d62728"
WITHDRAWN = "#e0e0e0"
DONE = "#08306b"
WEEK = "#fff2a8"
A4_LANDSCAPE_WIDTH = 11.69  # inches
MAX_HEIGHT = 40.0  # inches
LATIN_FONT = "DejaVu Sans"


def font_families() -> list[str]:
    """The fonts the picture's text is drawn in, in order: DejaVu Sans, then Noto Sans SC
    where there is one (the shipped file, registered with matplotlib the first time)."""
    from matplotlib import font_manager

    shipped = font_file()
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    if CJK_FONT_NAME not in known and shipped is not None:
        font_manager.fontManager.addfont(str(shipped))
        known.add(CJK_FONT_NAME)
    return [LATIN_FONT, CJK_FONT_NAME] if CJK_FONT_NAME in known else [LATIN_FONT]


def _fonts() -> AbstractContextManager[object]:
    """matplotlib's settings while the picture is made and drawn: its fonts (tick labels are
    made when the picture is drawn, so ``png_bytes`` draws under them too)."""
    import matplotlib

    return matplotlib.rc_context({"font.family": font_families()})


def timeline_figure(check: pd.DataFrame, monday: dt.date, sunday: dt.date, as_of: dt.date) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    with _fonts():
        return _figure(check, monday, sunday, as_of)


def _figure(check: pd.DataFrame, monday: dt.date, sunday: dt.date, as_of: dt.date) -> Figure:
    import matplotlib.dates as mdates
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    participants = list(dict.fromkeys(check["participant_id"]))
    row = {pid: number for number, pid in enumerate(participants)}
    y = check["participant_id"].map(row).to_numpy()
    opens = mdates.date2num(check["window_open"].to_numpy().astype("M8[D]"))
    closes = mdates.date2num(check["window_close"].to_numpy().astype("M8[D]")) + 1
    status = check["status"].to_numpy()
    deviation = np.isin(status, DEVIATIONS)
    colours = np.where(deviation, DEVIATION, np.where(status == Status.WITHDRAWN, WITHDRAWN, WINDOW))

    # 0.28 inch a participant, but never taller than a few pages: a site's report, not a
    # programme's (beyond ~100 participants the rows get thinner).
    height = min(max(3.0, 0.28 * len(participants) + 1.4), MAX_HEIGHT)
    figure = Figure(figsize=(A4_LANDSCAPE_WIDTH, height), dpi=110)
    axes = figure.add_subplot()
    axes.axvspan(mdates.date2num(np.datetime64(monday)), mdates.date2num(np.datetime64(sunday)) + 1,
                 color=WEEK, zorder=0, label="reporting week")
    # One collection of rectangles (one per expected visit), not one artist per bar.
    top, bottom = y - 0.3, y + 0.3
    corners = np.stack([np.stack([opens, top], 1), np.stack([closes, top], 1),
                        np.stack([closes, bottom], 1), np.stack([opens, bottom], 1)], 1)
    # One (4, 2) array of corners per bar: matplotlib takes the 3-D array as such, its stubs
    # only name a sequence of arrays.
    bars = PolyCollection(cast("Sequence[np.ndarray]", corners), facecolors=colours, edgecolors="none", zorder=2)
    bars.set_gid("windows")
    axes.add_collection(bars)
    if len(check):
        axes.set_xlim(opens.min() - 3, closes.max() + 3)
    done = check["actual_date"].notna().to_numpy()
    if done.any():
        actual = mdates.date2num(check["actual_date"].to_numpy()[done].astype("M8[D]")) + 0.5
        axes.scatter(actual, y[done], s=14, zorder=3,
                     c=np.where(deviation[done], DEVIATION, DONE), marker="o", linewidths=0)
    axes.axvline(mdates.date2num(np.datetime64(as_of)), color="black", linestyle="--", linewidth=0.8,
                 zorder=4)
    # IDs are text, never matplotlib maths ("A$1$" must not become "A1", nor crash).
    axes.set_yticks(range(len(participants)), [str(p).replace("$", r"\$") for p in participants],
                    fontsize=7)
    axes.set_ylim(len(participants) - 0.5, -0.5)
    axes.xaxis.set_major_locator(mdates.MonthLocator())
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    axes.tick_params(axis="x", labelsize=7, labelrotation=45)
    axes.grid(axis="x", color="#dddddd", linewidth=0.5, zorder=1)
    axes.set_xlabel(pgettext("timeline", "date"))
    axes.set_ylabel(pgettext("timeline", "participant"))
    axes.legend(handles=[
        Patch(color=WINDOW, label=_("visit window")),
        Patch(color=DEVIATION, label=_("deviation (early, late, missed)")),
        Patch(color=WITHDRAWN, label=status_word(Status.WITHDRAWN)),
        Line2D([], [], marker="o", color=DONE, linestyle="", markersize=4, label=_("visit done")),
        # TRANSLATORS: {monday} and {sunday} are the reporting week's first and last days.
        Patch(color=WEEK, label=_("reporting week {monday} to {sunday}").format(monday=monday, sunday=sunday)),
        Line2D([], [], color="black", linestyle="--", linewidth=0.8, label=_("as of {date}").format(date=as_of)),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=7, frameon=False)
    if not participants:
        axes.text(0.5, 0.5, _("No participant enrolled as of {date}").format(date=as_of),
                  transform=axes.transAxes, ha="center", va="center")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        figure.tight_layout()
    return figure


def png_bytes(figure: Figure) -> bytes:
    import warnings

    buffer = io.BytesIO()
    # Layout notes (an empty study) are not the nurse's business.
    with warnings.catch_warnings(), _fonts():
        warnings.simplefilter("ignore", UserWarning)
        # No date or software version in the metadata: the same report gives the same bytes.
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
