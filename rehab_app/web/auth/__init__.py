"""Signing up, logging in and out, passwords and passkeys."""
