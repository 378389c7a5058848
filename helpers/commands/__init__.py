"""Sub-commands of ``python -m helpers``; one module per command (see ``helpers.cli``)."""
