"""Contacts (leads): identity across number forms, listing and detail."""
