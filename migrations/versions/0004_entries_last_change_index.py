"""Caseload speed: an index for each person's latest entry change (the caseload's last activity).

The caseload reads max(created_at) and max(updated_at) of every linked person's entries. Without
this index that visits every row of the table (1.2 s for 200 people with two years of entries on
SQLite); with it, the index alone (0.16 s). See bench/README.md.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 11:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_entries_user_updated_created',
        'entries',
        ['user_id', 'updated_at', 'created_at'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_entries_user_updated_created', table_name='entries')
