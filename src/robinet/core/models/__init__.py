from .audit import AuditEvent as AuditEvent
