"""One run: pull → store → map → outbox, in transactions; the outbox relay; message envelopes."""
