"""``catalogue_changed`` is sent once a transaction that changed what readers see has committed, with
``using``, the database alias. The cache module sends it without knowing its receivers (so it imports
none of them); apps connect theirs in ``ready()``."""

from django.dispatch import Signal

catalogue_changed = Signal()
