"""Operations: demo data, health, logs and runtime settings."""
