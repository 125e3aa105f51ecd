"""Run the command line with ``python -m memxbar.cli``."""

from memxbar.cli import main

main()
