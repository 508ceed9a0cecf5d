"""Users: the people, their status, notes, sessions and activity."""
