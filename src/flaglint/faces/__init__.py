"""What people and machines meet: the CLI, the language server, the reports."""
