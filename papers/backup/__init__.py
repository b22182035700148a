"""A logical backup of the catalogue as JSON lines, independent of database ids and of PostgreSQL versions:
``format`` describes the file, ``export`` writes it, ``restore`` reads it back into an empty catalogue."""
