"""Inspections: plans, due dates, results and defects."""
