"""Maintenance: work orders from defects, reports and by hand."""
