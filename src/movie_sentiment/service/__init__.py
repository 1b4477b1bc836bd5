"""The HTTP service (``movie-sentiment serve``): ``service.app.create_app``."""
