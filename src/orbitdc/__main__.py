"""``python -m orbitdc``: the same as the ``orbitdc`` command."""

from orbitdc.cli import main

main()
