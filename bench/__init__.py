"""Speed at scale: time the caseload and a patient's page on a large synthetic caseload.

`python -m bench` (or `make bench`) generates one therapist linked to 200 patients with two
years of daily entries, loads them into SQLite and PostgreSQL, and reports each page's server
time, its number of SQL queries and how it compares with the raw SQL it needs. Not part of
the test suite. See bench/README.md.
"""
