"""The HTTP edge: the ASGI app, its routes and the testing control API. Knows HTTP and the
AWS wire format, nothing about users."""
