"""Writers at the edge: terminal tables and CSV / JSON / Excel files."""
