"""The only writer of the study folder and of output files.

    atomic          temporary file, flush (fsync for the study's own files), rename
    lock            the study folder's lock while a change is written
    csv_file        a site CSV edited in place, keeping its encoding, separators and columns
    audit           the audit trail (audit.csv)
    calendar_state  what earlier calendar exports published (SEQUENCE)
    study_folder    a new study folder (init)
"""
