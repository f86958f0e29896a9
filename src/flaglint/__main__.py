from flaglint.faces.cli import main

main()
