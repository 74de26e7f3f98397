"""The ``poolgate`` command line."""
