"""The command line: each command parses its options, calls the core once, renders the result.

Heavy libraries (pandas, openpyxl, matplotlib) are imported inside the commands that use
them, and each command's module only when the command is named (``base.COMMANDS``), so
``--help``, ``protocol`` and ``init`` start in a fraction of a second.
"""

from scheduler.cli.base import COMMANDS, cli, every_command, main, unwind_on_terminate

__all__ = ["COMMANDS", "cli", "every_command", "main", "unwind_on_terminate"]
