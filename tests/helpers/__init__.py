"""What the tests share: people and clients, data, pages, the sync API, the access matrix.

Test files import from these modules, never from one another or from a conftest:
- `accounts`: people with a known password, logging in, a client that carries CSRF tokens;
- `database`: which database the suite runs on, and emptying it between tests;
- `entries`: a person's entries and programme items made directly, rows as the caseload reads;
- `pages`: a page's text as a person reads it;
- `api`: the sync API as a phone uses it, and devices that push at the same moment;
- `authorization`: the matrix of who may use which route;
- `mail`, `softkey`, `pushservice`: a loopback SMTP mailbox, a software passkey, a push service.
"""
