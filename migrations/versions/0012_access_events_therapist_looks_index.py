"""Caseload speed: a therapist's recent caseload looks found by one index.

record_caseload_views() reads a therapist's caseload looks of the last two days for the people
on the caseload. With only `ix_access_events_therapist_id`, SQLite read every look the
therapist ever made (111,000 rows, 16-19 ms a caseload load at 200 patients after two years,
growing every day). `(therapist_id, what, at)` finds the recent ones directly and replaces the
old index, which it covers (the foreign key's ON DELETE SET NULL uses it too). See
bench/README.md.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:50:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_access_events_therapist_what_at",
        "access_events",
        ["therapist_id", "what", "at"],
        unique=False,
    )
    op.drop_index("ix_access_events_therapist_id", table_name="access_events")


def downgrade():
    op.create_index(
        "ix_access_events_therapist_id", "access_events", ["therapist_id"], unique=False
    )
    op.drop_index("ix_access_events_therapist_what_at", table_name="access_events")
