"""Playbooks, key messages and the crisis-team roster (built in a later issue)."""
