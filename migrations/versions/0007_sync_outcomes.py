"""Sync outcomes: what the server decided for each change a phone sent (issue 9).

A retry of a change whose answer was lost gets the same answer (a rejection included), and a
change carries its own id from the phone, so that it is applied once per person whatever
client id it arrives under (after a re-registration too).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 21:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sync_outcomes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('mutation_id', sa.BigInteger(), nullable=False),
        sa.Column('change_id', sa.String(length=36), nullable=True),
        sa.Column('op', sa.String(length=10), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('result', sa.Text(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_outcomes_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_outcomes')),
    )
    op.create_index(
        'ix_sync_outcomes_user_change', 'sync_outcomes', ['user_id', 'change_id'], unique=True
    )
    op.create_index(
        'ix_sync_outcomes_client_mutation', 'sync_outcomes', ['client_id', 'mutation_id']
    )


def downgrade():
    op.drop_index('ix_sync_outcomes_client_mutation', table_name='sync_outcomes')
    op.drop_index('ix_sync_outcomes_user_change', table_name='sync_outcomes')
    op.drop_table('sync_outcomes')
