from tamiz.cli import main

main()
