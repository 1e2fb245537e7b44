"""Command-line tools: demo data and accounts."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from rehab_app.core.sync import OUTCOME_DAYS
from rehab_app.extensions import db
from rehab_app.models import User, utcnow


def register_cli(app: Flask) -> None:
    """Add the project's commands to `flask --app wsgi ...`."""

    @app.cli.command("demo-data")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
    def demo_data(if_empty: bool) -> None:
        """Create a demo therapist and three linked patients with six months of entries."""
        from rehab_app.core.demo import DEMO_EMAILS, create_demo, demo_logins
        from rehab_app.core.timeutil import local_today

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
        from rehab_app.core.timeutil import timezone_names
        from rehab_app.core.validation import name_error
        from rehab_app.web.auth.logins import hash_password, normalise_email

        email = normalise_email(email)
        display_name = display_name.strip()
        if error := name_error(display_name):
            raise click.BadParameter(error, param_hint="--name")
        if len(password) < 10:
            raise click.BadParameter("use at least 10 characters", param_hint="password")
        if timezone not in timezone_names():
            raise click.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone")
        if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
            raise click.ClickException(f"There is already an account for {email}.")
        db.session.add(
            User(
                email=email,
                display_name=display_name[:80],
                role=role,
                timezone=timezone,
                password_hash=hash_password(password),
                # Whoever runs this command vouches for the account and its email address.
                email_confirmed_at=utcnow(),
                approved_at=utcnow() if role == "therapist" else None,
            )
        )
        db.session.commit()
        click.echo(f"Created {role} {email}.")

    @app.cli.command("approve-therapist")
    @click.argument("email", required=False)
    @click.option("--waiting", "list_waiting", is_flag=True, help="List the accounts waiting.")
    def approve_therapist(email: str | None, list_waiting: bool) -> None:
        """Approve a therapist account (after checking who they are), or list those waiting."""
        from rehab_app.core.approval import ApprovalError, approve, waiting

        if list_waiting or not email:
            people = waiting(db.session)
            click.echo(f"{len(people)} therapist accounts waiting for approval.")
            for person in people:
                since = f"{person.created_at:%Y-%m-%d}"
                click.echo(f"  {person.email:<40} {person.display_name}  (since {since})")
            return
        try:
            user = approve(db.session, email)
        except ApprovalError as error:
            raise click.ClickException(str(error)) from None
        db.session.commit()
        click.echo(f"Approved {user.email}: they can now make link codes and see linked patients.")

    @app.cli.command("create-clinic")
    @click.argument("name")
    @click.option("--admin", "admin_email", required=True, help="The first admin's email.")
    def create_clinic(name: str, admin_email: str) -> None:
        """Create a clinic with its first admin, a therapist account (vouched for by this)."""
        from rehab_app.core import clinics

        email = admin_email.strip().lower()
        admin = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if admin is None:
            raise click.ClickException(f"There is no account for {admin_email}.")
        try:
            clinic = clinics.create_clinic(db.session, name, admin)
        except clinics.ClinicError as error:
            raise click.ClickException(str(error)) from None
        db.session.commit()
        click.echo(
            f"Created {clinic.name} with {admin.email} as its admin. "
            f"Colleagues ask to join with the code {clinics.shown_code(clinic)}."
        )

    @app.cli.group("reviews")
    def reviews() -> None:
        """The caseload's stored summaries and trend reviews."""

    @reviews.command("refresh")
    def reviews_refresh() -> None:
        """Recompute the summaries of everyone whose data changed (cron, e.g. nightly)."""
        from rehab_app.core.caseload import refresh_summaries

        seen, redone = refresh_summaries(db.session)
        click.echo(f"{seen} people looked at, {redone} summaries recomputed.")

    @app.cli.command("purge-deleted")
    @click.option("--batch", default=500, show_default=True, help="Entries wiped per transaction.")
    def purge_deleted(batch: int) -> None:
        """Wipe the content of entries deleted more than TOMBSTONE_DAYS ago (safe to rerun)."""
        from rehab_app.core.entries import wipe_deleted

        days = current_app.config["TOMBSTONE_DAYS"]
        before = utcnow() - timedelta(days=days)
        total = 0
        while wiped := wipe_deleted(db.session, before, max(1, batch)):
            db.session.commit()
            total += wiped
        click.echo(f"Wiped the content of {total} entries deleted more than {days} days ago.")

    @app.cli.group("sync")
    def sync_group() -> None:
        """The sync API's stored state."""

    @sync_group.command("prune")
    @click.option(
        "--days", default=OUTCOME_DAYS, show_default=True, help="Keep outcomes at least this long."
    )
    @click.option("--batch", default=1000, show_default=True, help="Outcomes per transaction.")
    def sync_prune(days: int, batch: int) -> None:
        """Forget sync outcomes no app can ask for again (cron, e.g. daily; safe to rerun)."""
        from rehab_app.core.sync import prune_outcomes

        before = utcnow() - timedelta(days=max(0, days))
        total = 0
        while pruned := prune_outcomes(db.session, before, max(1, batch)):
            db.session.commit()
            total += pruned
        click.echo(
            f"Forgot {total} sync outcomes decided more than {days} days ago "
            "and since pulled by their app."
        )


