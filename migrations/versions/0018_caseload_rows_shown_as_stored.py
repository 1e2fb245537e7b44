"""Caseload summaries: the row as the caseload shows it, stored with the summary.

What the caseload sorts by, as columns, and the markup of what depends on the summary alone,
rendered when the summary is stored (rehab_app/core/caseload/markup.py), so that a load reads
rows instead of decoding each person's JSON and rendering their cells. Existing summaries get
empty markup and no `shown_with`: the next load (or `flask reviews refresh`) renders each
once from its stored JSON, without reading any entries.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 09:44:30.559193

"""

import warnings

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# SQLite's batch mode copies the table and reflects the users table for the foreign key; it
# cannot read the index on lower(email) and warns. That index is not touched here.
QUIET = "Skipped unsupported reflection"


def upgrade():
    with op.batch_alter_table('caseload_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shown_with', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cells', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reasons_shown', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reasons_more', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reasons', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('slow_changes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('week_percent', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('month_percent', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('fatigue_mean', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('fatigue_change', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('aid_level', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('aid_changes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('falls', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('near_falls', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        with op.batch_alter_table('caseload_summaries', schema=None) as batch_op:
            for column in (
                'near_falls', 'falls', 'aid_changes', 'aid_level', 'fatigue_change',
                'fatigue_mean', 'month_percent', 'week_percent', 'slow_changes', 'reasons',
                'reasons_more', 'reasons_shown', 'cells', 'shown_with',
            ):
                batch_op.drop_column(column)
