"""Allmende: an open-source platform for smart cities and regions."""

__version__ = "0.1.0"
