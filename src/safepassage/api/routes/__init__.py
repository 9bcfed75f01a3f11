"""One router per resource, mounted under ``/api`` by :func:`safepassage.api.app.create_app`."""
