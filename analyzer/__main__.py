"""`python -m analyzer` runs the same command as `signin-report`."""

from analyzer.launch import main

main()
