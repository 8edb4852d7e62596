"""`python -m analyzer` runs the same command as `signin-report`."""

from analyzer.entry.launch import main

main()
