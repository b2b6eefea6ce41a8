"""Reconciliation: the provider's records against the database per source, stream and day
(``runner``), the comparison SQL (``sql``) and the report with its drift rows (``report``);
``--repair`` goes through the loader. Imports ``sync``, ``load`` and ``store``."""
