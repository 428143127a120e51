"""Runnable lessons (``quillpress demo …``): small programs that show *why* the code is
shaped the way it is, on a throwaway database, with real statement counts.

This package sits at the top of the layers, beside the CLI: it may import anything below
it, and nothing in the service imports it back, so a lesson can never leak into a request."""
