"""The review engine: revisions, approvals bound to a content hash, and the one publishing state machine."""
