"""The HTTP API (and, later, the pages) over the same services and policy as the CLI."""
