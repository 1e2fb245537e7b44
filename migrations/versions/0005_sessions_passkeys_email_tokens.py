"""Accounts people can trust: logins held on the server, emailed links, passkeys, approval.

- user_sessions: one row per login, holding only a hash of the cookie's random token;
- email_tokens: single-use links to confirm a sign-up or reset a password (hashed too);
- passkeys: WebAuthn credentials;
- users.email_confirmed_at, users.approved_at (therapists): accounts that exist today are
  confirmed, and today's therapists approved, so nobody is locked out by the upgrade;
- on SQLite, the tables whose ids name people or grants are rebuilt with AUTOINCREMENT, so
  that a deleted account's id is never handed to the next sign-up.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 16:55:00.000000

"""
import warnings

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

NEVER_REUSED = ('users', 'link_codes', 'care_links', 'programme_items')


def _autoincrement(on: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return  # PostgreSQL's sequences never hand out an id twice
    # env.py turns foreign keys off around SQLite migrations: the rebuild (copy, drop,
    # rename) must not cascade the drop of `users` into every table that refers to it.
    with warnings.catch_warnings():
        # Reflection skips the expression index lower(email); it is made again below.
        warnings.filterwarnings('ignore', message='.*expression-based index')
        for table in NEVER_REUSED:
            with op.batch_alter_table(
                table, recreate='always', table_kwargs={'sqlite_autoincrement': on}
            ):
                pass
    op.execute('CREATE UNIQUE INDEX IF NOT EXISTS uq_users_email_lower ON users (lower(email))')


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE users SET email_confirmed_at = created_at")
    op.execute("UPDATE users SET approved_at = created_at WHERE role = 'therapist'")
    _autoincrement(True)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('device', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_user_sessions_user_id', 'user_sessions', ['user_id'], unique=False)

    op.create_table('email_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("purpose IN ('confirm', 'reset')", name=op.f('ck_email_tokens_purpose')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_tokens_token_hash')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_email_tokens_user_id', 'email_tokens', ['user_id'], unique=False)

    op.create_table('passkeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(length=1023), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.BigInteger(), nullable=False),
    sa.Column('transports', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_passkeys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkeys')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkeys_credential_id')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_passkeys_user_id', 'passkeys', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_passkeys_user_id', table_name='passkeys')
    op.drop_table('passkeys')
    op.drop_index('ix_email_tokens_user_id', table_name='email_tokens')
    op.drop_table('email_tokens')
    op.drop_index('ix_user_sessions_user_id', table_name='user_sessions')
    op.drop_table('user_sessions')
    _autoincrement(False)
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='.*expression-based index')
        with op.batch_alter_table('users', schema=None) as batch_op:
            batch_op.drop_column('approved_at')
            batch_op.drop_column('email_confirmed_at')
    op.execute('CREATE UNIQUE INDEX IF NOT EXISTS uq_users_email_lower ON users (lower(email))')
