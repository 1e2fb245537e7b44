"""Reminders that fire: settings per person, a claimed row per reminder sent, push subscriptions.

- reminder_settings: one row per person (what, when in their local time, quiet hours, pause);
- reminder_sends: one row per person, kind, local time and local day, unique: claimed by
  INSERT ... ON CONFLICT DO NOTHING before anything is sent, so a reminder goes out once;
- push_subscriptions: one per device, deleted with the login it was made in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:49:06.071456

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('slot', sa.String(length=5), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(), nullable=True),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_sends_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sends')),
    sa.UniqueConstraint('user_id', 'kind', 'slot', 'local_date', name='uq_reminder_sends_slot')
    )
    with op.batch_alter_table('reminder_sends', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_sends_status_next', ['status', 'next_try_at'], unique=False)

    op.create_table('reminder_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('show_details', sa.Boolean(), nullable=False),
    sa.Column('quiet_from', sa.String(length=5), nullable=True),
    sa.Column('quiet_until', sa.String(length=5), nullable=True),
    sa.Column('programme_on', sa.Boolean(), nullable=False),
    sa.Column('programme_time', sa.String(length=5), nullable=False),
    sa.Column('programme_days', sa.Integer(), nullable=False),
    sa.Column('fatigue_on', sa.Boolean(), nullable=False),
    sa.Column('fatigue_times', sa.String(length=11), nullable=False),
    sa.Column('fatigue_days', sa.Integer(), nullable=False),
    sa.Column('walking_on', sa.Boolean(), nullable=False),
    sa.Column('walking_time', sa.String(length=5), nullable=False),
    sa.Column('walking_day', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_reminder_settings'))
    )
    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('login_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=2048), nullable=False),
    sa.Column('p256dh', sa.String(length=128), nullable=False),
    sa.Column('auth', sa.String(length=64), nullable=False),
    sa.Column('device', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['login_id'], ['user_sessions.id'], name=op.f('fk_push_subscriptions_login_id_user_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_login_id'), ['login_id'], unique=False)
        batch_op.create_index('ix_push_subscriptions_user_id', ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_push_subscriptions_user_id')
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_login_id'))

    op.drop_table('push_subscriptions')
    op.drop_table('reminder_settings')
    with op.batch_alter_table('reminder_sends', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_sends_status_next')

    op.drop_table('reminder_sends')
