"""The sync protocol: clients push mutations exactly once and in order, and pull changes.

No Flask here. The caller owns the transaction: it commits after `apply_mutations`, so
the entries changed and the client's last applied mutation id are stored together, or
neither is. See docs/sync.md for the protocol and its conflict rules.

The package: `rules` (limits, fields, errors), `clients`, `push` with `lookups` (and its
`probe`) and `decide` (one mutation), `fields` (validation) and `pull` (with pruning). Every
public name is importable from `rehab_app.core.sync`.
"""

from __future__ import annotations

from .clients import get_client as get_client
from .clients import register_client as register_client
from .decide import ID_REUSED as ID_REUSED
from .decide import UNDECIDABLE_MESSAGE as UNDECIDABLE_MESSAGE
from .decide import UNDONE_MESSAGE as UNDONE_MESSAGE
from .fields import clean_fields as clean_fields
from .fields import walk_seconds as walk_seconds
from .pull import PROGRAMME_FIELDS as PROGRAMME_FIELDS
from .pull import entry_change as entry_change
from .pull import programme_change as programme_change
from .pull import prune_outcomes as prune_outcomes
from .pull import pull_changes as pull_changes
from .push import apply_mutations as apply_mutations
from .push import push_batch as push_batch
from .rules import CHOICES as CHOICES
from .rules import COMMON_FIELDS as COMMON_FIELDS
from .rules import DEFAULT_PULL_LIMIT as DEFAULT_PULL_LIMIT
from .rules import DEFAULT_TOMBSTONE_DAYS as DEFAULT_TOMBSTONE_DAYS
from .rules import KIND_FIELDS as KIND_FIELDS
from .rules import MAX_CLIENTS as MAX_CLIENTS
from .rules import MAX_CURSOR as MAX_CURSOR
from .rules import MAX_MUTATION_ID as MAX_MUTATION_ID
from .rules import MAX_MUTATIONS as MAX_MUTATIONS
from .rules import MAX_PULL_LIMIT as MAX_PULL_LIMIT
from .rules import NUMBER_LIMITS as NUMBER_LIMITS
from .rules import OPS as OPS
from .rules import OUTCOME_DAYS as OUTCOME_DAYS
from .rules import READ_ONLY as READ_ONLY
from .rules import REQUIRED as REQUIRED
from .rules import Rejection as Rejection
from .rules import UnknownClient as UnknownClient
