"""`python -m quillpress` is the same as the `quillpress` command."""

from quillpress.cli import main

main()
