"""The lookup API for the booking module."""
