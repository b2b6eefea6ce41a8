"""Shared building blocks of the provider emulators (see README.md)."""
