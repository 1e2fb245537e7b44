"""Sent forms: the one-time key of each page's form acted on, so that the same form sent again
(a retry after a lost answer, a reload that posts it again) is not acted on twice.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sent_forms_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_forms')),
    sa.UniqueConstraint('user_id', 'key', name='uq_sent_forms_user_id_key'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('sent_forms', schema=None) as batch_op:
        batch_op.create_index('ix_sent_forms_user_id_sent_at', ['user_id', 'sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sent_forms', schema=None) as batch_op:
        batch_op.drop_index('ix_sent_forms_user_id_sent_at')

    op.drop_table('sent_forms')
