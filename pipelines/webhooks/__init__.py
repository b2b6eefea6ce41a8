"""The webhook receiver: parsing, authenticating and durably applying provider notifications
(``receiver``) and the aiohttp server that accepts them (``app``). Provider specifics come from
the connector's hooks; imports ``sync``, ``load`` and ``store``."""
