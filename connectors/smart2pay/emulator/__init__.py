"""A sandbox HTTP(S) server imitating the Smart2Pay / GlobalPay REST API (see ../README.md)."""
