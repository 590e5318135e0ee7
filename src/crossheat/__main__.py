from crossheat.cli.main import main

main()
