"""Command-line tools: demo data and accounts."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from .extensions import db
from .models import User


def register_cli(app: Flask) -> None:
    """Add the project's commands to `flask --app wsgi ...`."""

    @app.cli.command("demo-data")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
    def demo_data(if_empty: bool) -> None:
        """Create a demo therapist and three linked patients with six months of entries."""
        from .demo import DEMO_EMAILS, create_demo, demo_logins
        from .timeutil import local_today

        if if_empty and db.session.scalar(select(func.count()).select_from(User)):
            click.echo("The database already has accounts: demo data not loaded.")
            if db.session.scalar(select(User.id).where(User.email.in_(DEMO_EMAILS)).limit(1)):
                _print_logins(demo_logins())
            return
        with click.progressbar(length=1, label="Creating demo data", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            try:
                logins = create_demo(
                    db.session,
                    local_today("Europe/London"),
                    progress,
                    password_method=current_app.config["PASSWORD_HASH_METHOD"],
                )
            except ValueError as error:
                db.session.rollback()
                raise click.ClickException(str(error)) from None
            db.session.commit()
        _print_logins(logins)

    @app.cli.command("create-user")
    @click.option("--email", prompt=True)
    @click.option("--name", "display_name", prompt="Display name")
    @click.option("--role", type=click.Choice(["patient", "therapist"]), prompt=True)
    @click.option("--timezone", default="Europe/London", show_default=True)
    @click.password_option()
    def create_user(email: str, display_name: str, role: str, timezone: str, password: str) -> None:
        """Create an account from the command line."""
        from .auth import hash_password, normalise_email
        from .timeutil import timezone_names

        email = normalise_email(email)
        if len(password) < 10:
            raise click.BadParameter("use at least 10 characters", param_hint="password")
        if timezone not in timezone_names():
            raise click.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone")
        if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
            raise click.ClickException(f"There is already an account for {email}.")
        db.session.add(
            User(
                email=email,
                display_name=display_name.strip()[:80],
                role=role,
                timezone=timezone,
                password_hash=hash_password(password),
            )
        )
        db.session.commit()
        click.echo(f"Created {role} {email}.")


def _print_logins(logins: list[tuple[str, str, str]]) -> None:
    click.echo("\nDemo logins (for trying the app only):")
    for role, email, password in logins:
        click.echo(f"  {role:<10} {email:<34} password: {password}")
