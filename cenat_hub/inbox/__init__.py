"""The inbox in the browser: conversation list, chat and composer."""
