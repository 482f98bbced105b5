"""Receivers of other apps' facts; each calls one logistics service."""
