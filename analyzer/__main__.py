"""`python -m analyzer` runs the same command as `signin-report`."""

from analyzer.cli import main

main()
