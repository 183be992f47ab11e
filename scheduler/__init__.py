"""visit-scheduler: visit windows and protocol-deviation checks for clinical trials.

The package is a library first: ``protocol`` loads and validates protocol files,
``sources`` reads the study's files, ``core`` computes every window and status (pure),
``storage`` is the one writer of the study folder and its audit trail, ``outputs`` writes
files for people, and ``app`` holds one controller per command. ``cli`` is one thin client
of it (docs/architecture.md).
"""

__version__ = "0.2.0"
