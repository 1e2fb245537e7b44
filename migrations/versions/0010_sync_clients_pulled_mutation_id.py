"""Sync clients: the last mutation id each was told of by a pull, so old outcomes can be pruned.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 00:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('sync_clients', sa.Column('pulled_mutation_id', sa.BigInteger(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('sync_clients', 'pulled_mutation_id')
