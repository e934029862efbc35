"""Citizen reports (Open311 requests) and their categories."""
