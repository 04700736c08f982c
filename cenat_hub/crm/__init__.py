"""The lead CRM: pipeline status, tags, notes, lost reasons, history and CSV."""
