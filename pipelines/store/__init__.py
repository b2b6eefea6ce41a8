"""The store: configuration (``settings``), the database connection and the embedded server
(``db``), migrations (``migrate``) and analyst roles (``roles``). It owns how paysync reaches
PostgreSQL and what schema version it finds there. Imports only ``pipelines.errors``."""
