"""The command line: each command parses its options, calls the core once, renders the result.

Heavy libraries (pandas, openpyxl, matplotlib) are imported inside the commands that use
them, so ``--help``, ``protocol`` and ``init`` start in a fraction of a second.
"""

from scheduler.cli import change_commands, output_commands, paper_commands, study_commands  # noqa: F401  (registers)
from scheduler.cli.base import cli, main, unwind_on_terminate

__all__ = ["cli", "main", "unwind_on_terminate"]
