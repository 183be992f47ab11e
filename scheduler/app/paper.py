"""plan: one participant's visit plan on paper (PDF or HTML), or every participant's, one
file each, in a folder swapped in whole.

pandas and fpdf2 are imported inside, so ``plan --help`` starts as fast as any light command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.app.results import Messages
from scheduler.errors import OptionError
from scheduler.i18n import ngettext
from scheduler.paths import label

if TYPE_CHECKING:
    import numpy as np

    from scheduler.app.study import Study, StudyOptions


def _position(study: Study, participant_id: str) -> int:
    """The participant's row in the roster; a near miss named ("did you mean 007?")."""
    from scheduler.app.tables import not_in_roster

    ids = [str(pid) for pid in study.participants["participant_id"]]
    if participant_id in ids:
        return study.position_of(participant_id)
    close = [pid for pid in ids if pid.lstrip("0") == participant_id.lstrip("0")
             or pid.casefold() == participant_id.casefold()]
    raise OptionError(not_in_roster(participant_id, study.participants_label, close))


def _ours(path: Path) -> bool:
    """A file an earlier ``plan --all`` wrote (PDF or HTML)."""
    from scheduler.outputs import plan_html, plan_pdf

    return plan_pdf.made_here(path) or plan_html.made_here(path)


def plan(options: StudyOptions, participant_id: str | None, as_of: np.datetime64 | None,
         output: Path, file_format: str, messages: Messages) -> int:
    """Write one participant's plan to ``output`` (its extension picks PDF or HTML), or, with
    ``participant_id`` None, every participant's into the folder ``output`` as ID.``file_format``.
    Returns the exit code (1 when the visits file has data problems about those shown)."""
    from scheduler.app.messages import report_problems
    from scheduler.app.study import load_study
    from scheduler.app.tables import suggestions
    from scheduler.core.paper import plan_file_names, visit_plans
    from scheduler.core.status import compute_check
    from scheduler.outputs import plan_html, plan_pdf

    study = load_study(options, as_of)
    study.guard_output(output)
    roster = study.participants
    records = study.records
    if participant_id is not None:
        position = _position(study, participant_id)
        roster = roster.iloc[[position]].reset_index(drop=True)
        records = records.of_participant(position)
    table = compute_check(study.protocol, roster, records, study.as_of, study.moves)
    table["suggested_date"] = suggestions(study, table, messages)
    code = report_problems(study, messages, participant_id)
    versions = None
    if study.protocol.versions:
        import numpy as np

        from scheduler.core.versions import version_on

        versions = version_on(study.protocol, roster["enrollment_date"].to_numpy(),
                              roster["participant_id"].to_numpy(dtype=object), study.moves.until(study.as_of),
                              np.arange(len(roster)), np.full(len(roster), study.as_of))
    plans = visit_plans(study.protocol, roster, table, study.as_of, versions)
    if participant_id is not None:
        if output.suffix.lower() == ".pdf":
            plan_pdf.write_plan(plans[0], output)
        else:
            plan_html.write_plan(plans[0], output)
        count = len(plans[0].visits)
        messages.append(ngettext("Wrote {file} (participant {participant}, {count} visit, as of {date})",
                                 "Wrote {file} (participant {participant}, {count} visits, as of {date})", count)
                        .format(file=label(output), participant=participant_id, count=count, date=study.as_of))
        return code
    names = plan_file_names([plan.participant_id for plan in plans], file_format)
    if file_format == "pdf":
        plan_pdf.write_plans(plans, names, output, _ours)
    else:
        plan_html.write_plans(plans, names, output, _ours)
    # TRANSLATORS: {format} is PDF or HTML, {folder} the folder the plans are in.
    messages.append(ngettext("Wrote {count} visit plan ({format}, as of {date}) in {folder}",
                             "Wrote {count} visit plans ({format}, as of {date}) in {folder}", len(plans))
                    .format(count=len(plans), format=file_format.upper(), date=study.as_of, folder=label(output)))
    return code
