"""Conformance of the sandbox with the venue: every /info type, /exchange action response and
websocket channel compared, field by field, with the venue's own published examples
(venue_examples.py), by the comparator of shape.py, against a real server (world.py)."""
