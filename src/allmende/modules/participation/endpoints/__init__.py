"""The JSON API's routers by resource; :mod:`..api` mounts them under /api/participation."""
