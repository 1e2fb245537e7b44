"""The core: the domain of Rehab Log, with no Flask in it (import-linter holds this in `make lint`).

Entries and their kinds, programmes and the catalogue, care links, accounts and logins, sync,
the trend signals, caseload, charts and exports. Views in `rehab_app.web` parse a request, call
a function here, commit and render.
"""
