"""``python -m cordon`` runs the command line."""

from cordon.cli import main

main()
