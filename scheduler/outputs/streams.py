"""The standard streams themselves (light: the command line imports it at start-up)."""

from __future__ import annotations

import os
import sys


def stdout_to_devnull() -> None:
    """A reader closed the pipe (``… | head``): nothing more can reach it; point standard
    output at the null device so that Python does not complain at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
