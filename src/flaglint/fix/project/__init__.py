"""The project-wide passes of a retirement, run after every check is rewritten file by file."""
