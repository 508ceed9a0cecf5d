"""Who is calling: master keys, login sessions, impersonation, and the principal they yield."""
