"""`python -m verbalize.cli` runs the `verbalize` command."""

from verbalize.cli import main

main()
