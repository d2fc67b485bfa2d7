"""Jimei Civic Portal: citizen reports, tickets and public figures."""