def _print_logins(logins: list[tuple[str, str, str]]) -> None:
    click.echo("\nDemo logins (for trying the app only):")
    for role, email, password in logins:
        click.echo(f"  {role:<10} {email:<34} password: {password}")


def register_reminder_cli(app: Flask) -> None:
    """`flask reminders send-due | run | vapid-keys`."""
    from flask.cli import AppGroup

    group = AppGroup("reminders", help="Send reminders by Web Push at each person's own times.")

    @group.command("send-due")
    def send_due() -> None:
        """Send the reminders due now, each once (run it every minute from cron or a timer)."""
        from rehab_app.core import reminders

        report = reminders.send_due(db.session, _sender(), account_of=_account_of())
        click.echo(_report_line(report))

    @group.command("run")
    @click.option("--once", is_flag=True, help="Send what is due now and stop.")
    def run(once: bool) -> None:
        """Send reminders every minute until stopped (for `make run` and small installs)."""
        import time as clock
        from datetime import UTC, datetime

        from rehab_app.core import reminders

        sender, account_of = _sender(), _account_of()

        def tick() -> reminders.Report:
            report = reminders.send_due(db.session, sender, account_of=account_of)
            db.session.remove()
            if report.claimed or report.retrying:
                click.echo(_report_line(report))
            return report

        if once:
            tick()
            return
        click.echo("Sending reminders every minute (Ctrl+C to stop).")
        reminders.run_forever(tick, clock.sleep, lambda: datetime.now(UTC))

    @group.command("vapid-keys")
    def vapid_keys() -> None:
        """Make a new VAPID key pair for Web Push (put the private key in the environment)."""
        from rehab_app.core.webpush import new_vapid_private_key, public_key_of

        private = new_vapid_private_key()
        click.echo(f"VAPID_PRIVATE_KEY={private}")
        click.echo(f"# public key (browsers subscribe with it): {public_key_of(private)}")
        click.echo("# A new key means every phone must switch its reminders on again.")

    app.cli.add_command(group)


def _sender() -> Any:
    from rehab_app.core.webpush import MissingVapidKeys, WebPushSender
    from rehab_app.web.patient.reminders import vapid_private_key, vapid_subject

    try:
        return WebPushSender(
            vapid_private_key(),
            vapid_subject(),
            ttl=current_app.config["PUSH_TTL_SECONDS"],
        )
    except MissingVapidKeys as error:
        raise click.ClickException(str(error)) from None


def _account_of() -> Any:
    """A person's opaque account key on their phone, for a reminder's "Done"."""
    from functools import partial

    from rehab_app.core.sessions import account_key

    return partial(account_key, current_app.config["SECRET_KEY"])


def _report_line(report: Any) -> str:
    return (
        f"Reminders: {report.claimed} due, {report.sent} sent, {report.skipped} not needed, "
        f"{report.no_device} with no device, {report.retrying} to try again, "
        f"{report.failed} failed, {report.gone} devices gone."
    )
