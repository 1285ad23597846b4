"""``python -m sim`` runs the promosim command line."""

from sim.cli import main

main()
