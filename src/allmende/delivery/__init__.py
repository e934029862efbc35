"""What the platform tells others: durable domain events, outgoing webhooks, staff notifications.

* ``events``: domain events (a heat warning, a leak, a failed Task...) stored in the caller's
  transaction and announced on the in-process bus after the commit; consumers read them back
  with ``events_after``.
* ``webhooks`` and ``dispatch``: subscriptions of outside systems to those events and the
  signed, retried delivery (Standard Webhooks).
* ``notifications``: messages to a municipality's staff, shown in the web shell.

This package sits between ``identity`` and ``sensing``: the observation core reports failed
Tasks through it, and the web shell serves its pages and JSON API.
"""

from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
