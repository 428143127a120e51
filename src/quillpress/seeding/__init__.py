"""Demo data: generating a believable blog from a seed, and writing it into an empty database.

Kept out of ``services`` because it is no use case of the product: only the command line
(``seed``, ``serve --demo``) and the runnable lessons in ``demo`` may import it (see the layer
contract in pyproject.toml)."""
