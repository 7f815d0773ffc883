"""Replies, letters, evaluations and follow-up arrive here with the reply issues."""
