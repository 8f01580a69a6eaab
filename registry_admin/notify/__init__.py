"""Notifications to applicants: a transactional outbox, its templates, transports and delivery."""
