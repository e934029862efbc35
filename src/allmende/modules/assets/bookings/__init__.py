"""Bookings of objects that can be booked (rooms, places)."""
