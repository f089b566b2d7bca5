"""WSGI entry point: `gunicorn wsgi:app`."""
import gc

from sisumaker import create_app

app = create_app()
# What start-up built (modules, the app, its templates and mappers: ~190,000 objects) lives as long as the
# process: keep it out of the collector's full passes, which otherwise cost ~100 ms and land on some request now
# and then (bench/README.md, search).
gc.freeze()
