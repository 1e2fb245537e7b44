"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""

import gc

from rehab_app import create_app

app = create_app()

# What the app keeps for good (modules, mappers, compiled statements) is set aside from the
# garbage collector, so that its full collections no longer walk it: a push of 500 entries
# spent a fifth of its time there (bench/README.md, Sync). Each gunicorn worker imports this.
gc.collect()
gc.freeze()
