from flaglint.cli import main

main()
