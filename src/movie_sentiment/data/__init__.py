"""Review data: the IMDB archive (raw and Keras views) and users' own files."""
