"""Use cases shared by the command line, the HTTP API and the web pages."""
