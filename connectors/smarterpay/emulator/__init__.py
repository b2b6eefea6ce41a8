"""A sandbox HTTP(S) server imitating the SmarterPay Cloud REST API (see ../README.md)."""
