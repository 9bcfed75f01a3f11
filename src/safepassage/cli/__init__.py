"""The ``safepassage`` command: a thin shell over the services."""
