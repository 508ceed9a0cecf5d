"""Operations (master only): the system's health, background jobs."""
