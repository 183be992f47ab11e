"""The pure core: protocol → schedule → status → what each output says.

Nothing here opens a file or imports click; everything takes and returns DataFrames and
numpy arrays, vectorized over participants × visits (the only loops are over the
protocol's visits, or over problems and events already chosen).

    words        the status words, once
    dates        date columns read from text, with a reason for each value that is not one
    table        a site file's cells with what locates a problem in it
    records      visit records sorted into used and problems
    schedule     the participant × visit grid of windows, re-anchored on actual dates
    status       statuses as of a date; the worklist
    clinic       working days and suggested dates
    suggestions  the one suggestion policy every command follows
    calendar     what each calendar event says; SEQUENCE bookkeeping
    report       the weekly report's tables
    sdtm         CDISC SDTM domains
"""
