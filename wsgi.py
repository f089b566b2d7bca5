"""WSGI entry point: `gunicorn wsgi:app`."""
from sisumaker import create_app

app = create_app()
