"""``python -m scheduler`` runs the command line."""

from scheduler.cli import main

if __name__ == "__main__":
    main()
