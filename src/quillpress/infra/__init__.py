"""Cross-cutting machinery: password hashing, tokens, secrets, logging."""
