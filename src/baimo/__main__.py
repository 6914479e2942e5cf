"""``python -m baimo`` is the ``baimo`` command."""

from baimo.cli import main

main()
