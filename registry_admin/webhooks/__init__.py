"""Signed webhooks to the booking module: one POST per registry change, in order per Business ID."""
