"""Entries: the self-timed 7.6 m walk ("walk_test"), two trials in seconds.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 05:20:00.000000

"""

import warnings

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('exercise', 'fatigue', 'mobility', 'bad_day')"
NEW_KINDS = "kind IN ('exercise', 'fatigue', 'mobility', 'bad_day', 'walk_test')"
TRIALS = ("trial_1_seconds", "trial_2_seconds")


# SQLite's batch mode copies the table and reflects the users table for the foreign key; it
# cannot read the index on lower(email) and warns. That index is not touched here.
QUIET = "Skipped unsupported reflection"


def upgrade():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        with op.batch_alter_table("entries", schema=None) as batch_op:
            batch_op.add_column(sa.Column("trial_1_seconds", sa.Float(), nullable=True))
            batch_op.add_column(sa.Column("trial_2_seconds", sa.Float(), nullable=True))
            batch_op.drop_constraint(op.f("ck_entries_kind"), type_="check")
            batch_op.create_check_constraint(op.f("ck_entries_kind"), NEW_KINDS)
            for name in TRIALS:
                batch_op.create_check_constraint(
                    op.f(f"ck_entries_{name}"), f"{name} IS NULL OR ({name} > 0 AND {name} <= 600)"
                )


def downgrade():
    op.execute("DELETE FROM entries WHERE kind = 'walk_test'")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        with op.batch_alter_table("entries", schema=None) as batch_op:
            for name in TRIALS:
                batch_op.drop_constraint(op.f(f"ck_entries_{name}"), type_="check")
            batch_op.drop_constraint(op.f("ck_entries_kind"), type_="check")
            batch_op.create_check_constraint(op.f("ck_entries_kind"), OLD_KINDS)
            batch_op.drop_column("trial_2_seconds")
            batch_op.drop_column("trial_1_seconds")
