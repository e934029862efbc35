"""The kernel: settings, module registry, errors, events, geo and time helpers.

Nothing here imports another part of Allmende, a web framework or a database library.
"""
