"""Step types. `registry` is the single source of truth for every step's schema."""
