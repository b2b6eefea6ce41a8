"""paysync's pipelines: everything that knows PostgreSQL and scheduling, nothing provider-specific.

Packages, lowest first; a package imports only those above it in this list (and ``connectors``'
shared kit: ``streams``, ``http``, ``errors``), never a provider package:

- ``errors``     the error tree and the exit code each error means;
- ``store``      configuration, the database (connect, embedded server, migrations, roles);
- ``load``       one window's transaction: validate pages, stage, merge, change rows, ledger;
- ``sync``       the engine: plan windows, page them with bounded concurrency, the re-fetch queue;
- ``reconcile``  provider versus database, and repair through the loader;
- ``webhooks``   the receiver that applies provider notifications;
- ``flows``      Prefect flows and deployments' entry points;
- ``cli``        the ``paysync`` command (the only place that names providers' emulators).
"""
