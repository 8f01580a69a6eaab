"""The registry domain: organizations, their change feed and the audit trail."""
