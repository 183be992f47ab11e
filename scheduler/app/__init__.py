"""Controllers: one function per command. Each loads what it needs, calls the pure core,
writes through outputs and storage, and returns data (tables, lines, exit codes) for the
command line to render; none prints."""
