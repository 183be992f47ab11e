"""Reading a study's files at the edge: where they are, tables, roster, visits, closures.

    folder    which files a command reads (--study, defaults, the study folder's names)
    tables    CSV and .xlsx as text: encodings, separators, headers, line numbers, dates
    roster    the participants file (any problem stops the command)
    visits    the visits file (problems with single records are the check's)
    closures  the clinic's closures file
    digests   SHA-256 of the files a report was made from
"""
