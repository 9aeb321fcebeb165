from skillpulse.cli import main

main()
