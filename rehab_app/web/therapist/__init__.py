"""Therapist pages: caseload, a patient's log, link codes, programmes, and exports of a patient."""
