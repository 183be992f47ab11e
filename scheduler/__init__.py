"""visit-scheduler: visit windows and protocol-deviation checks for clinical trials.

The package is a library first: ``protocol`` loads and validates protocol files,
``sources`` reads participants and visits, ``schedule`` computes every window and
``status`` classifies every visit as of a date. ``cli`` is one thin client of it.
"""

__version__ = "0.1.0"
