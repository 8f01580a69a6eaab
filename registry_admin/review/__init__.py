"""The staff user interface: accounts, the review queue and the registry pages."""
