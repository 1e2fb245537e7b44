"""The web layer: Flask blueprints by audience (auth, patient, therapist, api, pwa), helpers.

Views parse the request, call the core (`rehab_app.core`), commit and render. Beside the
blueprint packages: `account` and `pages` (everyone), `forms`, `roles` (who may see what),
`logs` (request logs) and `cli` (the `flask` commands).
"""
