"""The object register: objects, their types and attributes, import and export."""
